"""Deputies (代理人): a user names a colleague to cover a period. While it lasts, the tasks the
absent user holds go to the deputy, and tasks offered to them by name are offered to the deputy
too; when it ends they return. Each move is an audit event on its case. Recusal and need-to-know
still win: a task of a case the deputy may not handle stays where it is (audited).

Periods start and end in `sweep` (run by the scheduler's tick) and at once when set."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Case, Deputy, Task, TaskCandidate, User
from engine.confidential.routing import set_candidates
from engine.handing_on.people import in_circle, notify

SWEEP_BATCH = 100


def _may_manage(actor: Actor, username: str) -> None:
    if actor.username != username and not actor.has_role("admin"):
        raise Forbidden("only the user themself or an admin names a deputy")


def _describe(username: str, row: Deputy | None, now: datetime) -> dict:
    if row is None:
        return {"username": username, "deputy": None, "from": None, "until": None, "active": False}
    return {"username": username, "deputy": row.deputy, "from": to_iso(aware(row.starts_at)),
            "until": to_iso(aware(row.ends_at)), "active": aware(row.starts_at) <= now < aware(row.ends_at)}


def _user_exists(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is not None


def get_deputy(ctx: EngineContext, session: Session, actor: Actor, username: str) -> dict:
    _may_manage(actor, username)
    if not _user_exists(session, username):
        raise NotFound("no such user")
    return _describe(username, session.get(Deputy, username), ctx.now())


def set_deputy(ctx: EngineContext, session: Session, actor: Actor, username: str, deputy: str | None,
               starts: datetime | None, ends: datetime | None) -> dict:
    _may_manage(actor, username)
    if not _user_exists(session, username):
        raise NotFound("no such user")
    now = ctx.now()
    row = session.get(Deputy, username)
    if row is not None and row.applied:
        _end(ctx, session, row, now)
    if row is not None:
        session.delete(row)
        session.flush()
    if deputy is None:
        audit.record(session, at=now, actor=actor.username, kind="deputy_cleared", detail={"username": username})
        return _describe(username, None, now)
    details = {}
    if deputy == username:
        details["deputy"] = "someone other than the absent user"
    elif not _user_exists(session, deputy):
        details["deputy"] = "no such active user"
    starts = aware(starts) or now
    if ends is None:
        details["until"] = "when the absence ends"
    elif aware(ends) <= max(starts, now):
        details["until"] = "after the start and in the future"
    if details:
        raise InvalidInput("the deputy cannot be named so", details)
    row = Deputy(username=username, deputy=deputy, starts_at=starts, ends_at=aware(ends), applied=False,
                 set_by=actor.username, set_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor.username, kind="deputy_set",
                 detail={"username": username, "deputy": deputy, "from": to_iso(starts), "until": to_iso(aware(ends))})
    if starts <= now:
        _start(ctx, session, row, now)
    return _describe(username, row, now)


def sweep(ctx: EngineContext, session: Session, now: datetime) -> int:
    """Start the periods that have begun and end those that are over; returns how many."""
    due = list(session.scalars(select(Deputy).where(Deputy.applied.is_(False), Deputy.starts_at <= now)
                               .limit(SWEEP_BATCH)))
    over = list(session.scalars(select(Deputy).where(Deputy.ends_at <= now).limit(SWEEP_BATCH)))
    for row in over:
        if row.applied:
            _end(ctx, session, row, now)
        session.delete(row)
    for row in due:
        if row not in over:
            _start(ctx, session, row, now)
    session.flush()
    return len(due) + len(over)


def _start(ctx: EngineContext, session: Session, row: Deputy, now: datetime) -> None:
    away, deputy = row.username, row.deputy
    held = list(session.scalars(select(Task).where(Task.assignee == away, Task.state == "ready")))
    named = list(session.scalars(select(Task).where(
        Task.id.in_(select(TaskCandidate.task_id).where(TaskCandidate.username == away)),
        Task.state == "ready", Task.assignee.is_(None))))
    for task in held + named:
        case = session.get(Case, task.case_id)
        if not in_circle(session, case.id, deputy):
            audit.record(session, at=now, actor="system", kind="deputy_not_eligible", case_id=case.id,
                         element_id=task.element_id, detail={"task": task.id, "for": away})
            continue
        if task.assignee == away:
            task.assignee, task.claimed_at = deputy, now
        else:
            set_candidates(session, task, [*(task.candidates or []), deputy])
        task.covering_for = away
        audit.record(session, at=now, actor="system", kind="task_to_deputy", case_id=case.id,
                     element_id=task.element_id, detail={"task": task.id, "for": away, "deputy": deputy})
        notify(session, case, now, f"{task.name}: 代理 {away} / covering for {away}", username=deputy)
    row.applied = True


def _end(ctx: EngineContext, session: Session, row: Deputy, now: datetime) -> None:
    away, deputy = row.username, row.deputy
    covered = list(session.scalars(select(Task).where(Task.covering_for == away, Task.state == "ready")))
    for task in covered:
        case = session.get(Case, task.case_id)
        back = in_circle(session, case.id, away)
        if task.assignee == deputy and back:
            task.assignee, task.claimed_at = away, now
        if task.candidates and deputy in task.candidates and away in task.candidates:
            set_candidates(session, task, [n for n in task.candidates if n != deputy])
        task.covering_for = None
        audit.record(session, at=now, actor="system", kind="task_from_deputy", case_id=case.id,
                     element_id=task.element_id, detail={"task": task.id, "to": away if back else None,
                                                         "deputy": deputy})
    row.applied = False
