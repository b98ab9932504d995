"""Who is asking, resolved inside the transaction that answers them.

A web request carries a credential: the signed-in session's username, or an API bearer token.
Resolving it used to be a transaction of its own (Flask-Login's user loader, the token check)
before the view's engine call. Now the web layer wraps it in a `DeferredActor` and the facade
resolves it at the START of the request's one transaction (`ComplaintEngine._tx`), so the
check and the work see the same snapshot and a page costs one transaction:

- `ComplaintEngine.signed_in(username)` / `.bearer(token)` make the deferred actor and mark it
  as the current request's credential (a context variable; `end_request()` forgets it).
- Every facade transaction first resolves the request's credential if it is still unresolved.
  An unknown or disabled user, or an unknown or expired token, raises `Unauthorized` (401)
  before anything else is read, so an unauthenticated caller never learns whether a case or a
  task exists, and the transaction rolls back.
- Touched outside any facade transaction (a role check before the call, a template asking for
  the display name on a page that made no engine call), it resolves in a transaction of its own.
- Resolved once per request; from then on it answers exactly as the `Actor` it stands for.

Why not a request-wide transaction joined by every call: a login must commit its failed attempt
although the request answers with an error, and facade calls that open more than one
transaction (calendar recounts) or none (timers) would wait on SQLite's write lock held by the
request itself. A deferred credential changes only WHEN the actor is read, not how any
transaction behaves: logins keep their own transaction, the scheduler and the CLI pass plain
`Actor`s, and SQLite keeps its BEGIN IMMEDIATE per call.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.errors import Unauthorized

Resolver = Callable[[Session], "Actor | None"]

_request: ContextVar["DeferredActor | None"] = ContextVar("complaintflow_request_actor", default=None)
_open: ContextVar["tuple[object, Session] | None"] = ContextVar("complaintflow_open_transaction", default=None)


class DeferredActor:
    """An Actor known only by its credential until a facade transaction resolves it."""

    __slots__ = ("_owner", "_resolver", "_actor")

    def __init__(self, owner, resolver: Resolver):
        self._owner = owner  # the facade whose transactions may resolve it
        self._resolver = resolver
        self._actor: Actor | None = None

    @property
    def resolved(self) -> bool:
        return self._actor is not None

    def resolve(self, session: Session | None = None) -> Actor:
        """The Actor, read with `session`, else with the facade transaction open now, else in
        a transaction of its own. Unauthorized when the credential no longer holds."""
        if self._actor is not None:
            return self._actor
        if session is None:
            opened = _open.get()
            if opened is None or opened[0] is not self._owner:
                with self._owner._tx(self):
                    return self._actor
            session = opened[1]
        actor = self._resolver(session)
        if actor is None:
            raise Unauthorized("please sign in again: this session or token is no longer valid")
        self._actor = actor
        return actor

    def __getattr__(self, name: str):
        return getattr(self.resolve(), name)

    def __repr__(self) -> str:
        return f"DeferredActor({self._actor!r})" if self._actor else "DeferredActor(unresolved)"


def defer(owner, resolver: Resolver) -> DeferredActor:
    """A deferred actor that is also the current request's credential."""
    actor = DeferredActor(owner, resolver)
    _request.set(actor)
    return actor


def forget_request() -> None:
    """The request is over: its credential must not leak into the next one on this thread."""
    _request.set(None)


def ensure(actor) -> None:
    """Resolve `actor` now if it is deferred (a view that made no engine call still checks it)."""
    if isinstance(actor, DeferredActor):
        actor.resolve()


@contextmanager
def inside(owner, session: Session, credential: DeferredActor | None = None) -> Iterator[None]:
    """The body of a facade transaction: the request's credential is resolved first."""
    token = _open.set((owner, session))
    try:
        pending = credential or _request.get()
        if pending is not None and pending._owner is owner and not pending.resolved:
            pending.resolve(session)
        yield
    finally:
        _open.reset(token)
