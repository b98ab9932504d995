"""Carrying a running case over to another version of its diagram (SpiffWorkflow's own helpers).

SpiffWorkflow 3.2 aligns the old spec with the new one (`diff_workflow`: by element id, then by
the shape of the flow around an element whose id changed) and re-points a workflow's tasks
(`migrate_workflow`), re-predicting the ready and waiting branches from the new diagram. Those
helpers have edge cases, so every move here is checked before it is accepted: the case may move
only when each step it is waiting on exists in the target with the same kind of element, every
called process it is inside is still there, no finished step would lose its element, and the
moved workflow survives a save and reload under the target. A waiting timer keeps the due time
it already had when its element did not change (the case's clock has run since it was reached).

Only plain data leaves this module: `MoveCheck(movable, reason, ...)`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from datetime import datetime

from engine.runtime import CaseRun, ParsedSpec, bounded_step, serializer

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MoveCheck:
    """Whether one case can move, and why not (a sentence naming the element)."""

    movable: bool
    reason: str | None = None
    moved_elements: list[str] = field(default_factory=list)  # the active steps it carries over


def _label(spec) -> str:
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"{bpmn_id} ({name})" if name and name != bpmn_id else bpmn_id


def _kind(spec) -> str:
    return type(spec).__name__


def check_and_move(run: CaseRun, target: ParsedSpec, target_version: int, now: datetime) -> MoveCheck:
    """Move `run`'s workflow onto `target` in memory when it can move (the caller saves it, or
    throws it away for a dry run); the reason when it cannot. `now` is the engine's clock: the
    re-predicted branches evaluate their timers and conditions at that instant, within one run
    budget, as any step does."""
    workflow = run.workflow
    if workflow.is_completed():
        return MoveCheck(False, "the case has already ended")
    if workflow.spec.name != target.spec.name:
        return MoveCheck(False, f"version {target_version} runs another process ({target.spec.name}, "
                                f"not {workflow.spec.name})")
    registry = serializer().registry
    try:
        top_diff, sub_diffs = diff_workflow(registry, workflow, target.spec, dict(target.subprocess_specs))
    except Exception as exc:  # the aligner raises plain errors on shapes it does not follow
        return MoveCheck(False, f"the two versions cannot be aligned: {exc}")

    problem = _blocking_step(workflow, top_diff, target_version)
    if problem:
        return MoveCheck(False, problem)
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            if not sub.is_completed():
                return MoveCheck(False, f"it is inside the called process {sub.spec.name}, "
                                        f"which version {target_version} does not have")
            continue
        problem = _blocking_step(sub, sub_diff, target_version)
        if problem:
            return MoveCheck(False, problem)

    active = sorted({getattr(t.task_spec, "bpmn_id", None) or t.task_spec.name
                     for t in workflow.get_tasks(state=ACTIVE) if getattr(t.task_spec, "bpmn_id", None)})
    timers = _waiting_timer_values(workflow, top_diff)
    try:
        with bounded_step(now):
            _move(workflow, target, top_diff, sub_diffs)
        for task in workflow.get_tasks(state=TaskState.WAITING):
            if task.id in timers:
                task._set_internal_data(event_value=timers[task.id])
        _reloads(run, target)
    except Exception as exc:
        return MoveCheck(False, f"the workflow cannot be carried over: {exc}")
    return MoveCheck(True, None, active)


def _move(workflow, target: ParsedSpec, top_diff, sub_diffs: dict) -> None:
    """SpiffWorkflow's migration of the top workflow and each called process it is in."""
    migrate_workflow(top_diff, workflow, target.spec)
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is not None:
            sub = workflow.subprocesses[sub_id]
            migrate_workflow(sub_diff, sub, target.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = dict(target.subprocess_specs)


def _blocking_step(workflow, diff, target_version: int) -> str | None:
    """Why the aligned workflow cannot move: a step it waits on is gone or became another kind
    of element, or a finished step has no element in the target."""
    for task in diff.removed:
        if not getattr(task.task_spec, "bpmn_id", None):
            continue  # an engine-internal step (a join, the process end) follows the new diagram
        if task.has_state(ACTIVE):
            return (f"its active step {_label(task.task_spec)} does not exist in version {target_version}")
        if task.has_state(TaskState.COMPLETED):
            return (f"its finished step {_label(task.task_spec)} does not exist in version {target_version}, "
                    f"so its history cannot be carried over")
    for task in workflow.get_tasks(state=ACTIVE):
        new = diff.alignment.get(task)
        if new is not None and _kind(new) != _kind(task.task_spec):
            return (f"it waits on {_label(task.task_spec)}, which is a {_kind(new)} in version {target_version} "
                    f"(was a {_kind(task.task_spec)})")
    return None


def _waiting_timer_values(workflow, diff) -> dict:
    """The cached due times of waiting timers whose element did not change: kept across the move."""
    kept = {}
    changed = set(diff.changed)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition) and task not in changed:
            value = task._get_internal_data("event_value")
            if value is not None:
                kept[task.id] = value
    return kept


def _reloads(run: CaseRun, target: ParsedSpec) -> None:
    """The moved workflow must save and load under the target spec (what the next step does)."""
    CaseRun.restore(target, run.dump(), run.workflow.script_engine.service_caller)
