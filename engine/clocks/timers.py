"""Firing due timers: a batch of cases claimed, each fired through its workflow, and saved in
ONE transaction, every case inside its own savepoint.

Why one transaction: a scheduler killed mid-run leaves nothing half-done and nothing claimed —
its transaction rolls back, the rows stay unfired, and the next run (of any scheduler) fires
them. Why batches: what a step costs besides its workflow — the claim, reading the case and its
inbox rows, the calendar, the chain head, the commit (an fsync on SQLite) — is paid once for up
to STEP_BATCH cases instead of once per case. A case whose step fails rolls back to its
savepoint alone: its timers stay unfired (and unclaimed), the failure is noted on the case, and
the other cases of the batch are saved. The batch is kept small so a writer never waits long.

Exactly once: on PostgreSQL the case rows are locked `FOR UPDATE SKIP LOCKED` before their due
timer rows, so a second scheduler passes over a case being fired and, once it commits, finds the
rows fired (locking the timer rows alone let two schedulers split one case's timers); on
SQLite the claim is a conditional UPDATE inside a write transaction (SQLite has one writer at a
time). Under both, the case row's version counter refuses a second save of the same state.

Cost grows with due timers, not with cases: candidates come from the (fired_at, due_at) index,
and only the cases owning them are loaded. A paused case's timers wait until it resumes.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine.oversight import audit
from engine.clocks import calendar_store
from engine.context import EngineContext
from engine.errors import WorkflowFailed
from engine.models import Case, Task, Timer
from engine.steps import CaseStep

log = logging.getLogger(__name__)
STEP_BATCH = 25  # cases fired per transaction (SQLite's write lock is held that long: ~5 ms a case)


def _due_case_ids(session, as_of: datetime, skip: set[int]) -> list[int]:
    """Cases owning unfired timers due at `as_of`, most overdue first."""
    query = (select(Timer.case_id, Timer.due_at).join(Case, Case.id == Timer.case_id)
             .where(Timer.fired_at.is_(None), Timer.due_at <= as_of, Case.paused_at.is_(None),
                    Case.status == "open")
             .order_by(Timer.due_at).limit(STEP_BATCH * 4))
    if skip:
        query = query.where(Timer.case_id.not_in(sorted(skip)))
    seen: list[int] = []
    for case_id, _ in session.execute(query):
        if case_id not in seen:
            seen.append(case_id)
            if len(seen) == STEP_BATCH:
                break
    return seen


def fire_due(ctx: EngineContext, as_of: datetime | None = None, worker: str | None = None) -> int:
    """Fire every timer due at `as_of` (default: now), including timers that become due as a
    result (a reminder and a deadline due at the same instant); returns how many fired."""
    as_of = as_of or ctx.now()
    worker = worker or f"worker-{uuid.uuid4().hex[:12]}"
    fired, tried = 0, set()
    while True:
        with ctx.db.transaction() as session:
            case_ids = _due_case_ids(session, as_of, tried)
            if not case_ids:
                return fired
            fired += _fire_batch(ctx, session, case_ids, as_of, worker, tried)


def _claim(ctx: EngineContext, session, case_ids: list[int], as_of: datetime, worker: str) -> dict[int, list[Timer]]:
    """The due timer rows of these cases this worker now holds, by case."""
    due = (Timer.fired_at.is_(None), Timer.due_at <= as_of)
    if not ctx.db.is_sqlite:
        # The cases first: a case's timers fire together in one step, so two schedulers must never
        # split them (each locking some rows of one case, then firing all of them through the
        # workflow). A case another scheduler or a user's step holds is passed over until the next run.
        case_ids = list(session.scalars(select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id)
                                        .with_for_update(skip_locked=True)))
        if not case_ids:
            return {}
    session.execute(update(Timer).where(Timer.case_id.in_(case_ids), *due).values(claimed_by=worker, claimed_at=ctx.now())
                    .execution_options(synchronize_session=False))
    rows = session.scalars(select(Timer).where(Timer.case_id.in_(case_ids), *due, Timer.claimed_by == worker)
                           .order_by(Timer.id))
    mine: dict[int, list[Timer]] = defaultdict(list)
    for row in rows:
        mine[row.case_id].append(row)
    return mine


def _fire_batch(ctx: EngineContext, session, case_ids: list[int], as_of: datetime, worker: str,
                tried: set[int]) -> int:
    """Fire the claimed timers of these cases, each case in a savepoint; returns how many fired.
    Cases that fired nothing (taken by another scheduler, changed meanwhile, failed) go to `tried`."""
    claimed = _claim(ctx, session, case_ids, as_of, worker)
    tried.update(c for c in case_ids if c not in claimed)
    if not claimed:
        return 0
    ids = sorted(claimed)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    open_tasks: dict[int, list[Task]] = defaultdict(list)
    for task in session.scalars(select(Task).where(Task.case_id.in_(ids), Task.state == "ready").order_by(Task.id)):
        open_tasks[task.case_id].append(task)
    # The chain head and the calendar stamp, once for the batch: each case's events are then
    # appended in one statement, and the calendar is read only when an edit moved its stamp.
    noted = session.execute(select(*audit.head_columns(), calendar_store.stamp_column())).one()
    audit.note_head(session, noted.audit_head_seq, noted.audit_head_hash)
    calendar_store.note_stamp(session, noted.calendar_stamp)
    calendar = calendar_store.current(ctx, session)
    fired = 0
    for case_id in case_ids:
        if case_id not in claimed:
            continue
        count = _fire_case(ctx, session, cases[case_id], claimed[case_id], open_tasks[case_id], calendar,
                           as_of, worker)
        if count == 0:
            tried.add(case_id)  # nothing fired for it (not due by its workflow, changed, or failed)
        fired += count
    return fired


def _fire_case(ctx: EngineContext, session, case: Case, mine: list[Timer], open_tasks: list[Task], calendar,
               as_of: datetime, worker: str) -> int:
    if case.status != "open" or case.paused_at is not None:
        _release(mine)
        return 0
    events_before = len(session.info.get(audit.PENDING, []))
    savepoint = session.begin_nested()
    try:
        definition = ctx.definitions.get(session, case.definition_id)  # cached: no spec read per timer
        # SpiffWorkflow fires a timer strictly after its due time; "due at as_of" must fire.
        step = CaseStep(ctx, session, case, definition, "scheduler", as_of + timedelta(microseconds=1),
                        open_tasks=open_tasks, calendar=calendar)
        step.restore()
        step.fire_timers()
        step.finish()
        fired = [t for t in mine if t.fired_at is not None]
        for t in fired:
            step.audit("timer_fired", {"due_at": t.due_at.isoformat(), "by": worker}, t.element_id)
        for t in mine:
            if t.fired_at is None:  # the workflow did not consider it due: leave it for later
                t.claimed_by, t.claimed_at = None, None
                log.warning("timer %s of case %s was due by its row but not by its workflow", t.id, case.id)
        if case.failure is not None:  # (assigning None again would dirty the saved case: a flush for nothing)
            case.failure = None
        savepoint.commit()
        return len(fired)
    except StaleDataError:  # someone saved the case meanwhile (a user, another scheduler): next tick
        _undo(session, savepoint, events_before, mine)
        log.info("case %s changed while its timers fired; retrying later", case.id)
        return 0
    except WorkflowFailed as exc:
        _undo(session, savepoint, events_before, mine)
        log.warning("timer step failed: %s", exc.message)
        _record_failure(ctx, session, case, exc.message)
        return 0
    except Exception as exc:  # a handler's malformed answer, a bug: this case only, the sweep goes on
        _undo(session, savepoint, events_before, mine)
        log.exception("timer step of case %s failed", case.id)
        _record_failure(ctx, session, case, f"{type(exc).__name__}: {exc}"[:1000])
        return 0


def _undo(session, savepoint, events_before: int, mine: list[Timer]) -> None:
    """The case's step rolls back whole: its rows, its audit events not yet written, its claim."""
    if savepoint.is_active:
        savepoint.rollback()
    del session.info.setdefault(audit.PENDING, [])[events_before:]
    _release(mine)


def _release(mine: list[Timer]) -> None:
    for t in mine:
        t.claimed_by, t.claimed_at = None, None


def _record_failure(ctx: EngineContext, session, case: Case, message: str) -> None:
    """The failed step rolled back whole: the case keeps its state and its timers stay unfired
    (and unclaimed), so the next run tries again. The failure shows on the case, and is audited
    once per distinct error rather than at every run (in its own savepoint: a case that moved
    meanwhile meets the error again at the next run if it stays)."""
    events_before = len(session.info.get(audit.PENDING, []))
    try:
        with session.begin_nested():
            session.refresh(case)
            if case.failure == message:
                return
            case.failure = message
            audit.record(session, at=ctx.now(), actor="scheduler", kind="step_failed", case_id=case.id,
                         detail={"error": message})
    except StaleDataError:
        del session.info.setdefault(audit.PENDING, [])[events_before:]
        log.info("case %s changed while its timer failure was recorded", case.id)
