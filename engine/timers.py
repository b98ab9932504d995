"""Firing due timers: claim rows, fire them through the workflow, save; exactly once.

A tick claims due, unfired rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL; a conditional UPDATE
on SQLite), then handles each case in its own transaction. A claim older than `STALE_CLAIM`
is taken over, so a scheduler killed mid-run loses nothing. Cost grows with due timers only.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from . import audit
from .context import EngineContext
from .errors import WorkflowFailed
from .models import Case, ProcessDefinition, Timer
from .steps import CaseStep

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=5)
BATCH = 200


def claim_due(ctx: EngineContext, as_of: datetime, worker: str) -> list[int]:
    """Claim due timers; returns the ids of the cases to step."""
    now = ctx.now()
    claimable = (Timer.fired_at.is_(None), Timer.due_at <= as_of,
                 or_(Timer.claimed_at.is_(None), Timer.claimed_at < now - STALE_CLAIM))
    with ctx.db.transaction() as session:
        query = select(Timer.id).where(*claimable).order_by(Timer.due_at).limit(BATCH)
        if not ctx.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(update(Timer).where(Timer.id.in_(ids), *claimable)
                        .values(claimed_by=worker, claimed_at=now))
        return sorted(set(session.scalars(select(Timer.case_id).where(
            Timer.id.in_(ids), Timer.claimed_by == worker))))


def fire_due(ctx: EngineContext, as_of: datetime | None = None, worker: str | None = None) -> int:
    """Fire every timer due at `as_of` (default: now); returns how many timers fired."""
    as_of = as_of or ctx.now()
    worker = worker or f"worker-{uuid.uuid4().hex[:12]}"
    fired = 0
    while True:
        case_ids = claim_due(ctx, as_of, worker)
        if not case_ids:
            return fired
        this_round = sum(_fire_case(ctx, case_id, as_of, worker) for case_id in case_ids)
        if this_round == 0:
            return fired
        fired += this_round


def _fire_case(ctx: EngineContext, case_id: int, as_of: datetime, worker: str) -> int:
    try:
        with ctx.db.transaction() as session:
            case = session.get(Case, case_id)
            mine = list(session.scalars(select(Timer).where(
                Timer.case_id == case_id, Timer.claimed_by == worker, Timer.fired_at.is_(None))))
            if not mine or case.status != "open":
                for t in mine:
                    t.fired_at = as_of
                return 0
            definition = session.get(ProcessDefinition, case.definition_id)
            # SpiffWorkflow fires a timer strictly after its due time; "due at as_of" must fire.
            step = CaseStep(ctx, session, case, definition, "scheduler", as_of + timedelta(microseconds=1))
            step.restore()
            step.fire_timers()
            step.finish()
            fired = [t for t in mine if t.fired_at is not None]
            for t in fired:
                step.audit("timer_fired", {"due_at": t.due_at.isoformat()}, t.element_id)
            for t in mine:
                if t.fired_at is None:  # claimed but not yet due for the workflow: release it
                    t.claimed_by, t.claimed_at = None, None
            case.failure = None
            return len(fired)
    except WorkflowFailed as exc:
        log.warning("timer step failed: %s", exc.message)
        with ctx.db.transaction() as session:
            case = session.get(Case, case_id)
            case.failure = exc.message
            audit.record(session, at=ctx.now(), actor="scheduler", kind="step_failed", case_id=case_id,
                         detail={"error": exc.message})
        return 0
