"""催办 and 督办 for tasks whose diagram draws no timer of its own.

PROCESSES.md: every open human task shows its due time, with a reminder before it and an
escalation at it. Where a diagram draws a boundary timer for one of them (investigate's reminder
and 督办, acceptance_review's escalation...), that timer does it. For the rest (review, triage,
reply, decision, acceptance_review's reminder, the report investigation's escalation...) the scheduler sends a reminder to the holder (else the candidates, else the
group) at the start of the last working day, and an escalation to the case's supervising group
once the due time has passed. Each alert is claimed with a conditional UPDATE, so two schedulers
never send one twice; paused and finished cases get none. Cost grows with due tasks only.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from . import calendar_store, notifications
from .clock import aware
from .context import EngineContext
from .models import Case, ProcessDefinition, Task
from .routing import escalation_group

REMIND_WINDOW = timedelta(days=15)  # a reminder is due at most this long before the deadline (holidays)


def send_due(ctx: EngineContext, as_of: datetime | None = None) -> int:
    """Send the reminders and escalations due at `as_of`; returns how many were sent."""
    as_of = as_of or ctx.now()
    sent = 0
    with ctx.db.transaction() as session:
        candidates = session.execute(
            select(Task, Case, ProcessDefinition).join(Case, Case.id == Task.case_id)
            .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
            .where(Task.state == "ready", Task.due_at.is_not(None), Case.status == "open", Case.paused_at.is_(None),
                   or_(and_(Task.escalated_at.is_(None), Task.due_at <= as_of),
                       and_(Task.reminded_at.is_(None), Task.due_at <= as_of + REMIND_WINDOW)))
            .order_by(Task.due_at)).all()
        calendar = calendar_store.current(ctx, session)
        for task, case, definition in candidates:
            drawn = (definition.summary.get("drawn_alerts") or {}).get(task.element_id) or []
            due = aware(task.due_at)
            if as_of >= due:
                if "escalation" not in drawn and _claim(session, task, "escalated_at", as_of):
                    sent += _notify(ctx, session, case, task, "escalation", as_of)
            elif "reminder" not in drawn and as_of >= calendar.working_days_before(due, 1) \
                    and _claim(session, task, "reminded_at", as_of):
                sent += _notify(ctx, session, case, task, "reminder", as_of)
    return sent


def _claim(session, task: Task, column: str, as_of: datetime) -> bool:
    """Take this alert for this scheduler: the UPDATE matches only while nobody has sent it."""
    done = session.execute(update(Task).where(Task.id == task.id, getattr(Task, column).is_(None))
                           .values({column: as_of})).rowcount
    return done == 1


def _notify(ctx: EngineContext, session, case: Case, task: Task, kind: str, as_of: datetime) -> int:
    label = "催办 / reminder: due soon" if kind == "reminder" else "督办 / escalation: overdue"
    note = {"kind": kind, "subject": f"{task.name} — {label}",
            "body": f"{case.number or ''} {task.name}: {label}"}
    if kind == "reminder":
        note["task"] = task.element_id
    else:
        note["to_group"] = escalation_group(case)
    notifications.deliver(ctx, session, case, note, as_of, "scheduler")
    return 1
