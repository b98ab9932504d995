"""Helpers for the clock tests (no tests here): instants in Shanghai, firing timers through the
CLI, reading notifications and timer rows, and an independent working-day count."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import select

from engine.models import Notification, Timer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def end_of(day: date) -> str:
    """24:00 of a Shanghai day as the engine stores it (UTC ISO)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(timezone.utc).isoformat()


def start_of(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc).isoformat()


def official_working_days_after(day: date, n: int) -> date:
    """Independent count straight from chinese_calendar: the nth working day after `day`."""
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def fire(runner, clock, instant: datetime) -> int:
    """`timers fire --as-of` at an instant, with the app's clock moved there too."""
    clock.set(instant)
    result = runner.invoke(args=["timers", "fire", "--as-of", instant.isoformat()])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[0])


def notes(engine, case_id: int) -> list[tuple[str, str, str]]:
    """(kind, recipient, subject) of a case's notifications, oldest first."""
    with engine.ctx.db.transaction() as s:
        rows = s.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
        return [(n.kind, n.username or f"group:{n.group_name}", n.subject) for n in rows]


def pending_timers(engine, case_id: int) -> dict[str, str]:
    """element id -> due (UTC ISO) of the case's unfired timers."""
    with engine.ctx.db.transaction() as s:
        rows = s.scalars(select(Timer).where(Timer.case_id == case_id, Timer.fired_at.is_(None)))
        return {t.element_id: (t.due_at if t.due_at.tzinfo else t.due_at.replace(tzinfo=timezone.utc))
                .astimezone(timezone.utc).isoformat() for t in rows}


def open_elements(engine, case_id: int) -> list[str]:
    case = engine.get_case(engine.actor_for("auditor1"), case_id)
    return sorted(t["element_id"] for t in case["open_tasks"])
