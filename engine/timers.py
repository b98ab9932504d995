"""Firing due timers: each case is claimed, fired through its workflow and saved in ONE transaction.

Why one transaction: a scheduler killed mid-run leaves nothing half-done and nothing claimed —
its transaction rolls back, the rows stay unfired, and the next run (of any scheduler) fires
them. Exactly once: on PostgreSQL the case row is locked `FOR UPDATE SKIP LOCKED` before its due
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
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from . import audit
from .context import EngineContext
from .errors import WorkflowFailed
from .models import Case, Timer
from .steps import CaseStep

log = logging.getLogger(__name__)
BATCH = 200


def due_cases(ctx: EngineContext, as_of: datetime, skip: set[int]) -> list[int]:
    """Cases owning unfired timers due at `as_of`, most overdue first (read only, no claim)."""
    with ctx.db.transaction() as session:
        query = (select(Timer.case_id, Timer.due_at).join(Case, Case.id == Timer.case_id)
                 .where(Timer.fired_at.is_(None), Timer.due_at <= as_of, Case.paused_at.is_(None),
                        Case.status == "open")
                 .order_by(Timer.due_at).limit(BATCH))
        if skip:
            query = query.where(Timer.case_id.not_in(sorted(skip)))
        seen: list[int] = []
        for case_id, _ in session.execute(query):
            if case_id not in seen:
                seen.append(case_id)
        return seen


def fire_due(ctx: EngineContext, as_of: datetime | None = None, worker: str | None = None) -> int:
    """Fire every timer due at `as_of` (default: now), including timers that become due as a
    result (a reminder and a deadline due at the same instant); returns how many fired."""
    as_of = as_of or ctx.now()
    worker = worker or f"worker-{uuid.uuid4().hex[:12]}"
    fired, tried = 0, set()
    while True:
        case_ids = due_cases(ctx, as_of, tried)
        if not case_ids:
            return fired
        for case_id in case_ids:
            count = _fire_case(ctx, case_id, as_of, worker)
            if count == 0:
                tried.add(case_id)  # nothing fired for it (taken by another scheduler, or failed)
            fired += count


def _claim(ctx: EngineContext, session, case_id: int, as_of: datetime, worker: str) -> list[Timer]:
    due = (Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.due_at <= as_of)
    if ctx.db.is_sqlite:
        session.execute(update(Timer).where(*due).values(claimed_by=worker, claimed_at=ctx.now()))
        return list(session.scalars(select(Timer).where(*due, Timer.claimed_by == worker)))
    # The case first: its timers fire together in one step, so two schedulers must never split
    # them (each locking some rows of one case, then firing all of them through the workflow).
    # A case another scheduler or a user's step holds is passed over until the next run.
    if session.scalar(select(Case.id).where(Case.id == case_id).with_for_update(skip_locked=True)) is None:
        return []
    rows = list(session.scalars(select(Timer).where(*due).with_for_update()))
    for row in rows:
        row.claimed_by, row.claimed_at = worker, ctx.now()
    return rows


def _fire_case(ctx: EngineContext, case_id: int, as_of: datetime, worker: str) -> int:
    try:
        with ctx.db.transaction() as session:
            mine = _claim(ctx, session, case_id, as_of, worker)
            if not mine:
                return 0
            case = session.get(Case, case_id)
            if case.status != "open" or case.paused_at is not None:
                return 0
            definition = ctx.definitions.get(session, case.definition_id)  # cached: no spec read per timer
            # SpiffWorkflow fires a timer strictly after its due time; "due at as_of" must fire.
            step = CaseStep(ctx, session, case, definition, "scheduler", as_of + timedelta(microseconds=1))
            step.restore()
            step.fire_timers()
            step.finish()
            fired = [t for t in mine if t.fired_at is not None]
            for t in fired:
                step.audit("timer_fired", {"due_at": t.due_at.isoformat(), "by": worker}, t.element_id)
            for t in mine:
                if t.fired_at is None:  # the workflow did not consider it due: leave it for later
                    t.claimed_by, t.claimed_at = None, None
                    log.warning("timer %s of case %s was due by its row but not by its workflow", t.id, case_id)
            case.failure = None
            return len(fired)
    except StaleDataError:  # someone saved the case meanwhile (a user, another scheduler): next tick
        log.info("case %s changed while its timers fired; retrying later", case_id)
        return 0
    except WorkflowFailed as exc:
        log.warning("timer step failed: %s", exc.message)
        _record_failure(ctx, case_id, exc.message)
        return 0
    except Exception as exc:  # a handler's malformed answer, a bug: this case only, the sweep goes on
        log.exception("timer step of case %s failed", case_id)
        _record_failure(ctx, case_id, f"{type(exc).__name__}: {exc}"[:1000])
        return 0


def _record_failure(ctx: EngineContext, case_id: int, message: str) -> None:
    """The failed step rolled back whole: the case keeps its state and its timers stay unfired
    (and unclaimed), so the next run tries again. The failure shows on the case, and is audited
    once per distinct error rather than at every run."""
    try:
        with ctx.db.transaction() as session:
            case = session.get(Case, case_id)
            if case is None or case.failure == message:
                return
            case.failure = message
            audit.record(session, at=ctx.now(), actor="scheduler", kind="step_failed", case_id=case_id,
                         detail={"error": message})
    except StaleDataError:  # the case moved meanwhile; the next run meets the error again if it stays
        log.info("case %s changed while its timer failure was recorded", case_id)
