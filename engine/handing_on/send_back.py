"""退回 send back: the case returns to an earlier completed step of the same path.

Which steps may be returned to is the diagram's word: a user task carrying the property
`returnable` = "true". The workflow is reset to that step's latest run (SpiffWorkflow's
`reset_from_task_id`): the tasks after it are cancelled, their timers dropped, and the step is
offered again to whoever did it before (to its group when they may no longer handle the case).
Deadlines: the case's own stand (its period keeps running, extensions granted stay); a step
marked `restartDeadlineOnReturn` = "true" gets its full period again, counted from now.
"""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.context import EngineContext
from engine.diagrams.definitions import Definition
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import Task
from engine.runtime import bounded_step, run_engine_steps
from engine.steps import CaseStep
from engine.handing_on.people import in_circle, load_for_operation, notify, stated
from engine.handing_on.signers import withdraw_with

RETURNABLE = "returnable"
RESTARTS = "restartDeadlineOnReturn"


def _properties(spec) -> dict:
    return dict((getattr(spec, "extensions", {}) or {}).get("properties", {}) or {})


def returnable_elements(definition: Definition) -> dict[str, str]:
    """{element id: name} of the diagram's steps marked returnable (read from the cached spec)."""
    out = {}
    specs = [definition.spec.spec, *definition.spec.subprocess_specs.values()]
    for process in specs:
        for spec in process.task_specs.values():
            if _properties(spec).get(RETURNABLE) == "true" and getattr(spec, "bpmn_id", None):
                out[spec.bpmn_id] = spec.bpmn_name or spec.bpmn_id
    return out


def send_back_choices(session: Session, definition: Definition, task: Task) -> list[dict]:
    """The returnable steps this case has completed (the send-back form's choices), latest first."""
    marked = returnable_elements(definition)
    if not marked or task.state != "ready":
        return []
    rows = session.execute(select(Task.element_id, Task.completed_by).where(
        Task.case_id == task.case_id, Task.state == "completed", Task.element_id.in_(sorted(marked)))
        .order_by(Task.id.desc())).all()
    seen: dict[str, dict] = {}
    for element_id, by in rows:
        if element_id != task.element_id and element_id not in seen:
            seen[element_id] = {"element_id": element_id, "name": marked[element_id], "completed_by": by}
    return list(seen.values())


def _earlier_run(workflow, current_spiff_id: str, element_id: str):
    """The latest completed run of `element_id` that the current task descends from (same path)."""
    current = workflow.get_task_from_id(UUID(current_spiff_id))
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if getattr(t.task_spec, "bpmn_id", None) == element_id and current.is_descendant_of(t)]
    return max(done, key=lambda t: t.last_state_change) if done else None


def send_back(ctx: EngineContext, session: Session, actor: Actor, task_id: int, to, reason) -> dict:
    reason = stated(reason)
    if not isinstance(to, str) or not to or len(to) > 200:
        raise InvalidInput("name the step to send the case back to", {"to": "an element id"})
    found = load_for_operation(ctx, session, actor, task_id, with_open_tasks=True)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username or task.delegated_by:
        raise Forbidden("only the holder can send the case back")
    marked = returnable_elements(definition)
    if to not in marked:
        raise InvalidInput("this step cannot be returned to", {"to": "not a step the diagram lets cases return to"})
    now = ctx.now()
    step = CaseStep(ctx, session, case, definition, actor.username, now, open_tasks=found.open_tasks)
    step.restore()
    workflow = step.run.workflow
    earlier = _earlier_run(workflow, task.spiff_id, to)
    if earlier is None:
        raise InvalidInput("the case has not passed this step on its way here", {"to": "not an earlier step of this path"})
    data = {**dict(workflow.get_task_from_id(UUID(task.spiff_id)).data), **(case.deadlines or {}),
            "sent_back": {"from": task.element_id, "by": actor.username, "reason": reason}}
    step.audit("task_sent_back", {"task": task.id, "to": to, "reason": reason}, task.element_id)

    def reset() -> None:
        with bounded_step(now):
            workflow.reset_from_task_id(earlier.id, data)
            workflow.completed = False
            run_engine_steps(workflow)

    step._guard(reset)
    if _properties(earlier.task_spec).get(RESTARTS) == "true":
        step._restart_deadline_of(to)
    step.finish()
    withdraw_with(session, task)
    returned = next((r for r in step.ready_rows if r.element_id == to), None)
    if returned is not None:
        _offer_to_previous_handler(session, case, returned, now)
    session.flush()
    return {"case_number": case.number, "case_status": case.status, "sent_back_to": to,
            "next_tasks": [{"id": r.id, "element_id": r.element_id, "name": r.name, "assignee": r.assignee,
                            "candidate_group": r.candidate_group} for r in step.ready_rows]}


def _offer_to_previous_handler(session: Session, case, row: Task, now) -> None:
    """The returned step goes to whoever completed it last, when they may still handle the case."""
    before = session.scalars(select(Task.completed_by).where(
        Task.case_id == case.id, Task.element_id == row.element_id, Task.state == "completed")
        .order_by(Task.id.desc()).limit(1)).first()
    if before and not row.assignee and in_circle(session, case.id, before):
        row.assignee, row.claimed_at = before, now
    if row.assignee:
        notify(session, case, now, f"{row.name}: 已退回，请重新办理 / sent back: please do it again",
               username=row.assignee)
    elif row.candidate_group:
        notify(session, case, now, f"{row.name}: 已退回 / sent back", group=row.candidate_group)
