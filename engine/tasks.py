"""The inbox: list, claim, unclaim and complete human tasks.

Claims are a single conditional UPDATE (`assignee IS NULL`), so two staff claiming one task at
once get one 200 and one 409, on SQLite and PostgreSQL alike. Completing a task re-runs the
case and saves it under its version counter: a concurrent save of the same case fails with 409.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from . import audit, users
from .access import visible_cases
from .actors import Actor
from .clock import aware, to_iso
from .context import EngineContext
from .definitions import Definition
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .forms import validate_form
from .models import Case, CaseExclusion, ProcessDefinition, Task, User
from .routing import route_to_eligible
from .steps import CaseStep

DUE_SOON_HOURS = 24
RECUSED_SEPARATOR = "\x1f"  # the unit separator: never part of a username


def describe_task(task: Task, case: Case, definition: ProcessDefinition, now: datetime) -> dict:
    due = aware(task.due_at)
    form = (definition.summary.get("forms") or {}).get(task.form_name) if task.form_name else None
    return {"id": task.id, "case_id": case.id, "case_number": case.number, "type": case.type_key,
            "type_name": definition.name, "name": task.name, "element_id": task.element_id, "lane": task.lane,
            "candidate_group": task.candidate_group, "assignee": task.assignee, "state": task.state,
            "created_at": to_iso(aware(task.created_at)), "due_at": to_iso(due),
            "overdue": bool(due and task.state == "ready" and due < now),
            "due_soon": bool(due and task.state == "ready" and now <= due and (due - now).total_seconds() < DUE_SOON_HOURS * 3600),
            "completed_at": to_iso(aware(task.completed_at)), "completed_by": task.completed_by, "form": form}


def form_with_choices(session: Session, form: dict | None, case: Case) -> dict | None:
    """Fields that name staff (`x-options-group`) offer that group's members who are not recused
    from this case, so nobody types a username and nobody recused can be picked."""
    props = (form or {}).get("properties") or {}
    named = [n for n, p in props.items() if isinstance(p, dict) and p.get("x-options-group")]
    if not named:
        return form
    excluded = set(session.scalars(select(CaseExclusion.username).where(CaseExclusion.case_id == case.id)))
    form = copy.deepcopy(form)
    for name in named:
        prop = form["properties"][name]
        holder = prop["items"] if prop.get("type") == "array" and isinstance(prop.get("items"), dict) else prop
        eligible = [u for u in users.group_members(session, prop["x-options-group"]) if u not in excluded]
        names = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(eligible))).all())
        holder["enum"] = eligible
        holder["enumNames"] = [names.get(u) or u for u in eligible]
    return form


def _may_take(actor: Actor, task: Task) -> bool:
    if task.candidates:
        return actor.username in task.candidates
    return task.candidate_group in actor.groups


def list_tasks(ctx: EngineContext, session: Session, actor: Actor, scope: str) -> list[dict]:
    now = ctx.now()
    query = (select(Task, Case, ProcessDefinition).join(Case, Case.id == Task.case_id)
             .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
             .where(Task.state == "ready", visible_cases(actor)))
    if scope == "mine":
        query = query.where(Task.assignee == actor.username)
    elif scope == "available":
        query = query.where(Task.assignee.is_(None), or_(
            Task.candidate_group.in_(sorted(actor.groups)) if actor.groups else False,
            Task.candidates.is_not(None)))
    else:
        from .errors import InvalidInput

        raise InvalidInput("unknown scope", {"scope": "mine or available"})
    rows = session.execute(query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)).all()
    out = [describe_task(t, c, d, now) for t, c, d in rows if scope == "mine" or _may_take(actor, t)]
    out.sort(key=lambda t: (not t["overdue"], not t["due_soon"], t["due_at"] or "9999", t["id"]))
    return out


@dataclass
class Loaded:
    """A task with its case and definition, read in one statement, and what the reader may do."""

    task: Task
    case: Case
    definition: Definition
    visible: bool  # the case is visible to the reader (recusal included)
    excluded: bool  # the reader is recused from the case
    recused: set[str]  # everyone recused from the case
    open_tasks: list[Task]  # the case's ready inbox rows (when asked for)


def _load(ctx: EngineContext, session: Session, actor: Actor, task_id: int, with_open_tasks: bool = False,
          hidden_ok: bool = False) -> Loaded:
    """The task, its case (NotFound when the actor may not see it) and its definition (cached), in
    one statement; `with_open_tasks` (a step) brings the case's other ready rows and its workflow.
    The audit head comes along, so the call's events are appended without reading it again."""
    recused = (select(func.aggregate_strings(CaseExclusion.username, RECUSED_SEPARATOR))
               .where(CaseExclusion.case_id == Case.id).scalar_subquery())
    excluded = exists().where(CaseExclusion.case_id == Case.id, CaseExclusion.username == actor.username)
    wanted = Task.id == task_id
    if with_open_tasks:
        case_of_task = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
        wanted = or_(wanted, and_(Task.case_id == case_of_task, Task.state == "ready"))
    query = (select(Task, Case, visible_cases(actor).label("visible"), excluded.label("excluded"),
                    recused.label("recused"), *audit.head_columns())
             .join(Case, Case.id == Task.case_id).where(wanted))
    if not with_open_tasks:  # not a step: the workflow stays in the database
        query = query.options(defer(Case.workflow_json))
    rows = session.execute(query).all()
    mine = next((r for r in rows if r.Task.id == task_id), None)
    if mine is None:
        raise NotFound("no such task")
    if not mine.visible and not hidden_ok:
        raise NotFound("no such case")
    audit.note_head(session, mine.audit_head_seq, mine.audit_head_hash)
    return Loaded(mine.Task, mine.Case, ctx.definitions.get(session, mine.Case.definition_id), bool(mine.visible),
                  bool(mine.excluded), set(filter(None, (mine.recused or "").split(RECUSED_SEPARATOR))),
                  [r.Task for r in rows if r.Task.state == "ready"])


def get_task_form(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    """The task with its form (staff choices filled in), without its case."""
    return task_with_form(ctx, session, _load(ctx, session, actor, task_id))


def task_with_form(ctx: EngineContext, session: Session, found: Loaded) -> dict:
    out = describe_task(found.task, found.case, found.definition, ctx.now())
    out["form"] = form_with_choices(session, out["form"], found.case)
    return out


def claim_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    found = _load(ctx, session, actor, task_id, hidden_ok=True)
    task, case, definition = found.task, found.case, found.definition
    if found.excluded and not case.confidential:
        # Recused staff get the 403 the API promises, except on a confidential report: nothing about
        # it, not even that it exists, may reach the accused or anyone recused (404 as if missing).
        raise Forbidden("you are recused from this case and may not take its tasks")
    if not found.visible:
        raise NotFound("no such case")
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee == actor.username:
        return describe_task(task, case, definition, ctx.now())
    if not _may_take(actor, task):
        raise Forbidden("you are not a candidate for this task")
    now = ctx.now()
    claimed = session.execute(update(Task).where(
        Task.id == task.id, Task.state == "ready", Task.assignee.is_(None))
        .values(assignee=actor.username, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict("someone else holds this task")
    set_committed_value(task, "assignee", actor.username)
    set_committed_value(task, "claimed_at", now)
    audit.record(session, at=now, actor=actor.username, kind="task_claimed", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id})
    return describe_task(task, case, definition, now)


def unclaim_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    found = _load(ctx, session, actor, task_id)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    supervisor = "supervisor" in actor.groups or actor.has_role("admin")
    if task.assignee != actor.username and not supervisor:
        raise Forbidden("only the holder or a supervisor can hand this task back")
    if task.assignee is None:
        return describe_task(task, case, definition, ctx.now())
    now = ctx.now()
    held_by = task.assignee
    released = session.execute(update(Task).where(Task.id == task.id, Task.assignee == held_by)
                               .values(assignee=None, claimed_at=None)
                               .execution_options(synchronize_session=False)).rowcount
    if released != 1:
        raise Conflict("the task changed hands meanwhile; reload and try again")
    set_committed_value(task, "assignee", None)
    set_committed_value(task, "claimed_at", None)
    audit.record(session, at=now, actor=actor.username, kind="task_unclaimed", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "was_held_by": held_by})
    return describe_task(task, case, definition, now)


def complete_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int, data) -> dict:
    found = _load(ctx, session, actor, task_id, with_open_tasks=True)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username:
        raise Conflict("claim this task before completing it")
    form = form_with_choices(session, (definition.summary.get("forms") or {}).get(task.form_name), case)
    accepted = validate_form(form, data)
    now = ctx.now()
    step = CaseStep(ctx, session, case, definition, actor.username, now, open_tasks=found.open_tasks)
    step.restore()
    step.audit("task_completed", {"task": task.id, "data": accepted}, task.element_id)
    completed_by = {f"{task.element_id}_completed_by": actor.username}  # e.g. two different investigators
    if found.recused:  # later recusals (conflicts, self-recusal) reach the handlers that check choices
        completed_by["recused_users"] = sorted(found.recused | set((case.data or {}).get("recused_users") or []))
    try:
        step.complete(task.spiff_id, {**accepted, **completed_by})
    except LookupError:
        raise Conflict("this task is no longer open") from None
    task.completed_at, task.completed_by = now, actor.username  # after the run: the row is written once
    step.finish()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("the case was changed at the same time; reload and try again") from None
    return {"case_status": case.status, "case_number": case.number,
            "next_tasks": [describe_task(t, case, definition, now) for t in step.ready_rows]}


def recuse_from_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int, reason: str) -> dict:
    """自行回避: the holder (or a candidate) of a task steps aside from the whole case with a
    reason; the task goes back to its group, or up when nobody eligible is left."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) < 2 or len(reason) > 250:
        raise InvalidInput("give the reason for stepping aside", {"reason": "2 to 250 characters"})
    found = _load(ctx, session, actor, task_id)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username and not _may_take(actor, task):
        raise Forbidden("only the holder or a candidate of a task can step aside from it")
    now = ctx.now()
    session.add(CaseExclusion(case_id=case.id, username=actor.username, reason=f"自行回避 / self-recused: {reason}"))
    session.flush()
    audit.record(session, at=now, actor=actor.username, kind="recused_self", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "reason": reason})
    for row in session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id)):
        route_to_eligible(session, case, row, definition.summary, now=now)
    session.refresh(task)
    return {"task": task.id, "case_number": case.number, "recused": True,
            "candidate_group": task.candidate_group, "assignee": task.assignee}
