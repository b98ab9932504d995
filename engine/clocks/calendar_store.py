"""The holiday table admins edit, and the working calendar built from it.

The `calendar_day` rows are exceptions to the weekday rule (a holiday on a weekday, a working
weekend); `calendar_year` lists the years whose official schedule was imported. Every process
(web workers, schedulers) keeps one `WorkingCalendar` and rebuilds it when the `calendar`
counter moves, so an admin's edit reaches every process at its next step without a restart and
without reading the table at every step.

Import sources: the `chinese_calendar` package (years it covers), or the State Council's notice
typed in as lines `YYYY-MM-DD holiday 春节` / `YYYY-MM-DD..YYYY-MM-DD holiday 国庆节` /
`YYYY-MM-DD working 春节调休` for years the package does not know yet.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.clocks.calendar import WorkingCalendar
from engine.errors import InvalidInput
from engine.models import CalendarDay, CalendarYear, Counter

STAMP = "calendar"
PACKAGE_SOURCE = "chinese_calendar"


SEEN = "calendar_stamp_seen"  # session.info: the stamp as this transaction read it


def stamp_column():
    """The stamp as a scalar column, for a step's first select to carry along (then `note_stamp`)."""
    return select(Counter.value).where(Counter.name == STAMP).scalar_subquery().label("calendar_stamp")


def note_stamp(session: Session, value: int | None) -> None:
    session.info[SEEN] = value or 0


def stamp(session: Session) -> int:
    """Which edit of the calendar table this transaction sees (0: never edited)."""
    if SEEN in session.info:
        return session.info[SEEN]
    row = session.get(Counter, STAMP)
    return row.value if row else 0


def bump(session: Session) -> None:
    """Tell every process its cached calendar is stale."""
    session.info.pop(SEEN, None)
    row = session.get(Counter, STAMP)
    if row is None:
        session.add(Counter(name=STAMP, value=1, text=""))
    else:
        row.value += 1
    session.flush()


def load(session: Session, timezone: str) -> WorkingCalendar:
    overrides = {row.day: row.working for row in session.scalars(select(CalendarDay))}
    years = set(session.scalars(select(CalendarYear.year)))
    return WorkingCalendar(timezone=timezone, overrides=overrides, official_years=years)


def current(ctx, session: Session) -> WorkingCalendar:
    """The calendar as the table stands now (rebuilt only when an edit moved the stamp)."""
    now_stamp = stamp(session)
    if ctx.calendar_stamp != now_stamp:
        ctx.calendar = load(session, ctx.settings.timezone)
        ctx.calendar_stamp = now_stamp
    return ctx.calendar


def set_day(session: Session, day: date, working: bool, name: str, by: str, now: datetime) -> None:
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.working, row.name, row.source, row.updated_by, row.updated_at = working, name[:100], "admin", by, now
    bump(session)


def remove_day(session: Session, day: date) -> bool:
    gone = session.execute(delete(CalendarDay).where(CalendarDay.day == day)).rowcount
    bump(session)
    return bool(gone)


def package_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def package_schedule(year: int) -> list[tuple[date, bool, str]]:
    """The package's exceptions to Mon-Fri for one year (holidays on weekdays, working weekends)."""
    start, out = date(year, 1, 1), []
    if year not in package_years():
        raise InvalidInput(f"chinese_calendar has no schedule for {year}; type in the official notice",
                           {"year": "not covered by the package"})
    day = start
    while day.year == year:
        working = chinese_calendar.is_workday(day)
        if working != (day.weekday() < 5):
            _, name = chinese_calendar.get_holiday_detail(day)
            out.append((day, working, str(name or "")))
        day += timedelta(days=1)
    return out


def parse_schedule(text: str, year: int) -> list[tuple[date, bool, str]]:
    """Lines of an official notice: `DATE[..DATE] holiday|working [name]`; errors name the line."""
    out: list[tuple[date, bool, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        try:
            first, _, last = parts[0].partition("..")
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if last else start
            kind = parts[1].lower()
        except (ValueError, IndexError):
            raise InvalidInput(f"line {number} is not `YYYY-MM-DD[..YYYY-MM-DD] holiday|working [name]`",
                               {"schedule": f"line {number}: {raw.strip()[:80]}"}) from None
        if kind not in ("holiday", "working") or end < start or start.year != year or end.year != year:
            raise InvalidInput(f"line {number}: kind must be holiday or working, dates inside {year}",
                               {"schedule": f"line {number}: {raw.strip()[:80]}"})
        day = start
        while day <= end:
            out.append((day, kind == "working", parts[2] if len(parts) > 2 else ""))
            day += timedelta(days=1)
    if not out:
        raise InvalidInput("the schedule is empty", {"schedule": "at least one holiday"})
    return out


def import_year(session: Session, year: int, entries: list[tuple[date, bool, str]], source: str,
                by: str, now: datetime) -> int:
    """Replace a year's rows by the official schedule and mark the year official."""
    session.execute(delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                              CalendarDay.day <= date(year, 12, 31)))
    for day, working, name in entries:
        session.add(CalendarDay(day=day, working=working, name=name[:100], source="official",
                                updated_by=by, updated_at=now))
    row = session.get(CalendarYear, year)
    if row is None:
        session.add(CalendarYear(year=year, imported_at=now, imported_by=by, source=source[:200]))
    else:
        row.imported_at, row.imported_by, row.source = now, by, source[:200]
    bump(session)
    return len(entries)


def year_view(session: Session, calendar: WorkingCalendar, year: int) -> dict:
    """A year as admins read it: its exceptions to Mon-Fri, where each comes from, and whether
    the year is official or provisional."""
    rows = {r.day: r for r in session.scalars(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))}
    days, day = [], date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if working != (day.weekday() < 5) or day in rows:
            row = rows.get(day)
            if row is not None:
                source, name = row.source, row.name
            elif not calendar.is_provisional(day):
                source, name = PACKAGE_SOURCE, _package_name(day)
            else:
                source, name = "provisional", ""
            days.append({"day": day.isoformat(), "weekday": day.isoweekday(), "working": working,
                         "name": name, "source": source})
        day += timedelta(days=1)
    imported = session.get(CalendarYear, year)
    return {"year": year, "official": year in calendar.official_years, "days": days,
            "imported_at": imported.imported_at.isoformat() if imported else None,
            "imported_by": imported.imported_by if imported else None}


def _package_name(day: date) -> str:
    try:
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    return str(name or "")
