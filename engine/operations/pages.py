"""Facade operations that answer one whole screen or request in ONE transaction.

A page used to gather what it shows from several facade calls (the task, then the type's intake
form, then the case clock), each a transaction of its own, and a form post read the task before
completing it in another. These methods do the whole thing at once and return what the page
needs. A refusal the page shows beside the form (a field the engine refused) comes back as
`{"refused": error, ...}` with the page's data; the refused change itself was made inside a
savepoint and rolled back, so nothing of it is saved. Any other error propagates and the whole
transaction rolls back.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from typing import Callable, Iterator, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import case_pages, cases, filing_tokens, tasks
from engine.oversight import audit, timeline
from engine.diagrams import definitions
from engine.confidential import disclosure
from engine.clocks import pauses
from engine.actors import Actor
from engine.context import EngineContext
from engine.handing_on import comments
from engine.handing_on.page import task_page_operations
from engine.errors import EngineError, Forbidden, InvalidInput, NotFound, Rejected
from engine.models import Case, Task

FormData = Union[dict, Callable[[dict], dict]]  # the data, or a parser of the submission given the form schema


class PageOperations:
    """Mixed into ComplaintEngine. Relies on: `self.ctx` (EngineContext) and `self._tx()`
    (one transaction that first resolves the request's credential)."""

    ctx: EngineContext
    _tx: Callable[..., AbstractContextManager[Session]]

    # --- staff pages ---------------------------------------------------------------------------
    def task_page(self, actor: Actor, task_id: int) -> dict:
        """The task page: the task with its form and case, the case's clock and intake form."""
        with self._tx() as session:
            return self._task_page(session, actor, task_id)

    def complete_task_and_next(self, actor: Actor, task_id: int, data: FormData,
                               attachments: list[dict] | None = None) -> dict:
        """Complete a held task from its form. `data` may be a parser called with the task's
        form schema. Answers {"completed": True, "task": {"id", "name", "case_number"},
        "case_status", "next_tasks"} or, when the engine refuses the form,
        {"completed": False, "refused": InvalidInput, "task": the task page} with nothing saved."""
        with self._tx() as session:
            task = tasks.get_task_form(self.ctx, session, actor, task_id)
            try:
                with attempt(session):
                    payload = data(task["form"]) if callable(data) else data
                    result = tasks.complete_task(self.ctx, session, actor, task_id, payload)
                    cases.attach_task_files(self.ctx, session, task, task["form"], attachments or [],
                                            actor.username)
            except InvalidInput as error:
                return {"completed": False, "refused": error, "task": self._task_page(session, actor, task_id)}
            return {"completed": True, "task": {k: task[k] for k in ("id", "name", "case_number")}, **result}

    def case_page(self, actor: Actor, case_id: int, comments_before: str | None = None) -> dict:
        """The case page: {"case", "intake_form", "clock", "comments"} (clock None when it may not be
        shown; comments: the newest page, or the one before the `comments_before` cursor)."""
        with self._tx() as session:
            return self._case_page(session, actor, cases.case_detail(self.ctx, session, actor, case_id),
                                   comments_before=comments_before)

    def comment_from_case_page(self, actor: Actor, case_id: int, body: str, visibility: str = "internal") -> dict:
        """Staff comment on the case from its page. Answers {"posted"} or, refused (the body, who may
        read it, a mention of someone outside the case's circle), {"refused": error, **the case page}
        with nothing saved. A case the actor may not see stays NotFound."""
        with self._tx() as session:
            try:
                with attempt(session):
                    return {"posted": comments.add_comment(self.ctx, session, actor, case_id, body, visibility)}
            except (InvalidInput, Forbidden) as error:
                if isinstance(error, Forbidden) and "body" not in (error.details or {}):
                    raise
                page = self._case_page(session, actor, cases.case_detail(self.ctx, session, actor, case_id))
                return {"refused": error, **page}

    def write_to_complainant(self, actor: Actor, case_id: int, body: str) -> dict:
        """Staff write to the case's complainant or reporter from the case page. Answers {"posted"} or,
        refused, {"refused": InvalidInput, **the case page} with nothing saved."""
        with self._tx() as session:
            try:
                with attempt(session):
                    return {"posted": cases.write_to_complainant(self.ctx, session, actor, case_id, body)}
            except InvalidInput as error:
                page = self._case_page(session, actor, cases.case_detail(self.ctx, session, actor, case_id))
                return {"refused": error, **page}

    def case_page_revealing(self, actor: Actor, case_id: int, reason: str) -> dict:
        """The committee reveals the reporter's identity (audited) and sees the case page with it."""
        with self._tx() as session:
            revealed = disclosure.reveal_identity(self.ctx, session, actor, case_id, reason)
            page = self._case_page(session, actor, cases.case_detail(self.ctx, session, actor, case_id))
            return {**page, "revealed": revealed}

    def case_page_opened(self, actor: Actor, case_id: int, reason: str, lang: str | None = None,
                         tz: str | None = None) -> dict:
        """A sealed case opened with a reason (audited): the case page plus its history, raw
        (`events`) and told for people in `lang` and `tz` (`timeline`)."""
        with self._tx() as session:
            opened = case_pages.open_sealed(self.ctx, session, actor, case_id, reason)
            told = timeline.whole_timeline(self.ctx, session, session.get(Case, case_id),
                                           timeline.reader_language(lang, actor), timeline.reader_zone(tz, actor))
            return {**self._case_page(session, actor, opened["case"], clock=False), "events": opened["events"],
                    "timeline": told}

    def case_history_page(self, actor: Actor, case_id: int, limit: int | None = None,
                          cursor: str | None = None) -> dict:
        """The history page: {"case", "events": one page of them, "next": cursor or None}."""
        with self._tx() as session:
            found = disclosure.history(self.ctx, session, actor, case_id, limit=limit, cursor=cursor)
            return {"case": cases.case_detail(self.ctx, session, actor, case_id), "events": found["items"],
                    "next": found["next"]}

    def _task_page(self, session: Session, actor: Actor, task_id: int) -> dict:
        task = case_pages.get_task(self.ctx, session, actor, task_id)
        task["intake_form"] = self._intake_form(session, task["case_id"])
        task["operations"] = task_page_operations(self.ctx, session, actor, task_id)
        task["forms"] = self._forms(session, task["case_id"])
        return task

    def _case_page(self, session: Session, actor: Actor, detail: dict, clock: bool = True,
                   comments_before: str | None = None) -> dict:
        shown = None
        if clock:
            try:  # refused before it reads anything (hidden or sealed case)
                shown = pauses.case_clock(self.ctx, session, actor, detail["id"], self.ctx.now())
            except EngineError:
                shown = None  # the panel is left out, as for a case whose clock the viewer may not see
        return {"case": detail, "intake_form": self._intake_form(session, detail["id"]),
                "forms": self._forms(session, detail["id"]), "clock": shown,
                "comments": comments.newest_comments(self.ctx, session, session.get(Case, detail["id"]),
                                                     comments_before)}

    def _forms(self, session: Session, case_id: int) -> dict:
        """Every form of the case's own process version ({file name: schema}), to label the results
        of its steps: those of its completed tasks first, in the order they were completed."""
        definition_id = session.get(Case, case_id).definition_id
        forms = self.ctx.definitions.get(session, definition_id).summary.get("forms") or {}
        done = session.scalars(select(Task.form_name).where(Task.case_id == case_id, Task.completed_at.is_not(None))
                               .order_by(Task.completed_at, Task.id)).all()
        ordered = [name for name in dict.fromkeys(done) if name in forms]
        return {name: forms[name] for name in ordered + [n for n in forms if n not in ordered]}

    def _intake_form(self, session: Session, case_id: int) -> dict:
        """The intake form of the case's own process version, to label its facts."""
        definition_id = session.get(Case, case_id).definition_id
        return self.ctx.definitions.get(session, definition_id).summary.get("intake_form") or {}

    # --- the public site ---------------------------------------------------------------------
    def public_type(self, type_key: str) -> dict:
        """A type open to the public (NotFound for an internal one: its existence is not confirmed)."""
        with self._tx() as session:
            return _public_type(session, type_key)

    def file_public_report(self, type_key: str, data: FormData, attachments: list[dict] | None = None,
                           anonymous: bool = False, form_token: str | None = None) -> dict:
        """A public filing from the report form. `data` may be a parser called with the intake
        form. Answers {"type", "filed": {"id", "number", "status", "receipt"}} or, refused,
        {"type", "refused": InvalidInput or Rejected} with nothing saved. With the form's one-time
        `form_token`, a second submit of the same form files nothing and answers the first filing
        (`"repeated": True`)."""
        with self._tx() as session:
            ptype = _public_type(session, type_key)
            try:
                with attempt(session):
                    earlier = filing_tokens.claim(self.ctx, session, form_token) if form_token else None
                    if earlier is not None:
                        return {"type": ptype, "repeated": True,
                                "filed": filing_tokens.filed(self.ctx, session, form_token)}
                    payload = data(ptype["intake_form"]) if callable(data) else data
                    filed = cases.file_case(self.ctx, session, None, type_key, payload, attachments or [], anonymous)
                    if form_token:
                        filing_tokens.record(self.ctx, session, form_token, filed)
            except (InvalidInput, Rejected) as error:
                return {"type": ptype, "refused": error}
            return {"type": ptype, "filed": filed}

    def filed_report(self, form_token: str, forget: bool = False) -> dict:
        """What a public form filed, for the receipt page: {"type", "filed"} with the receipt while it
        is still held; `forget` empties it (the complainant saved it). NotFound for an unknown token."""
        with self._tx() as session:
            filed = filing_tokens.filed(self.ctx, session, form_token)
            if forget:
                filing_tokens.forget_receipt(session, form_token)
            row = definitions.latest(session, filed["type_key"])
            return {"type": definitions.describe(row), "filed": filed}

    def track_message(self, receipt: str, body: str, attachments: list[dict] | None = None,
                      form_token: str | None = None) -> dict:
        """The complainant writes about their case: the receipt is verified ONCE, the message
        posted and the case read back in the same transaction. Answers {"case", "posted"} or,
        refused, {"case", "refused": InvalidInput} with nothing saved; NotFound for a wrong receipt.
        With the form's one-time `form_token`, sending the same form again (a reload) posts nothing
        and answers {"case", "repeated": True}."""
        with self._tx() as session:
            case = cases.find_by_receipt(self.ctx, session, receipt)
            try:
                with attempt(session):
                    if form_token and filing_tokens.claim(self.ctx, session, form_token) is not None:
                        return {"case": cases.public_view_of(self.ctx, session, case), "repeated": True}
                    posted = cases.post_message_to(self.ctx, session, case, body, attachments or [])
                    if form_token:
                        filing_tokens.record(self.ctx, session, form_token, {"id": case.id})
            except InvalidInput as error:
                return {"case": cases.public_view_of(self.ctx, session, case), "refused": error}
            return {"case": cases.public_view_of(self.ctx, session, case), "posted": posted}


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """A savepoint: a refused change is undone with everything it noted in the session (the audit
    events it recorded, the chain head it moved). Events recorded before it are written first, so
    the savepoint's rollback takes back exactly the attempt's own."""
    audit.write_pending(session)
    noted = dict(session.info)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        session.info.clear()
        session.info.update(noted)
        raise


def _public_type(session: Session, type_key: str) -> dict:
    row = definitions.latest(session, type_key)
    if not row.public:
        raise NotFound(f"no complaint type {type_key!r}")
    return definitions.describe(row)
