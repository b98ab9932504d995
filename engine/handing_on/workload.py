"""Workload: open and overdue tasks per person and per group, for supervisors and admins, counted
in SQL over the tasks of cases the reader may see (a confidential report they are not on adds
nothing). Reassigning is the supervisor's transfer (转办, with a reason) from the task page."""
from __future__ import annotations

from sqlalchemy import case as when, func, select
from sqlalchemy.orm import Session

from engine.diagrams import definitions
from engine.accounts import users
from engine.confidential.access import visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.models import Case, Task, User
from engine.steps import SIGN_OFF

PERSON_TASKS = 50


def may_watch(session: Session, actor: Actor) -> bool:
    """Admins, and members of a group some type names to supervise its tasks (escalationGroup)."""
    return actor.has_role("admin") or bool(set(actor.groups) & definitions.supervising_groups(session))


def workload(ctx: EngineContext, session: Session, actor: Actor, person: str | None = None) -> dict:
    if not may_watch(session, actor):
        raise Forbidden("only supervisors and admins see the workload")
    if person is not None and (not isinstance(person, str) or not person or len(person) > 80):
        raise InvalidInput("name a colleague", {"assignee": "a username"})
    now = ctx.now()
    overdue = func.sum(when((Task.due_at < now, 1), else_=0))
    base = (select().select_from(Task).join(Case, Case.id == Task.case_id)
            .where(Task.state == "ready", visible_cases(actor)))
    people = session.execute(base.add_columns(Task.assignee, func.count(Task.id), overdue)
                             .where(Task.assignee.is_not(None)).group_by(Task.assignee).order_by(Task.assignee)).all()
    names = dict(session.execute(select(User.username, User.display_name)
                                 .where(User.username.in_([p[0] for p in people]))).all())
    groups = session.execute(base.add_columns(Task.candidate_group, func.count(Task.id),
                                              func.sum(when((Task.assignee.is_(None), 1), else_=0)), overdue)
                             .where(Task.candidate_group.is_not(None)).group_by(Task.candidate_group)
                             .order_by(Task.candidate_group)).all()
    out = {"as_of": to_iso(now),
           "people": [{"username": u, "display_name": names.get(u) or u, "open": n, "overdue": int(o or 0)}
                      for u, n, o in people],
           "groups": users.group_labels(session, [
               {"group": g, "candidate_group": g, "open": n, "unclaimed": int(free or 0), "overdue": int(o or 0)}
               for g, n, free, o in groups])}
    if person:
        rows = session.execute(select(Task.id, Task.name, Task.element_id, Task.due_at, Task.spiff_id,
                                      Case.number, Case.id.label("case_id"))
                               .join(Case, Case.id == Task.case_id)
                               .where(Task.assignee == person, Task.state == "ready", visible_cases(actor))
                               .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(PERSON_TASKS)).all()
        out["tasks_of"] = person
        out["tasks"] = [{"id": r.id, "name": r.name, "element_id": r.element_id, "case_id": r.case_id,
                         "case_number": r.number, "due_at": to_iso(aware(r.due_at)),
                         "overdue": bool(r.due_at and aware(r.due_at) < now),
                         "sign_off": r.spiff_id.startswith(SIGN_OFF)} for r in rows]
    return out
