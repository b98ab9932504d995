"""Working-day calendar and legal time limits (see PROCESSES.md, "Clocks").

Counting rules, all in the organisation's time zone (default Asia/Shanghai):

* "N working days from" an event ends at 24:00 of the Nth working day after the event's *local*
  date; the day of the event itself does not count (民法典 Art. 201).  24:00 of day D is returned
  as the instant 00:00 of day D+1, local time, converted to UTC.
* "N days" (calendar) counts the same way; when the last day is not a working day the period ends
  on the next working day instead (民法典 Art. 203).
* "N months" ends on the corresponding day of the final month, or on that month's last day when
  there is no corresponding day (民法典 Art. 202), rolled forward off non-working days (Art. 203).

Which days are working days, in order of precedence:

1. an administrator's override for that exact day (the holiday table admins edit);
2. the official schedule shipped with the ``chinese_calendar`` package (2004-2026 in 1.11), which
   includes the adjusted working weekends (调休); for a year admins imported themselves
   (``official_years``) the override table *is* the schedule and other days follow Mon-Fri;
3. otherwise a **provisional** calendar: Saturdays and Sundays off, plus the statutory holidays of
   国务院《全国年节及纪念日放假办法》 as amended in 2024, with substitute days (补假, Art. 6 of
   that measure) for statutory days falling on a weekend.  No adjusted working weekends can be
   predicted.  Any deadline that consulted a provisional day is flagged provisional, so callers
   can recompute it once the official schedule is imported.

Pure Python, no database and no web framework: the engine and the CLI both use it.
"""
from __future__ import annotations

import datetime as _dt
from datetime import date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = ["Deadline", "WorkingCalendar", "LUNAR_HOLIDAYS", "statutory_holidays"]

# Safety valve: no real schedule has this many consecutive non-working days; hitting it means the
# override table is broken (e.g. every day marked a holiday), which must not hang a request.
_MAX_SCAN_DAYS = 3660

# Gregorian dates of the lunar statutory holidays, for years the package does not cover.
# (春节 = 正月初一, 端午 = 五月初五, 中秋 = 八月十五.)  Taken from the published lunar calendar and
# cross-checked against astronomical new moons (Meeus, ch. 49) in UTC+8: every 初一 is a new-moon
# day, 初五/十五 are the 5th/15th days of their month.  清明 is a solar term and is computed by
# chinese_calendar.get_solar_terms (1900-2100) instead.
LUNAR_HOLIDAYS: dict[int, dict[str, date]] = {
    2027: {"spring_festival": date(2027, 2, 6), "dragon_boat": date(2027, 6, 9), "mid_autumn": date(2027, 9, 15)},
    2028: {"spring_festival": date(2028, 1, 26), "dragon_boat": date(2028, 5, 28), "mid_autumn": date(2028, 10, 3)},
    2029: {"spring_festival": date(2029, 2, 13), "dragon_boat": date(2029, 6, 16), "mid_autumn": date(2029, 9, 22)},
    2030: {"spring_festival": date(2030, 2, 3), "dragon_boat": date(2030, 6, 5), "mid_autumn": date(2030, 9, 12)},
    2031: {"spring_festival": date(2031, 1, 23), "dragon_boat": date(2031, 6, 24), "mid_autumn": date(2031, 10, 1)},
    2032: {"spring_festival": date(2032, 2, 11), "dragon_boat": date(2032, 6, 12), "mid_autumn": date(2032, 9, 19)},
    2033: {"spring_festival": date(2033, 1, 31), "dragon_boat": date(2033, 6, 1), "mid_autumn": date(2033, 9, 8)},
    2034: {"spring_festival": date(2034, 2, 19), "dragon_boat": date(2034, 6, 20), "mid_autumn": date(2034, 9, 27)},
    2035: {"spring_festival": date(2035, 2, 8), "dragon_boat": date(2035, 6, 10), "mid_autumn": date(2035, 9, 16)},
}


class Deadline(NamedTuple):
    """A computed due instant (aware, UTC) and whether it rests on provisional calendar data."""

    due: datetime
    provisional: bool


def _package_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


_PACKAGE_YEARS = _package_years()


def _qingming(year: int) -> date | None:
    try:
        for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)):
            if name == "清明":
                return day
    except NotImplementedError:  # outside 1900-2100
        pass
    return None


def statutory_holidays(year: int) -> list[date]:
    """The statutory holiday dates of ``year`` (全体公民放假的节日, 2024 amendment), with repeats.

    元旦 Jan 1; 春节 除夕 and 正月初一-初三 (4 days); 清明 (1); 劳动节 May 1-2; 端午 (1); 中秋 (1);
    国庆 Oct 1-3.  A date appears twice when two holidays coincide (e.g. 中秋 on Oct 3, 2028), since
    each still earns its own substitute day.  Lunar holidays are only known for the years in
    ``LUNAR_HOLIDAYS``; other years get the fixed-date ones (and 清明) only.
    """
    days = [date(year, 1, 1), date(year, 5, 1), date(year, 5, 2),
            date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]
    qingming = _qingming(year)
    if qingming:
        days.append(qingming)
    # 春节 straddles years only through 除夕 (never before Jan 20), so look at this year's entry.
    lunar = LUNAR_HOLIDAYS.get(year)
    if lunar:
        new_year = lunar["spring_festival"]
        days.extend(new_year + timedelta(days=i) for i in range(-1, 3))
        days.append(lunar["dragon_boat"])
        days.append(lunar["mid_autumn"])
    return sorted(days)


def _provisional_days_off(year: int) -> frozenset[date]:
    """Statutory holidays plus substitute days (补假) for those falling on a weekend or coinciding."""
    off: set[date] = set()
    for day in statutory_holidays(year):
        if day.weekday() < 5 and day not in off:
            off.add(day)
            continue
        off.add(day)  # weekend days are off anyway
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in off:
            substitute += timedelta(days=1)
        off.add(substitute)
    return frozenset(off)


class WorkingCalendar:
    """Decides working days and computes legal deadlines in the organisation's time zone."""

    def __init__(
        self,
        timezone: str = "Asia/Shanghai",
        overrides: dict[date, bool] | None = None,
        official_years: set[int] | None = None,
    ) -> None:
        """``overrides``: day -> True (working) / False (holiday), from the admins' table; they beat
        every other source.  ``official_years``: years whose schedule admins imported into that
        table, so those years are not provisional even beyond the package's coverage."""
        self.tz = ZoneInfo(timezone)
        self.overrides: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if isinstance(day, datetime):  # a datetime is a date subclass: keep only the day
                day = day.date()
            self.overrides[day] = bool(working)
        self.official_years: frozenset[int] = frozenset(official_years or ()) | frozenset(_PACKAGE_YEARS)
        self._provisional_cache: dict[int, frozenset[date]] = {}

    # ----------------------------------------------------------------- days

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on ``day``: override, else official schedule, else provisional rule."""
        day = self._as_date(day)
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _PACKAGE_YEARS:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:  # defensive: the package's range is derived above
                pass
        if day.year in self.official_years:
            # An imported year: its holidays and adjusted working days are the overrides.
            return day.weekday() < 5
        return day.weekday() < 5 and day not in self._provisional_off(day.year)

    def is_provisional(self, day: date) -> bool:
        """True when no official data covers ``day``: no override and its year was never imported.

        Deadlines resting on such days must be recomputed once the official schedule arrives."""
        day = self._as_date(day)
        return day not in self.overrides and day.year not in self.official_years

    def years_needing_import(self, today: date) -> list[int]:
        """This year and next year, when their official schedule is missing (admins should import
        it: the State Council publishes next year's schedule in autumn)."""
        today = self._as_date(today)
        return [y for y in (today.year, today.year + 1) if y not in self.official_years]

    def local_date(self, instant: datetime) -> date:
        """The organisation-local calendar date of an aware instant (an event at 23:30 in Shanghai
        is 15:30 UTC but belongs to the Shanghai date)."""
        return self._require_aware(instant).astimezone(self.tz).date()

    def end_of_day(self, day: date) -> datetime:
        """24:00 of ``day`` in local time, i.e. 00:00 of the next day, as an aware UTC instant."""
        next_day = self._as_date(day) + timedelta(days=1)
        return datetime.combine(next_day, time(0), tzinfo=self.tz).astimezone(_dt.timezone.utc)

    def start_of_day(self, day: date) -> datetime:
        """00:00 of ``day`` in local time, as an aware UTC instant."""
        return datetime.combine(self._as_date(day), time(0), tzinfo=self.tz).astimezone(_dt.timezone.utc)

    # ------------------------------------------------------------ deadlines

    def deadline_info(
        self,
        start: datetime,
        amount: int,
        unit: Literal["working_days", "calendar_days", "months"] = "working_days",
    ) -> Deadline:
        """(due, provisional) for ``amount`` units from the event at ``start``.

        ``provisional`` is True when any day the computation relied on (each counted working day,
        or the final day and the days it rolled over) had no official data."""
        if amount < 0:
            raise ValueError("a time limit cannot be negative")
        event_day = self.local_date(start)
        if unit == "working_days":
            return self._working_days_after(event_day, amount)
        if unit == "calendar_days":
            return self._rolled_forward(event_day + timedelta(days=amount))
        if unit == "months":
            return self._rolled_forward(_add_months(event_day, amount))
        raise ValueError(f"unknown unit {unit!r}")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """24:00 (local) of the ``days``-th working day after the event's local date, in UTC.

        The event's own day never counts (Art. 201), whatever the hour; ``days=0`` gives the end
        of the event's day."""
        return self.deadline_info(start, days, "working_days").due

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """24:00 (local) of the ``days``-th calendar day after the event's local date, moved to the
        next working day when that day is a holiday or weekend (Art. 203), in UTC."""
        return self.deadline_info(start, days, "calendar_days").due

    def add_months(self, start: datetime, months: int) -> datetime:
        """24:00 (local) of the same day-of-month ``months`` later (month end when that day does not
        exist, Art. 202), moved off non-working days (Art. 203), in UTC.  E.g. feedback_due."""
        return self.deadline_info(start, months, "months").due

    def working_days_before(self, due: datetime, days: int) -> datetime:
        """When a reminder ``days`` working days before ``due`` fires: 00:00 (local) of the first
        of the last ``days`` working days up to and including the deadline's day, in UTC.

        A deadline is 24:00 of its day D.  The reminder fires at the moment exactly ``days`` full
        working days remain: for ``days=1`` that is 00:00 of D itself (when D is a working day),
        for ``days=2`` 00:00 of the working day before D, and so on; weekends and holidays in
        between are skipped.  ``days=0`` returns ``due``.  If that moment has already passed the
        caller decides (typically: remind at once)."""
        if days < 0:
            raise ValueError("days cannot be negative")
        if days == 0:
            return self._require_aware(due).astimezone(_dt.timezone.utc)
        # The deadline's day: the local date of the last instant before ``due``.
        day = self.local_date(due - timedelta(microseconds=1))
        remaining = days
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                remaining -= 1
                if remaining == 0:
                    return self.start_of_day(day)
            day -= timedelta(days=1)
        raise RuntimeError("no working day found: check the holiday overrides")

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Working days whose whole local day lies within [a, b); negative when b < a.

        This is the inverse of ``add_working_days``: working_days_between(t,
        add_working_days(t, n)) == n.  Between two deadlines (both 24:00 instants) it counts the
        working days one extends the other by, which is what extension caps need."""
        a = self._require_aware(a)
        b = self._require_aware(b)
        if b < a:
            return -self.working_days_between(b, a)
        # First local day starting at or after a; last local day ending at or before b.
        first = self.local_date(a)
        if self.start_of_day(first) < a:
            first += timedelta(days=1)
        last = self.local_date(b) - timedelta(days=1)
        count = 0
        day = first
        while day <= last:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    # -------------------------------------------------------------- helpers

    def _working_days_after(self, event_day: date, days: int) -> Deadline:
        day = event_day
        provisional = False
        remaining = days
        scanned = 0
        while remaining > 0:
            day += timedelta(days=1)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS + days:
                raise RuntimeError("no working day found: check the holiday overrides")
            provisional = provisional or self.is_provisional(day)
            if self.is_working_day(day):
                remaining -= 1
        return Deadline(self.end_of_day(day), provisional)

    def _rolled_forward(self, last_day: date) -> Deadline:
        day = last_day
        provisional = False
        for _ in range(_MAX_SCAN_DAYS):
            provisional = provisional or self.is_provisional(day)
            if self.is_working_day(day):
                return Deadline(self.end_of_day(day), provisional)
            day += timedelta(days=1)
        raise RuntimeError("no working day found: check the holiday overrides")

    def _provisional_off(self, year: int) -> frozenset[date]:
        if year not in self._provisional_cache:
            self._provisional_cache[year] = _provisional_days_off(year)
        return self._provisional_cache[year]

    @staticmethod
    def _as_date(day: date) -> date:
        return day.date() if isinstance(day, datetime) else day

    @staticmethod
    def _require_aware(instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("deadlines need an aware datetime (naive times are ambiguous)")
        return instant


def _add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day (民法典 Art. 202)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_month_first = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month_first - timedelta(days=1)).day
    return date(year, month, min(day.day, last))
