"""Facade operations on accounts: signing in and out, tokens, passwords, disabling, the second
factor, and the shared attempt counters of public look-ups."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable

from sqlalchemy.orm import Session

from engine import stuck_tasks
from engine.accounts import directory, throttle, users
from engine.actors import Actor
from engine.context import EngineContext


class AccountOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext  # settings, database, clock and caches of the engine
    _tx: Callable[..., AbstractContextManager[Session]]  # one transaction per call (ComplaintEngine._tx)

    def sign_in(self, username: str, password: str, client: str, rules: users.SignInRules,
                kind: str = "browser", code: str | None = None) -> dict:
        """{"actor", "token", "enrol_second_factor"} for good credentials. A refusal (Unauthorized,
        TooManyAttempts, Forbidden) is raised only after the transaction committed, so the failed
        attempt stays counted and audited."""
        with self._tx() as session:
            outcome = users.sign_in(session, self.ctx, username, password, client, rules, kind, code)
        return outcome.settle()

    def confirm_code(self, username: str, code: str, client: str, rules: users.SignInRules) -> dict:
        """The browser's second step for a user with a second factor; refusals as in `sign_in`."""
        with self._tx() as session:
            outcome = users.confirm_code(session, self.ctx, username, code, client, rules)
        return outcome.settle()

    def actor_for_token(self, token: str, kind: str = "api") -> Actor | None:
        """The actor holding a valid API token (or, kind "browser", a browser session's key)."""
        with self._tx() as session:
            return users.actor_for_token(session, token, self.ctx.now(), kind)

    def sign_out(self, token: str, kind: str = "browser") -> bool:
        """End one session or revoke one API token; False when it was not valid anyway."""
        with self._tx() as session:
            return users.revoke_token(session, token, self.ctx.now(), kind) is not None

    def change_password(self, actor: Actor, username: str, new_password: str,
                        current_password: str | None = None) -> int:
        """Admins set anyone's; users their own with the current one. Ends every session and token
        of that user; returns how many ended."""
        with self._tx() as session:
            return users.change_password(session, self.ctx, actor, username, new_password, current_password)

    def disable_user(self, actor: Actor, username: str) -> int:
        """Admins only: the user can no longer sign in; every session and token ends; the tasks
        they held go back to their groups (engine.accounts.directory)."""
        with self._tx() as session:
            ended = directory.disable(self.ctx, session, actor, username)
            stuck_tasks.reroute_after_leaving(self.ctx, session, username, self.ctx.now())
            return ended

    def start_second_factor(self, actor: Actor) -> dict:
        """A new TOTP secret for the actor's app, shown once: {"secret", "uri"}."""
        with self._tx() as session:
            return users.start_second_factor(session, self.ctx, actor.username)

    def confirm_second_factor(self, actor: Actor, code: str) -> None:
        """Turn the second factor on with a code from the app (400 on a wrong code)."""
        with self._tx() as session:
            users.confirm_second_factor(session, self.ctx, actor.username, code)

    def remove_second_factor(self, actor: Actor, username: str) -> None:
        with self._tx() as session:
            users.remove_second_factor(session, self.ctx, actor, username)

    def count_attempt(self, bucket: str, key: str, rule: throttle.Rule) -> int:
        """Count one attempt of `key` (a client address) unless it is over the rule; the seconds
        to wait (0: counted, go ahead). Shared by every worker through the database."""
        with self._tx() as session:
            return throttle.attempt(session, self.ctx.now(), bucket, key, rule)
