"""转办 transfer (the task becomes the other person's) and 委派 delegate (they work it, then hand
it back to the holder, who completes it). Each is one conditional UPDATE on the task row, so two
staff acting on one task at once get one success and one 409."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.oversight import audit
from engine.confidential import routing
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden
from engine.models import Task
from engine.tasks import describe_task
from engine.handing_on.people import check_target, in_circle, load_for_operation, notify, stated




def _move(session: Session, task: Task, held_by: str | None, was_delegated_by: str | None, values: dict) -> None:
    """Give the task new hands if it still is as it was read; else someone acted first (409)."""
    holder = Task.assignee.is_(None) if held_by is None else Task.assignee == held_by
    delegation = Task.delegated_by.is_(None) if was_delegated_by is None else Task.delegated_by == was_delegated_by
    moved = session.execute(update(Task).where(Task.id == task.id, Task.state == "ready", holder, delegation)
                            .values(**values).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Conflict("the task changed hands meanwhile; reload and try again")
    for name, value in values.items():
        set_committed_value(task, name, value)


def transfer(ctx: EngineContext, session: Session, actor: Actor, task_id: int, to, reason) -> dict:
    """转办: the holder (or a supervisor, for any open task) hands the task to someone in the case's circle."""
    reason = stated(reason)
    found = load_for_operation(ctx, session, actor, task_id)
    task, case = found.task, found.case
    if task.state != "ready":
        raise Conflict("this task is already completed")
    holds = task.assignee == actor.username and not task.delegated_by
    if not holds and not routing.supervises(actor, case, found.definition.summary, task.lane):
        raise Forbidden("only the holder or a supervisor can transfer this task")
    to = check_target(session, case, actor, to)
    if to == task.assignee:
        raise Conflict(f"{to} already holds this task")
    now = ctx.now()
    held_by = task.assignee
    _move(session, task, held_by, task.delegated_by, {"assignee": to, "claimed_at": now, "delegated_by": None})
    audit.record(session, at=now, actor=actor.username, kind="task_transferred", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "from": held_by, "to": to, "reason": reason})
    notify(session, case, now, f"{task.name}: 已转办给您 / transferred to you", reason, username=to)
    return describe_task(task, case, found.definition, now) | {"delegated_by": None}


def delegate(ctx: EngineContext, session: Session, actor: Actor, task_id: int, to, reason) -> dict:
    """委派: the holder asks a colleague in the case's circle to work the task; it comes back."""
    reason = stated(reason)
    found = load_for_operation(ctx, session, actor, task_id)
    task, case = found.task, found.case
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username or task.delegated_by:
        raise Forbidden("only the holder can delegate this task")
    to = check_target(session, case, actor, to)
    now = ctx.now()
    _move(session, task, actor.username, None, {"assignee": to, "delegated_by": actor.username})
    audit.record(session, at=now, actor=actor.username, kind="task_delegated", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "to": to, "reason": reason})
    notify(session, case, now, f"{task.name}: 委派给您办理 / delegated to you", reason, username=to)
    return describe_task(task, case, found.definition, now) | {"delegated_by": actor.username}


def hand_back(ctx: EngineContext, session: Session, actor: Actor, task_id: int, note) -> dict:
    """The delegate has done the work: the task returns to the holder who delegated it (to its
    group, if that holder may no longer handle the case)."""
    note = stated(note, "note", 1, 2000)
    found = load_for_operation(ctx, session, actor, task_id)
    task, case = found.task, found.case
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username or not task.delegated_by:
        raise Forbidden("only the colleague a task was delegated to can hand it back")
    owner = task.delegated_by
    now = ctx.now()
    back_to = owner if in_circle(session, case.id, owner) else None
    _move(session, task, actor.username, owner,
          {"assignee": back_to, "delegated_by": None, "claimed_at": now if back_to else None})
    audit.record(session, at=now, actor=actor.username, kind="task_delegation_returned", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "to": back_to, "note": note})
    if back_to:
        notify(session, case, now, f"{task.name}: 委派已办完，请办结 / delegated work done: please complete",
               note, username=back_to)
    return describe_task(task, case, found.definition, now) | {"delegated_by": None}
