"""One step of a case: run the workflow, then save everything it changed in the same transaction.

A step starts a case, completes a human task or fires timers. Service tasks run inside it
through `call_service`, which hands the registered handler a `HandlerContext` and collects the
effects it returns. `finish()` then writes the serialized workflow, the business fields, the
inbox rows, the timer rows, the complainant's messages and the audit events. If anything fails
the transaction rolls back and the case stays exactly as it was before the step.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from functools import cached_property

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import notifications, rows
from engine.confidential import access
from engine.oversight import audit
from engine.clocks import calendar_store, retime, task_alerts
from engine.diagrams import type_rules
from engine.clocks.clock import aware
from engine.context import EngineContext
from engine.diagrams.definitions import Definition
from engine.errors import InvalidInput, WorkflowFailed
from engine.handler_api import FieldRefused, HandlerContext, check_result
from engine.lookups import DatabaseLookups
from engine.models import Case, CaseExclusion, CaseMessage, OutboxMail, ProcessDefinition, Task, Timer
from engine.runtime import CaseRun
from engine.confidential.routing import lane_group, route_to_eligible, set_candidates
from engine.diagrams.run_budget import RunLimitExceeded

RESERVED_KEYS = ("lane_groups", "task_candidates")
SIGN_OFF = "signoff:"  # the spiff_id prefix of a sign-off row (加签): no task of the workflow
CASE_FIELDS = ("number", "confidential", "department", "category", "first_responsible")


def json_copy(value):
    """A deep copy of case data (JSON-like: dicts, lists and scalars), several times faster than
    copy.deepcopy on it; anything else is deep-copied as usual."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def parse_instant(value) -> datetime | None:
    """ISO text (with offset; naive text is read as UTC) to an aware UTC datetime."""
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


class CaseStep:
    """Runs one step of one case inside the caller's transaction.

    What the case's rows looked like before the step is known without reading them: its inbox
    rows come with the case when the caller loaded them together (`open_tasks`), and its timer
    and viewer rows mirror what the restored workflow and data say (every step keeps them so),
    so `finish()` writes only what changed."""

    def __init__(self, ctx: EngineContext, session: Session, case: Case, definition: ProcessDefinition | Definition,
                 actor: str, now: datetime, open_tasks: list[Task] | None = None, calendar=None):
        self.ctx, self.session, self.case = ctx, session, case
        self.definition = ctx.definitions.of(session, definition)
        self.actor, self.now = actor, now
        self.effects: list[tuple[str, dict, str]] = []  # (operator, its answer, the service task's element)
        self.run: CaseRun | None = None
        self.ready_rows: list[Task] = []  # the case's open inbox rows once the step is saved, oldest first
        self._open_tasks = open_tasks
        self._completed_before: set = set()  # SpiffWorkflow's task ids (UUIDs: no text made per task)
        self._timers_before: dict[str, datetime] = {}
        self._viewers_before: tuple | None = None
        self._viewer_rows_known = True  # the viewer rows are what _viewers_before says (each step keeps them so)
        self.started = False  # a new case: none of its rows exist yet
        if calendar is not None:  # read once for several steps of one transaction (the timer sweep)
            self.__dict__["calendar"] = calendar

    @cached_property
    def calendar(self):
        return calendar_store.current(self.ctx, self.session)

    @cached_property
    def lookups(self) -> DatabaseLookups:
        return DatabaseLookups(self.session, self.calendar, self.now, self.ctx.zone)

    # --- the workflow ------------------------------------------------------------------------
    def start(self, data: dict) -> None:
        self.started, self._open_tasks = True, []
        self.run = CaseRun.start(self.definition.spec, data, self.call_service)
        self._guard(lambda: self.run.run(self.now))

    def restore(self) -> None:
        self.run = CaseRun.restore(self.definition.spec, self.case.workflow_json, self.call_service)
        self._completed_before = self.run.completed_ids()
        self._timers_before = {t.spiff_id: t.due_at.astimezone(timezone.utc) for t in self.run.waiting_timers()}
        if not self.case.confidential:
            self._viewers_before = self._viewers(self.case.data or {}, self._ready_rows_before())

    def complete(self, spiff_id: str, data: dict) -> None:
        self._guard(lambda: self.run.complete(spiff_id, data, self.now))

    def deliver_message(self, name: str, payload: dict) -> bool:
        delivered = []
        self._guard(lambda: delivered.append(self.run.deliver_message(name, payload, self.now)))
        return delivered[0]

    def reopen_last_decision(self, data: dict) -> str | None:
        reopened = []
        self._guard(lambda: reopened.append(self.run.reopen_last_decision(data, self.now)))
        if reopened[0]:
            self.case.status, self.case.closed_at = "open", None
            self._restart_deadline_of(reopened[0])
            self.audit("case_reopened", {"reason": "new information from the complainant"}, reopened[0])
        return reopened[0]

    def _restart_deadline_of(self, element_id: str) -> None:
        """The decision taken again gets its full period again, counted from now (a re-triage of a
        pending report has its 2 working days, not the deadline of the first filing)."""
        human = next((t for t in self.run.ready_human_tasks() if t.element_id == element_id), None)
        name = human.properties.get("dueDateVariable") if human else None
        basis = (self.case.deadline_basis or {}).get(name) if name else None
        if not basis or "amount" not in basis:
            return
        fresh = {**basis, "from": self.now.isoformat(), "extra_working_days": 0, "extra_calendar_days": 0}
        due, provisional = retime.count(self.calendar, fresh)
        self.move_deadlines({name: due.isoformat()},
                            {**self.case.deadline_basis, name: {**fresh, "provisional": provisional}})

    def fire_timers(self) -> None:
        self._guard(lambda: self.run.fire_timers(self.now))

    def move_deadlines(self, changes: dict[str, str], bases: dict | None = None) -> None:
        """Give deadlines new values everywhere they live: the case row, the workflow data that
        `dueDateVariable` and timer expressions read, and timers already waiting (whose due time
        SpiffWorkflow cached when they were reached). `finish()` then moves inbox and timer rows."""
        old = dict(self.case.deadlines or {})
        moves = [(parse_instant(old[n]), parse_instant(v)) for n, v in changes.items() if parse_instant(old.get(n))]
        self.run.set_live_data(changes)
        self.run.move_timers(moves)
        self.case.deadlines = {**old, **changes}
        if bases is not None:
            self.case.deadline_basis = bases
            self.case.provisional_deadlines = retime.provisional_names(bases)

    def _guard(self, action) -> None:
        try:
            action()
        except (WorkflowTaskException, SpiffWorkflowException) as exc:
            task = getattr(exc, "task", None)
            element = getattr(getattr(task, "task_spec", None), "bpmn_id", None) or "?"
            details = {"case": self.case.number, "element_id": element}
            original, cause = _root_cause(exc), str(exc).split("\n")[0].strip().rstrip(".")
            if isinstance(original, FieldRefused):  # a person's entry refused: a field error, not a failure
                raise InvalidInput(original.en, {original.field: original.detail()}) from exc
            if original is not None:  # what the script or handler raised, stated once
                stated = f"{type(original).__name__}: {original}"
                cause = stated if str(original) in cause else f"{cause}: {stated}"
            if isinstance(original, RunLimitExceeded):
                details["limit"] = original.limit
            raise WorkflowFailed(f"case {self.case.number or self.case.id}, task {element}: {cause}", details) from exc

    def call_service(self, task, operator: str, params: dict) -> str:
        """Called by the script engine for every service task of this step."""
        handler = self.ctx.registry.get(operator)
        context = HandlerContext(
            case_id=self.case.id, case_type=self.case.type_key, number=self.case.number,
            data=json_copy(dict(task.data)), now=self.now, filed_by=self.case.filed_by,
            lookups=self.lookups, element_id=task.task_spec.bpmn_id or "")
        result = handler(context, params) or {}
        check_result(operator, result)
        data = dict(result.get("data") or {})
        data.update(result.get("deadlines") or {})
        for key, value in data.items():
            task.data[key] = json_copy(value)
        if result.get("case", {}).get("number"):
            self.case.number = result["case"]["number"]
        self.effects.append((operator, result, context.element_id))
        return json.dumps({k: v for k, v in result.items() if k in ("data", "deadlines")}, default=str)

    # --- saving ------------------------------------------------------------------------------
    def finish(self) -> None:
        run, case = self.run, self.case
        data = {k: v for k, v in run.current_data().items() if not k.startswith("spiff__")}
        for _, result, _ in self.effects:
            self._apply_case_fields(result)
        case.workflow_json = run.dump()
        case.data = data
        case.updated_at = self.now
        if run.is_completed():
            ends = run.end_events_reached()
            case.status = type_rules.case_status(self.definition.summary, ends)  # the end event's caseStatus
            case.closed_at = case.closed_at or self.now
        self._ready_after = run.ready_human_tasks()  # the workflow stays as it is while it is saved: walked once
        case.next_due = self._next_due(data)  # now, so the case row is written once
        rows.save(self.session, case)  # one UPDATE under its version (StaleDataError: saved meanwhile)
        for operator, result, element_id in self.effects:
            self._apply_side_effects(operator, result, element_id)
        self._record_path()
        self._sync_tasks(data)
        self._sync_timers()
        if not case.confidential:
            self._refresh_viewers(data)
        self.session.flush()

    def _apply_case_fields(self, result: dict) -> None:
        case = self.case
        fields = result.get("case") or {}
        for name in CASE_FIELDS:
            if name in fields:
                setattr(case, name, fields[name])
        if result.get("deadlines"):
            retime.record(case, result["deadlines"], self.lookups.bases)
            merged = dict(case.deadlines or {})
            merged.update(result["deadlines"])
            case.deadlines = merged

    def _apply_side_effects(self, operator: str, result: dict, element_id: str | None = None) -> None:
        case, session = self.case, self.session
        for username in sorted(set(result.get("exclude_users") or [])):
            if not access.is_excluded(session, case.id, username):
                session.add(CaseExclusion(case_id=case.id, username=username,
                                          reason=result.get("exclude_reason") or operator))
        if result.get("access") is not None:
            grant = result["access"]
            access.replace_viewers(session, case.id, grant.get("groups") or [], grant.get("users") or [])
            self._viewer_rows_known = False  # no longer what the restored case says: read them if written again
        for message in result.get("messages") or []:
            self.post_to_complainant(message.get("kind", "notice"), message["body"])
        for note in result.get("notifications") or []:
            notifications.deliver(self.ctx, session, case, note, self.now, self.actor,
                                  ready_tasks=None if self.started else self._ready_rows_before())
        detail = {k: result[k] for k in ("deadlines", "case") if result.get(k)}
        if result.get("exclude_users"):
            detail["excluded"] = len(result["exclude_users"])
        self.audit(f"service:{operator}", detail, element_id or None)  # the step's name tells it in the history
        for extra in result.get("audit") or []:
            self.audit(extra.get("kind", "note"), extra.get("detail") or {})

    def post_to_complainant(self, kind: str, body: str, author: str | None = None) -> None:
        """A message on the receipt page, and mail in the outbox when an address is known."""
        rows.add(self.session, CaseMessage(case_id=self.case.id, at=self.now, direction="to_complainant", kind=kind,
                                           body=body, author=None if self.case.confidential else author))
        email = self._complainant_email()
        if email:
            rows.add(self.session, OutboxMail(case_id=self.case.id, recipient_sealed=self.ctx.cipher.seal({"to": email}),
                                              subject=f"{self.case.number or ''}", body=body, created_at=self.now))

    def _complainant_email(self) -> str | None:
        if not self.case.personal_sealed:
            return None
        personal = self.ctx.cipher.open(self.case.personal_sealed)
        for name in ("complainant_email", "reporter_contact", "contact_email"):
            value = personal.get(name)
            if isinstance(value, str) and "@" in value:
                return value
        return None

    def audit(self, kind: str, detail: dict | None = None, element_id: str | None = None) -> None:
        audit.record(self.session, at=self.now, actor=self.actor, kind=kind, case_id=self.case.id,
                     element_id=element_id, detail=detail or {})

    def _record_path(self) -> None:
        for task_id, element_id, kind in self.run.completed_elements_since(self._completed_before):
            self.audit("element_completed", {"type": kind}, element_id)
            self._completed_before.add(task_id)

    # --- inbox and timer rows ------------------------------------------------------------------
    def _sync_tasks(self, data: dict) -> None:
        case, session = self.case, self.session
        summary = self.definition.summary
        # (sign-off rows, 加签, are no workflow tasks: engine.handing_on.signers keeps them)
        open_rows = {t.spiff_id: t for t in self._ready_rows_before() if not t.spiff_id.startswith(SIGN_OFF)}
        ready = {t.spiff_id: t for t in self._ready_after}
        for spiff_id, row in open_rows.items():
            if spiff_id not in ready:
                row.state = "cancelled" if row.completed_at is None and row.completed_by is None else "completed"
                row.stuck_since = None  # off the admins' list of stuck tasks
                if row.state == "cancelled":
                    self.audit("task_cancelled", {"task": row.id}, row.element_id)
                if row.candidates:  # a closed task offers itself to nobody (keeps the named inbox small)
                    set_candidates(session, row, row.candidates, offered=False)
                rows.save(session, row)
        for spiff_id, human in ready.items():
            if spiff_id in open_rows:
                row = open_rows[spiff_id]
                due = self._due_of(human, data, row)
                if aware(due) != aware(row.due_at):  # moved: its alert times follow (the calendar is read only then)
                    task_alerts.set_due(row, due, self.calendar, summary)
                continue
            meta = summary.get("user_tasks", {}).get(human.element_id, {})
            candidates = (data.get("task_candidates") or {}).get(human.element_id)
            row = Task(case_id=case.id, spiff_id=spiff_id, element_id=human.element_id, name=human.name,
                       lane=human.lane, candidate_group=resolve_group(human.lane, data, summary),
                       assignee=candidates[0] if candidates and len(candidates) == 1 else None,
                       state="ready", form_name=meta.get("form") or human.properties.get("formJsonSchemaFilename"),
                       created_at=self.now, stuck_since=None)  # known, so routing's "not stuck" writes nothing
            due = self._due_for(human, data)
            if due:
                task_alerts.set_due(row, due, self.calendar, summary)
            rows.add(session, row)
            if candidates:
                set_candidates(session, row, list(candidates))
            route_to_eligible(session, case, row, summary)
            self.audit("task_created", {"task": row.id, "group": row.candidate_group,
                                        "assignee": row.assignee}, human.element_id)
            open_rows[spiff_id] = row
        self.ready_rows = sorted((t for t in open_rows.values() if t.state == "ready"), key=lambda t: t.id)

    def _next_due(self, data: dict) -> datetime | None:
        open_rows = {t.spiff_id: t for t in self._ready_rows_before()}
        dues = [self._due_of(human, data, open_rows.get(human.spiff_id)) for human in self._ready_after]
        dues = [aware(d) for d in dues if d]
        return min(dues) if dues else None

    def _ready_rows_before(self) -> list[Task]:
        if self._open_tasks is None:
            self._open_tasks = list(self.session.scalars(
                select(Task).where(Task.case_id == self.case.id, Task.state == "ready")))
        return self._open_tasks

    def _due_for(self, human, data: dict) -> datetime | None:
        variable = human.properties.get("dueDateVariable")
        return parse_instant(data.get(variable)) if variable else None

    def _due_of(self, human, data: dict, row: Task | None) -> datetime | None:
        """A ready task's due time after the step: what its due variable says now, else what it was."""
        return self._due_for(human, data) or (row.due_at if row is not None else None)

    def _sync_timers(self) -> None:  # (Core statements built once: _TIMERS_*)
        """Timer rows by difference with the timers the workflow waited in before the step."""
        session, case, before = self.session, self.case, self._timers_before
        waiting = {t.spiff_id: t for t in self.run.waiting_timers()}
        gone = sorted(set(before) - set(waiting))
        if gone:
            session.execute(_TIMERS_FIRED, {"w_case": case.id, "gone": gone, "w_now": self.now})
            for state in list(session.identity_map.all_states()):  # rows the caller holds (the sweep's claim);
                if state.class_ is not Timer:
                    continue
                loaded = state.dict  # what is loaded only: an expired row reads the new value from the database
                if loaded.get("case_id") == case.id and loaded.get("spiff_id") in gone \
                        and "fired_at" in loaded and loaded["fired_at"] is None:
                    set_committed_value(state.obj(), "fired_at", self.now)
        new = []
        for spiff_id, timer in waiting.items():
            due = timer.due_at.astimezone(timezone.utc)
            if spiff_id not in before:
                new.append({"case_id": case.id, "spiff_id": spiff_id, "element_id": timer.element_id, "due_at": due})
            elif before[spiff_id] != due:
                session.execute(_TIMER_MOVED, {"w_case": case.id, "w_spiff": spiff_id, "w_due": due})
        if new:
            session.execute(_TIMERS_ADDED, new)

    def _viewers(self, data: dict, open_rows: list[Task]) -> tuple[list[str], list[str]]:
        """Who sees a case that is not confidential: its lanes' groups, the groups its diagram's
        properties put in charge (escalation, clock, extensions, sealed reading), who filed it and
        who answers for it, named candidates, and whoever holds or may take one of its open tasks
        (an admin may have reassigned one outside the lanes: kept for the step that closes it)."""
        summary = self.definition.summary
        lanes = set(summary.get("lanes") or [])
        groups = {g for g in (resolve_group(lane, data, summary) for lane in lanes) if g}
        groups = groups | type_rules.overseeing_groups(summary)
        users = [u for u in (self.case.filed_by, self.case.first_responsible) if u]
        for candidates in (data.get("task_candidates") or {}).values():
            users.extend(candidates or [])
        for row in open_rows:
            groups.update(g for g in (row.candidate_group,) if g)
            users.extend(u for u in [row.assignee, *(row.candidates or [])] if u)
        return sorted(groups), sorted(set(users))

    def _refresh_viewers(self, data: dict) -> None:
        viewers = self._viewers(data, [*self._ready_rows_before(), *self.ready_rows])
        if viewers != self._viewers_before:
            current = None  # unknown: read
            if self.started:
                current = set()
            elif self._viewers_before is not None and self._viewer_rows_known:
                groups, users = self._viewers_before
                current = {(g, None) for g in groups} | {(None, u) for u in users}
            access.replace_viewers(self.session, self.case.id, *viewers, current=current)


_TIMER = Timer.__table__
_TIMERS_FIRED = (_TIMER.update().where(_TIMER.c.case_id == bindparam("w_case"), _TIMER.c.fired_at.is_(None),
                                       _TIMER.c.spiff_id.in_(bindparam("gone", expanding=True)))
                 .values(fired_at=bindparam("w_now")))
_TIMER_MOVED = (_TIMER.update().where(_TIMER.c.case_id == bindparam("w_case"), _TIMER.c.fired_at.is_(None),
                                      _TIMER.c.spiff_id == bindparam("w_spiff")).values(due_at=bindparam("w_due")))
_TIMERS_ADDED = _TIMER.insert()


def resolve_group(lane: str | None, data: dict, summary: dict | None = None) -> str | None:
    """The candidate group of a lane for this case (engine.confidential.routing.lane_group)."""
    return lane_group(lane, data, summary)


def _root_cause(exc: BaseException) -> BaseException | None:
    """The error under SpiffWorkflow's wrappers (what the script or handler actually raised)."""
    seen = exc.__cause__ or exc.__context__
    while isinstance(seen, SpiffWorkflowException):
        seen = seen.__cause__ or seen.__context__
    return seen

