"""催办 and 督办 for tasks whose diagram draws no timer of its own.

PROCESSES.md: every open human task shows its due time, with a reminder before it and an
escalation at it. Where a diagram draws a boundary timer for one of them (a timer with the
property `alertKind` reminder or escalation, read at deploy into the summary's `drawn_alerts`),
that timer does it. For the rest the scheduler sends a reminder to the holder (else the
candidates, else the group) at the start of the last working day, and an escalation to the
case's supervising group (the diagram's `escalationGroup`; none: the task's own group) once the
due time has passed.

When is stored, not computed by the sweep: `set_due` gives an inbox row its `remind_at` and
`escalate_at` whenever its due time is set or moved (NULL where the diagram draws that alert),
and `reschedule_reminders` recounts `remind_at` when the working calendar changes. The sweep
then reads only rows whose alert time has come, through the (state, sent, at) indexes, in
batches of BATCH per transaction. Each alert is claimed with a conditional UPDATE, so two
schedulers never send one twice; paused and finished cases get none.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, tuple_, update
from sqlalchemy.orm import load_only

from engine import notifications
from engine.clocks import calendar_store
from engine.clocks.calendar import WorkingCalendar
from engine.clocks.clock import aware
from engine.context import EngineContext
from engine.models import OPEN_TASK, Case, Task
from engine.confidential.routing import escalation_group

REMIND_WINDOW = timedelta(days=15)  # a reminder is due at most this long before the deadline (holidays)
BATCH = 200
ALERTS = {"reminder": (Task.remind_at, Task.reminded_at), "escalation": (Task.escalate_at, Task.escalated_at)}


def remind_time(calendar: WorkingCalendar, due: datetime) -> datetime:
    """00:00 of the last working day before the deadline, at most REMIND_WINDOW before it."""
    return max(calendar.working_days_before(due, 1), due - REMIND_WINDOW)


def set_due(task: Task, due: datetime | None, calendar: WorkingCalendar, summary: dict) -> None:
    """Give an inbox row its due time and the times of the alerts the diagram does not draw.
    Every writer of `Task.due_at` goes through here."""
    due = aware(due)
    drawn = (summary.get("drawn_alerts") or {}).get(task.element_id) or []
    task.due_at = due
    task.remind_at = remind_time(calendar, due) if due and "reminder" not in drawn else None
    task.escalate_at = due if due and "escalation" not in drawn else None


def reschedule_reminders(ctx: EngineContext) -> int:
    """The working calendar changed: recount the reminder time of every unsent reminder, in
    batches. Returns how many moved."""
    moved, after = 0, 0
    while True:
        with ctx.db.transaction() as session:
            calendar = calendar_store.current(ctx, session)
            rows = session.execute(
                select(Task.id, Task.due_at, Task.remind_at).where(
                    Task.state == "ready", Task.reminded_at.is_(None), Task.remind_at.is_not(None), Task.id > after)
                .order_by(Task.id).limit(BATCH)).all()
            for task_id, due, remind_at in rows:
                fresh = remind_time(calendar, aware(due))
                if fresh != aware(remind_at):
                    session.execute(update(Task).where(Task.id == task_id).values(remind_at=fresh))
                    moved += 1
        if len(rows) < BATCH:
            return moved
        after = rows[-1][0]


def send_due(ctx: EngineContext, as_of: datetime | None = None) -> int:
    """Send the reminders and escalations due at `as_of`; returns how many were sent."""
    as_of = as_of or ctx.now()
    return sum(_sweep(ctx, kind, as_of) for kind in ("escalation", "reminder"))


def _sweep(ctx: EngineContext, kind: str, as_of: datetime) -> int:
    """One kind of alert, BATCH rows per transaction in (alert time, id) order."""
    at, sent_at = ALERTS[kind]
    sent, after = 0, None
    while True:
        with ctx.db.transaction() as session:
            # walked from the pending alerts' index in send order, each case looked at as it comes
            running = exists().where(Case.id == Task.case_id, Case.status == "open", Case.paused_at.is_(None))
            query = (select(at, Task.id)
                     .where(OPEN_TASK, sent_at.is_(None), at.is_not(None), at <= as_of, running)
                     .order_by(at, Task.id).limit(BATCH))
            if after is not None:
                query = query.where(tuple_(at, Task.id) > after)
            due = session.execute(query).all()
            for _, task_id in due:
                sent += _send(ctx, session, task_id, kind, as_of)
        if len(due) < BATCH:
            return sent
        after = tuple(due[-1])


def _send(ctx: EngineContext, session, task_id: int, kind: str, as_of: datetime) -> int:
    """Claim this alert for this scheduler (the UPDATE matches only while nobody has sent it),
    then notify. A reminder whose deadline has passed unsent is dropped: the escalation speaks."""
    at, sent_at = ALERTS[kind]
    task = session.get(Task, task_id)
    if kind == "reminder" and aware(task.due_at) <= as_of:
        session.execute(update(Task).where(Task.id == task_id, sent_at.is_(None)).values(remind_at=None))
        return 0
    claimed = session.execute(update(Task).where(Task.id == task_id, sent_at.is_(None))
                              .values({sent_at.key: as_of})).rowcount
    if claimed != 1:
        return 0
    case = session.scalars(select(Case).options(load_only(Case.id, Case.number, Case.type_key, Case.data, Case.definition_id))
                           .where(Case.id == task.case_id)).one()
    label = "催办 / reminder: due soon" if kind == "reminder" else "督办 / escalation: overdue"
    note = {"kind": kind, "subject": f"{task.name} — {label}",
            "body": f"{case.number or ''} {task.name}: {label}"}
    if kind == "reminder":
        note["task"] = task.element_id
    else:
        supervising = escalation_group(case, ctx.definitions.get(session, case.definition_id).summary, task.lane)
        note["to_group"] = supervising or task.candidate_group
        if not note["to_group"]:
            note["task"] = task.element_id
    notifications.deliver(ctx, session, case, note, as_of, "scheduler")
    return 1
