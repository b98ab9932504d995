"""Time limits as the diagrams need them: ISO text with an offset, computed by the case calendar.

Every deadline is computed here (never in a diagram) because the rules are legal ones: working
days follow the Chinese calendar with adjusted weekends, and the day of the event does not count
(民法典 Art. 201-203). The arithmetic itself lives in the engine's calendar behind
`ctx.lookups`; this module only says *which* limit runs from *which* moment, and renders the
result as text a timer event and a `dueDateVariable` can read.

Operator `deadlines.set` lets a process owner give an uploaded diagram a deadline without code.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.handler_api import HandlerContext, HandlerRegistry

# Only used to *display* a deadline in a message to a person; the computation itself is the
# calendar's, in the organisation's zone.
DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def iso(instant: datetime) -> str:
    """ISO 8601 with an explicit offset (timers read naive text as local time, so never naive)."""
    if instant.tzinfo is None:
        raise ValueError("a deadline must be an aware datetime")
    return instant.astimezone(timezone.utc).isoformat()


def parse_instant(value: object) -> datetime | None:
    """An aware datetime from ISO text (or a datetime); None for nothing or nonsense."""
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str) and value.strip():
        try:
            instant = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def parse_day(value: object) -> date | None:
    """A calendar date from a form's `YYYY-MM-DD` (or a full timestamp); None when absent or bad."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def during(day: date) -> datetime:
    """An instant inside `day` whatever the organisation's zone (12:00 UTC lies on the same local
    date from UTC-11 to UTC+11), so "N days after that date" counts from the right day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def just_before(due: datetime) -> datetime:
    """The last instant of a deadline's day: a deadline is 24:00 of day D, i.e. 00:00 of D+1, and
    extending it must count from D, not from D+1."""
    return due - timedelta(seconds=1)


def show(instant: datetime) -> str:
    """A deadline as people write it: `2026-10-13 24:00` rather than `2026-10-14 00:00`."""
    local = instant.astimezone(DISPLAY_ZONE)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{(local - timedelta(days=1)).date().isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def add_months(ctx: HandlerContext, start: datetime, months: int) -> datetime:
    """`months` later (民法典 Art. 202, rolled off holidays by Art. 203).

    Uses the lookups' `add_months` when the engine offers it; otherwise counts the calendar days
    to the corresponding day of the final month and lets `add_calendar_days` roll it forward."""
    native = getattr(ctx.lookups, "add_months", None)
    if callable(native):
        return native(start, months)
    day = start.astimezone(DISPLAY_ZONE).date()
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    target = date(year, month + 1, min(day.day, (first_of_next - timedelta(days=1)).day))
    return ctx.lookups.add_calendar_days(start, (target - day).days)


def set_deadline(ctx: HandlerContext, params: dict) -> dict:
    """Generic deadline for process owners' own diagrams.

    params: `name` (data key), `days` (int), `unit` ("working" default, or "calendar"),
    optional `remind_days` (working days before, stored as `<name>_remind_at`)."""
    name = str(params.get("name") or "").strip()
    if not name.isidentifier():
        raise ValueError("deadlines.set needs a `name` that is a valid variable name")
    days = int(params.get("days") or 0)
    if params.get("unit", "working") == "calendar":
        due = ctx.lookups.add_calendar_days(ctx.now, days)
    else:
        due = ctx.lookups.add_working_days(ctx.now, days)
    deadlines = {name: iso(due)}
    if params.get("remind_days"):
        deadlines[f"{name}_remind_at"] = iso(ctx.lookups.working_days_before(due, int(params["remind_days"])))
    return {"deadlines": deadlines}


def register(registry: HandlerRegistry) -> None:
    registry.register("deadlines.set", set_deadline)
