"""Recounting a case's deadlines: provisional marks, official-calendar imports, pauses, extensions.

A deadline is stored on the case with its *basis*, how it was counted:

- counted: ``{"from": ISO, "amount": n, "unit": "working_days"|"calendar_days"|"months",
  "extra_working_days": n, "extra_calendar_days": n, "provisional": bool}`` — the extras are
  pauses and extensions added on top, so a recount on a newer calendar keeps them;
- follower: ``{"follows": name, "days": n}`` (a reminder n working days before a deadline) or
  ``{"follows": name, "offset_seconds": s}`` (a reminder a fixed time before it).

With the basis, any deadline can be recounted on the calendar as it stands; nothing is guessed
silently: a deadline that touched a day without official data is listed in
``case.provisional_deadlines`` until an import recounts it on official data.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from datetime import timezone

from engine.clocks.calendar import WorkingCalendar
from engine.clocks.clock import to_iso

# Periods that belong to someone else than the case handlers (the complainant's filing and
# correction periods, the reporter's answer time, the tender suspension's legal maximum):
# a pause of the case clock does not move them.
NOT_PAUSED = frozenset({"filing_deadline", "correction_due", "answer_due", "suspension_ends_at"})
ONE_SECOND = timedelta(seconds=1)


def parse_instant(value) -> datetime | None:
    """Stored ISO text to an aware UTC instant (None for nothing or nonsense)."""
    if isinstance(value, datetime):
        instant = value
    else:
        try:
            instant = datetime.fromisoformat(str(value)) if value else None
        except ValueError:
            return None
    if instant is None:
        return None
    return (instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def record(case, new_deadlines: dict, bases: dict[datetime, dict]) -> None:
    """Store how each newly computed deadline was counted, and refresh the provisional list.

    Called when a handler returns deadlines; `bases` are the counts the step's lookups made."""
    old_values = dict(case.deadlines or {})
    stored = dict(case.deadline_basis or {})
    by_instant = {parse_instant(v): k for k, v in {**old_values, **new_deadlines}.items()}
    for name, value in new_deadlines.items():
        instant = parse_instant(value)
        basis = bases.get(instant)
        if basis is None:
            stored[name] = _implicit_follower(name, instant, {**old_values, **new_deadlines})
        elif "before" in basis:
            followed = by_instant.get(parse_instant(basis["before"]))
            stored[name] = ({"follows": followed, "days": basis["days"]} if followed
                            else {"provisional": basis["provisional"]})
        else:
            stored[name] = _merged_extension(name, basis, old_values, stored) or dict(basis)
        if stored[name] is None:
            stored.pop(name)
    case.deadline_basis = stored
    case.provisional_deadlines = provisional_names(stored)


def _implicit_follower(name: str, instant, values: dict) -> dict | None:
    """A `<x>_remind_at` computed by plain subtraction follows `<x>_due` by a fixed offset."""
    if not name.endswith("_remind_at") or instant is None:
        return None
    followed = name[: -len("_remind_at")] + "_due"
    due = parse_instant(values.get(followed))
    if due is None:
        return None
    return {"follows": followed, "offset_seconds": int((due - instant).total_seconds())}


def _merged_extension(name: str, basis: dict, old_values: dict, stored: dict) -> dict | None:
    """An extension counts on from the last instant of the current deadline (`just_before`):
    keep the original count and add the extension on top, so a recount keeps both."""
    old = stored.get(name)
    current = parse_instant(old_values.get(name))
    if not old or "from" not in old or current is None or basis.get("unit") != "working_days":
        return None
    if parse_instant(basis["from"]) != current - ONE_SECOND:
        return None
    merged = dict(old)
    merged["extra_working_days"] = int(old.get("extra_working_days") or 0) + int(basis["amount"])
    merged["provisional"] = bool(old.get("provisional") or basis.get("provisional"))
    return merged


def provisional_names(bases: dict) -> list[str]:
    out = set()
    for name, basis in bases.items():
        if basis.get("provisional"):
            out.add(name)
    for name, basis in bases.items():
        if basis.get("follows") in out:
            out.add(name)
    return sorted(out)


def count(calendar: WorkingCalendar, basis: dict) -> tuple[datetime, bool]:
    """(due, provisional) of a counted basis on this calendar."""
    due, provisional = calendar.deadline_info(parse_instant(basis["from"]), int(basis["amount"]), basis["unit"])
    for key, unit in (("extra_working_days", "working_days"), ("extra_calendar_days", "calendar_days")):
        extra = int(basis.get(key) or 0)
        if extra:
            due, more = calendar.deadline_info(due - ONE_SECOND, extra, unit)
            provisional = provisional or more
    return due, provisional


def recount(calendar: WorkingCalendar, values: dict, bases: dict, names: set[str] | None = None) -> tuple[dict, dict]:
    """New values and bases of the named deadlines (default: all counted ones) and their
    followers; returns only what changed."""
    values = {k: parse_instant(v) for k, v in values.items()}
    bases = {k: dict(v) for k, v in bases.items()}
    changed: dict[str, datetime] = {}
    for name, basis in bases.items():
        if "from" in basis and (names is None or name in names):
            due, provisional = count(calendar, basis)
            basis["provisional"] = provisional
            if due != values.get(name):
                changed[name] = due
            values[name] = due
    for name, basis in bases.items():
        followed = basis.get("follows")
        if not followed or followed not in values or values[followed] is None:
            continue
        if "days" in basis:
            at = calendar.working_days_before(values[followed], int(basis["days"]))
        else:
            at = values[followed] - timedelta(seconds=int(basis.get("offset_seconds") or 0))
        if at != values.get(name):
            changed[name] = at
            values[name] = at
    return {k: to_iso(v) for k, v in changed.items()}, bases


def pause_shift(calendar: WorkingCalendar, case, paused_at: datetime, resumed_at: datetime) -> tuple[dict, dict, dict]:
    """The deadlines a finished pause moves: every one still pending when the pause began.

    Paused time is counted in whole local days, from the pause's day up to (not including) the
    resume day: working days for working-day limits, calendar days for the others. Returns
    (changes {name: ISO}, new bases, {"working_days": n, "calendar_days": n})."""
    first, last = calendar.local_date(paused_at), calendar.local_date(resumed_at)
    calendar_days = max((last - first).days, 0)
    working_days = sum(1 for i in range(calendar_days) if calendar.is_working_day(first + timedelta(days=i)))
    values = dict(case.deadlines or {})
    bases = {k: dict(v) for k, v in (case.deadline_basis or {}).items()}
    pending = {n for n, v in values.items() if n not in NOT_PAUSED and (parse_instant(v) or paused_at) > paused_at}
    loose: dict[str, str] = {}
    for name in pending:
        basis = bases.get(name)
        if basis and "from" in basis:
            if basis["unit"] == "working_days":
                basis["extra_working_days"] = int(basis.get("extra_working_days") or 0) + working_days
            else:
                basis["extra_calendar_days"] = int(basis.get("extra_calendar_days") or 0) + calendar_days
        elif not basis and working_days:
            loose[name] = to_iso(calendar.add_working_days(parse_instant(values[name]) - ONE_SECOND, working_days))
    changes, bases = recount(calendar, values, bases, {n for n in pending if "from" in bases.get(n, {})})
    changes.update(loose)
    return changes, bases, {"working_days": working_days, "calendar_days": calendar_days}


def extend(calendar: WorkingCalendar, case, name: str, working_days: int) -> tuple[dict, dict]:
    """Add working days to one deadline (and move its reminders with it)."""
    bases = {k: dict(v) for k, v in (case.deadline_basis or {}).items()}
    values = dict(case.deadlines or {})
    basis = bases.get(name)
    if basis and "from" in basis:
        basis["extra_working_days"] = int(basis.get("extra_working_days") or 0) + working_days
        return recount(calendar, values, bases, {name})
    current = parse_instant(values.get(name))
    if current is None:
        raise LookupError(name)
    moved = calendar.add_working_days(current - ONE_SECOND, working_days)
    changes, bases = recount(calendar, {**values, name: to_iso(moved)}, bases, set())
    changes[name] = to_iso(moved)
    return changes, bases
