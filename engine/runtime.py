"""Everything that touches SpiffWorkflow objects at run time lives here; callers get plain data.

`CaseRun` wraps one live workflow for the length of one step: start or restore it, complete a
human task, fire due timers, and read back ready tasks, waiting timers, the path taken and the
case data. The spec is serialized once per definition version and kept out of each case's JSON;
it is parsed once per process (`parse_spec`, cached with the definition) and shared by every run
of that version, since SpiffWorkflow keeps all run state on the workflow and its tasks.
"""
from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Iterator
from uuid import UUID
from contextlib import contextmanager

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.handler_api import unstorable
from engine.diagrams.run_budget import RunLimitExceeded, run_budget
from engine.diagrams.script_env import CaseScriptEngine

_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("complaintflow_now", default=None)


class _ClockedDatetime(datetime):
    """SpiffWorkflow's timers ask `datetime.now()`; this answers with the engine's clock."""

    @classmethod
    def now(cls, tz=None):
        instant = _now.get() or datetime.now(timezone.utc)
        return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)


def install_clock_hook() -> None:
    """Route SpiffWorkflow's timer clock through `_now` (idempotent; called when an engine is built)."""
    spiff_timer.datetime = _ClockedDatetime


@contextmanager
def clock_at(instant: datetime) -> Iterator[None]:
    token = _now.set(instant)
    try:
        yield
    finally:
        _now.reset(token)


class _InstanceConverter(BpmnWorkflowConverter):
    """A case's workflow is stored without its spec (which lives on the definition row): writing
    the spec out at every save only to drop it again cost as much as the rest of the dump."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


@contextmanager
def bounded_step(instant: datetime) -> Iterator[None]:
    """One step of a case: the engine's clock at `instant`, and one run budget (engine.diagrams.run_budget)
    shared by every script, condition, timer expression and DMN cell the step evaluates."""
    with clock_at(instant), run_budget():
        yield


def run_engine_steps(workflow: BpmnWorkflow) -> None:
    """SpiffWorkflow's run loop, counting each element it runs against the step's budget (a
    diagram looping through gateways forever, or a process calling itself, stops there), and
    refusing a decision (DMN) whose result a case could not store."""
    def count(task) -> None:
        try:
            budget.engine_step(task.workflow.depth)
        except RunLimitExceeded as exc:
            culprit = task
            if exc.limit == "call_depth":  # name the call activity that opened one level too many
                culprit = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
            raise WorkflowTaskException(f"{type(exc).__name__}: {exc}", task=culprit, exception=exc) from exc

    def storable(task) -> None:
        if not isinstance(task.task_spec, BusinessRuleTaskMixin):
            return
        try:
            problem = unstorable(budget.expanded(task.data))
        except RunLimitExceeded as exc:
            raise WorkflowTaskException(f"{type(exc).__name__}: {exc}", task=task, exception=exc) from exc
        if problem:
            raise WorkflowTaskException(f"the decision gave a {problem}, which a case cannot store", task=task)

    with run_budget() as budget:  # the step's own (bounded_step), or a fresh one
        workflow.do_engine_steps(will_complete_task=count, did_complete_task=storable)


@lru_cache(maxsize=1)
def serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _InstanceConverter}))


def serialize_spec(spec, subprocess_specs: dict) -> str:
    """The spec of a definition version, stored once on the definition row."""
    s = serializer()
    return json.dumps({
        "spec": s.to_dict(spec),
        "subprocess_specs": {name: s.to_dict(sub) for name, sub in subprocess_specs.items()},
    })


@dataclass(frozen=True)
class ParsedSpec:
    """A definition version's spec, deserialized: read-only, shared by every run of the version."""

    spec: object
    subprocess_specs: dict


def parse_spec(spec_json: str) -> ParsedSpec:
    specs = json.loads(spec_json)
    s = serializer()
    return ParsedSpec(s.from_dict(specs["spec"]),
                      {name: s.from_dict(sub) for name, sub in specs["subprocess_specs"].items()})


def element_names(spec: ParsedSpec) -> dict[str, str]:
    """Element id -> the name the diagram gives it (for telling a case's history), in the main
    process and its subprocesses; unnamed elements are left out."""
    names: dict[str, str] = {}
    for process in (spec.spec, *spec.subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            bpmn_id, name = getattr(task_spec, "bpmn_id", None), getattr(task_spec, "bpmn_name", None)
            if bpmn_id and name:
                names.setdefault(bpmn_id, name)
    return names


@dataclass
class HumanTask:
    spiff_id: str
    element_id: str
    name: str
    lane: str | None
    properties: dict


@dataclass
class WaitingTimer:
    spiff_id: str
    element_id: str
    due_at: datetime


ServiceCaller = Callable[[object, str, dict], str]


class CaseRun:
    """One live workflow for the length of one step."""

    def __init__(self, workflow: BpmnWorkflow):
        self.workflow = workflow

    # --- creating and storing ---------------------------------------------------------------
    @classmethod
    def start(cls, spec: ParsedSpec, data: dict, service_caller: ServiceCaller) -> "CaseRun":
        workflow = BpmnWorkflow(spec.spec, dict(spec.subprocess_specs), script_engine=CaseScriptEngine(service_caller))
        start_task = workflow.get_next_task(state=TaskState.READY)
        if start_task is not None:
            start_task.set_data(**data)
        workflow.data.update(data)
        return cls(workflow)

    @classmethod
    def restore(cls, spec: ParsedSpec, instance_json: str, service_caller: ServiceCaller) -> "CaseRun":
        instance = json.loads(instance_json)
        # the serializer hands objects it does not know back as they are: the parsed spec is reused
        instance.update(spec=spec.spec, subprocess_specs=dict(spec.subprocess_specs))
        workflow = serializer().from_dict(instance)
        workflow.script_engine = CaseScriptEngine(service_caller)
        return cls(workflow)

    def dump(self) -> str:
        """The instance JSON without the spec (which lives on the definition row)."""
        s = serializer()
        dct = s.to_dict(self.workflow)
        dct[s.VERSION_KEY] = s.VERSION
        return json.dumps(dct)

    # --- moving ------------------------------------------------------------------------------
    def run(self, now: datetime) -> None:
        with bounded_step(now):
            run_engine_steps(self.workflow)

    def complete(self, spiff_id: str, data: dict, now: datetime) -> None:
        task = self._task(spiff_id)
        if task.state != TaskState.READY:
            raise LookupError(f"task {spiff_id} is not ready")
        task.set_data(**data)
        with bounded_step(now):
            task.run()
            run_engine_steps(self.workflow)

    def fire_timers(self, now: datetime) -> None:
        """Let every timer due at `now` fire, then run on."""
        with bounded_step(now):
            self.workflow.refresh_timers()
            run_engine_steps(self.workflow)

    def set_live_data(self, values: dict) -> None:
        """Overwrite data keys in every unfinished task (a moved deadline must be read by the
        gateways, `dueDateVariable`s and timers still ahead, not only by the current task)."""
        for task in self.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            for key, value in values.items():
                task.data[key] = value

    def move_timers(self, moves: list[tuple[datetime, datetime]]) -> int:
        """Rewrite the due time SpiffWorkflow cached on waiting timers (`event_value`): a timer
        due at `old` becomes due at `new`. Returns how many moved."""
        moved = 0
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            if not isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
                continue
            value = task._get_internal_data("event_value")
            if not isinstance(value, str):
                continue
            due = TimerEventDefinition.get_datetime(value)
            due = due if due.tzinfo else due.replace(tzinfo=timezone.utc)
            for old, new in moves:
                if due == old:
                    task._set_internal_data(event_value=new.astimezone(timezone.utc).isoformat())
                    moved += 1
                    break
        return moved

    def reopen_last_decision(self, data: dict, now: datetime) -> str | None:
        """Take a finished case back to the last human decision it made (a report stored pending
        is triaged again when the reporter brings new information); returns that element id."""
        decisions = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                     if t.task_spec.manual and getattr(t.task_spec, "bpmn_id", None)]
        if not decisions:
            return None
        last = max(decisions, key=lambda t: t.last_state_change)
        with bounded_step(now):
            self.workflow.reset_from_task_id(last.id)
            self.workflow.completed = False
            last.data.update(data)
            run_engine_steps(self.workflow)
        return last.task_spec.bpmn_id

    def deliver_message(self, name: str, payload: dict, now: datetime) -> bool:
        """Hand a message (e.g. the complainant's answer) to a catch event waiting for it."""
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, MessageEventDefinition) and event.name == name:
                with bounded_step(now):
                    self.workflow.catch(BpmnEvent(event, payload=payload))
                    run_engine_steps(self.workflow)
                return True
        return False

    def waiting_messages(self) -> list[str]:
        return sorted({t.task_spec.event_definition.name for t in self.workflow.get_tasks(state=TaskState.WAITING)
                       if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)})

    # --- reading -----------------------------------------------------------------------------
    def ready_human_tasks(self) -> list[HumanTask]:
        out = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            props = dict(getattr(spec, "extensions", {}).get("properties", {}) or {})
            out.append(HumanTask(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                                 spec.lane, props))
        return out

    def waiting_timers(self) -> list[WaitingTimer]:
        out = []
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if not isinstance(event, TimerEventDefinition):
                continue
            value = task._get_internal_data("event_value")
            if isinstance(value, dict):
                value = value.get("next")
            if not value:
                continue
            due = TimerEventDefinition.get_datetime(value) if not isinstance(value, datetime) else value
            out.append(WaitingTimer(str(task.id), task.task_spec.bpmn_id or task.task_spec.name, due))
        return out

    def task_data(self, spiff_id: str) -> dict:
        return dict(self._task(spiff_id).data)

    def current_data(self) -> dict:
        """The case data as it stands: the freshest task data, or the workflow's when finished."""
        if self.workflow.is_completed():
            return dict(self.workflow.data) or self._latest_completed_data()
        data: dict = {}
        live = self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        for task in sorted(live, key=lambda t: t.last_state_change):
            data.update(task.data)
        return data or self._latest_completed_data()

    def completed_elements(self) -> list[tuple[str, str, str]]:
        """(spiff id, element id, kind) of every completed BPMN element, oldest first."""
        done = self.workflow.get_tasks(state=TaskState.COMPLETED)
        out = []
        for task in sorted(done, key=lambda t: t.last_state_change):
            spec = task.task_spec
            if getattr(spec, "bpmn_id", None):
                out.append((str(task.id), spec.bpmn_id, type(spec).__name__))
        return out

    def completed_ids(self) -> set:
        """SpiffWorkflow's ids (UUIDs) of the completed BPMN elements."""
        return {t.id for t in self.workflow.get_tasks(state=TaskState.COMPLETED) if getattr(t.task_spec, "bpmn_id", None)}

    def completed_elements_since(self, before: set) -> list[tuple[object, str, str]]:
        """(SpiffWorkflow id, element id, kind) of the BPMN elements completed that are not in
        `before` (`completed_ids()` earlier), oldest first."""
        done = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if t.id not in before and getattr(t.task_spec, "bpmn_id", None)]
        return [(t.id, t.task_spec.bpmn_id, type(t.task_spec).__name__) for t in sorted(done, key=lambda t: t.last_state_change)]

    def steps_taken(self) -> list[tuple[str, str]]:
        """(from element, to element) for every completed or waiting element whose nearest BPMN
        ancestor in the task tree is known: the sequence flows the case went along."""
        live = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED
        pairs = set()
        for task in self.workflow.get_tasks(state=live):
            target = getattr(task.task_spec, "bpmn_id", None)
            parent = task.parent
            while parent is not None and not getattr(parent.task_spec, "bpmn_id", None):
                parent = parent.parent
            if target and parent is not None:
                pairs.add((parent.task_spec.bpmn_id, target))
        return sorted(pairs)

    def active_elements(self) -> list[str]:
        active = self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        return sorted({t.task_spec.bpmn_id for t in active if getattr(t.task_spec, "bpmn_id", None)})

    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    def end_events_reached(self) -> list[str]:
        done = self.workflow.get_tasks(state=TaskState.COMPLETED)
        ends = [t for t in done if isinstance(t.task_spec, EndEvent) and t.workflow is self.workflow]
        return [t.task_spec.bpmn_id for t in sorted(ends, key=lambda t: t.last_state_change)]

    def _task(self, spiff_id: str):
        task = self.workflow.get_task_from_id(UUID(spiff_id))
        if task is None:
            raise LookupError(f"no task {spiff_id}")
        return task

    def _latest_completed_data(self) -> dict:
        done = self.workflow.get_tasks(state=TaskState.COMPLETED)
        if not done:
            return {}
        return dict(max(done, key=lambda t: t.last_state_change).data)
