"""Tasks stuck without an eligible holder, and the admins' way out: reassign.

Routing (engine.confidential.routing.route_to_eligible) stamps `stuck_since` on a task when nobody may take
it: its lane, the escalation group and (on a case that is not confidential) the admins are all
exhausted or it was handed to the admins as a last resort. Disabling an account re-routes what
it held or was the last one able to take. Admins list those tasks (oldest first, keyset paged
through `ix_task_stuck`) and reassign each to a user or a group, with a reason, audited.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.accounts import users
from engine.confidential.access import visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Rejected
from engine.models import FREE_FOR_GROUP, Case, CaseViewer, Notification, ProcessDefinition, StaffGroup, Task, TaskCandidate, User
from engine.confidential.routing import recused_from, route_to_eligible, set_candidates

COLUMNS = (Task.id, Task.case_id, Task.name, Task.element_id, Task.lane, Task.candidate_group, Task.candidates,
           Task.assignee, Task.created_at, Task.due_at, Task.stuck_since, Case.number, Case.type_key,
           Case.confidential, ProcessDefinition.name.label("type_name"))


def _require_admin(actor: Actor) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("only admins see and reassign stuck tasks")


def list_stuck(ctx: EngineContext, session: Session, actor: Actor, limit: int | None = None,
               cursor: str | None = None) -> dict:
    """One page of open tasks nobody eligible may take, longest stuck first."""
    _require_admin(actor)
    n = paging.check_limit(limit)
    after = paging.decode("tasks:stuck", cursor, (datetime, int))
    # only ready rows carry a stuck time (routing sets it on ready rows; claiming, reassigning and
    # leaving the ready state clear it), so the partial index alone answers, in list order
    stuck = (Task.stuck_since.is_not(None),)
    query = (select(*COLUMNS).join(Case, Case.id == Task.case_id)
             .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id).where(*stuck))
    if after is not None:
        query = query.where(tuple_(Task.stuck_since, Task.id) > after)
    rows = session.execute(query.order_by(Task.stuck_since, Task.id).limit(n + 1)).all()
    total, estimate = paging.capped_count(session, [select(Task.id).where(*stuck)])
    nxt = paging.encode("tasks:stuck", (aware(rows[n - 1].stuck_since), rows[n - 1].id)) if len(rows) > n else None
    return paging.answer(users.group_labels(session, [_item(r) for r in rows[:n]]), nxt, total, estimate)


def _item(row) -> dict:
    return {"id": row.id, "case_id": row.case_id, "case_number": row.number, "type": row.type_key,
            "type_name": row.type_name, "name": row.name, "element_id": row.element_id, "lane": row.lane,
            "candidate_group": row.candidate_group, "candidates": row.candidates or [], "assignee": row.assignee,
            "confidential": row.confidential, "created_at": to_iso(aware(row.created_at)),
            "due_at": to_iso(aware(row.due_at)), "stuck_since": to_iso(aware(row.stuck_since))}


def reassign(ctx: EngineContext, session: Session, actor: Actor, task_id: int, to_user: str | None,
             to_group: str | None, reason: str) -> dict:
    """Give a task to one user (who holds it at once) or to a group (whose members may claim it)."""
    _require_admin(actor)
    details = {}
    reason = reason.strip() if isinstance(reason, str) else ""
    if not 2 <= len(reason) <= 250:
        details["reason"] = "say why, in 2 to 250 characters"
    to_user = to_user.strip() if isinstance(to_user, str) and to_user.strip() else None
    to_group = to_group.strip() if isinstance(to_group, str) and to_group.strip() else None
    if bool(to_user) == bool(to_group):
        details["to_user" if to_user else "to"] = "give either to_user or to_group"
    if details:
        raise InvalidInput("the reassignment is incomplete", details)
    found = session.execute(select(Task, Case).join(Case, Case.id == Task.case_id).where(Task.id == task_id)).first()
    if found is None:
        raise NotFound("no such task")
    task, case = found
    if task.state != "ready":
        raise Conflict("this task is no longer open")
    recused = recused_from(session, case.id)
    now = ctx.now()
    before = {"from_group": task.candidate_group, "from_assignee": task.assignee, "from_candidates": task.candidates}
    if to_user:
        _check_user(session, case, to_user, recused)
        set_candidates(session, task, [to_user])
        task.assignee, task.claimed_at = to_user, now
    else:
        _check_group(session, case, to_group, recused)
        task.candidate_group, task.assignee, task.claimed_at = to_group, None, None
        set_candidates(session, task, None)
    task.stuck_since = None
    if not case.confidential:  # whoever may take it sees the case (a confidential one's circle was checked)
        _add_viewer(session, case.id, to_user, to_group)
    audit.record(session, at=now, actor=actor.username, kind="task_reassigned", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, **before, "to_user": to_user,
                                                     "to_group": to_group, "reason": reason})
    session.add(Notification(kind="assignment", case_id=case.id, username=to_user, group_name=to_group,
                             created_at=now, body=reason,
                             subject=f"{case.number or ''} {task.name}: 已指派给您 / assigned to you"))
    session.flush()
    return {"id": task.id, "case_id": case.id, "case_number": case.number, "name": task.name,
            "candidate_group": task.candidate_group, "candidates": task.candidates or [],
            "assignee": task.assignee, "stuck_since": None}


def _add_viewer(session: Session, case_id: int, username: str | None, group: str | None) -> None:
    listed = select(CaseViewer.id).where(CaseViewer.case_id == case_id,
                                         CaseViewer.username == username if username else CaseViewer.group_name == group)
    if session.scalar(listed.limit(1)) is None:
        session.add(CaseViewer(case_id=case_id, username=username, group_name=group))


def _check_user(session: Session, case: Case, username: str, recused: set[str]) -> None:
    if not session.scalar(select(User.id).where(User.username == username, User.active.is_(True))):
        raise InvalidInput("no such active user", {"to_user": f"no active user {username!r}"})
    if username in recused:
        raise InvalidInput("that user is recused from this case", {"to_user": "recused from this case"})
    if case.confidential and not _may_see(session, case, username):
        raise Rejected("a confidential case's circle is never widened: choose someone who already handles it",
                       {"to_user": "outside this confidential case's need-to-know circle"})


def _check_group(session: Session, case: Case, group: str, recused: set[str]) -> None:
    if not session.scalar(select(StaffGroup.name).where(StaffGroup.name == group)):
        raise InvalidInput("no such group", {"to_group": f"no group {group!r}"})
    members = [u for u in users.group_members(session, group) if u not in recused]
    if case.confidential:
        members = [u for u in members if _may_see(session, case, u)]
    if not members:
        raise Rejected("nobody in that group may take this task (no active member who is not recused"
                       + (" and already handles this confidential case" if case.confidential else "") + ")",
                       {"to_group": "nobody eligible in this group"})


def _may_see(session: Session, case: Case, username: str) -> bool:
    person = users.load_actor(session, username)
    return person is not None and bool(session.scalar(select(Case.id).where(Case.id == case.id,
                                                                              visible_cases(person))))


def reroute_after_leaving(ctx: EngineContext, session: Session, username: str, now: datetime) -> int:
    """A disabled account leaves the tasks it held or was named on, and a group it was the last
    active member of: each is routed again (up to the escalation group, the admins, or the stuck
    list). Reads that account's tasks and its groups' tasks through their indexes. Returns how many."""
    held = list(session.scalars(select(Task).where(Task.assignee == username, Task.state == "ready")))
    named = list(session.scalars(select(Task).where(Task.state == "ready", Task.id.in_(
        select(TaskCandidate.task_id).where(TaskCandidate.username == username)))))
    orphaned_groups = [g for g in users.user_groups(session, username) if not users.group_members(session, g)]
    grouped = list(session.scalars(select(Task).where(FREE_FOR_GROUP, Task.candidate_group.in_(orphaned_groups)))) \
        if orphaned_groups else []
    touched = {t.id: t for t in [*held, *named, *grouped]}
    for task in held:
        session.execute(update(Task).where(Task.id == task.id).values(assignee=None, claimed_at=None)
                        .execution_options(synchronize_session=False))
        task.assignee, task.claimed_at = None, None
        audit.record(session, at=now, actor="system", kind="task_unclaimed", case_id=task.case_id,
                     element_id=task.element_id, detail={"task": task.id, "reason": "account disabled"})
    for task in sorted(touched.values(), key=lambda t: t.id):
        case = session.get(Case, task.case_id)
        route_to_eligible(session, case, task, ctx.definitions.get(session, case.definition_id).summary, now=now)
    return len(touched)

