"""WorkingCalendar: working days, legal deadlines (民法典 Art. 201-203), provisional years.

All dates are real; 2026 facts are asserted against chinese_calendar first, so a wrong package
release fails loudly here rather than silently shifting deadlines.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.clocks.calendar import LUNAR_HOLIDAYS, Deadline, WorkingCalendar, statutory_holidays

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def midnight_sh(y: int, m: int, d: int) -> datetime:
    """00:00 Shanghai of the given day (= 24:00 of the day before), as UTC."""
    return datetime(y, m, d, tzinfo=SH).astimezone(UTC)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# ------------------------------------------------------------------ sources of truth


def test_package_facts_for_2026_national_day_and_mid_autumn():
    # Official 2026: 中秋 Sep 25-27; 国庆 Oct 1-7; adjusted working days Sun Sep 20 and Sat Oct 10.
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.get_holiday_detail(date(2026, 9, 20)) == (False, "National Day")
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    for d in range(1, 8):
        assert chinese_calendar.get_holiday_detail(date(2026, 10, d)) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(date(2026, 9, 25)) == (True, "Mid-autumn Festival")
    assert chinese_calendar.is_workday(date(2026, 10, 8))


def test_package_facts_for_2026_spring_festival():
    for d in range(15, 24):
        assert chinese_calendar.get_holiday_detail(date(2026, 2, d)) == (True, "Spring Festival")
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # Saturday, adjusted
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # Saturday, adjusted
    assert chinese_calendar.is_workday(date(2026, 2, 24))


def test_official_years_match_the_package_day_by_day(cal):
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        assert not cal.is_provisional(day)
        day += timedelta(days=1)


def test_adjusted_working_weekends_2026(cal):
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday
    assert not cal.is_working_day(date(2026, 9, 19))
    assert not cal.is_working_day(date(2026, 10, 11))
    assert not cal.is_working_day(date(2026, 10, 1))


# --------------------------------------------------------------- working-day deadlines


def test_three_working_days_across_national_day_2026(cal):
    # Tue Sep 29 -> Sep 30 (1), Oct 1-7 off, Oct 8 (2), Oct 9 (3): due 24:00 Fri Oct 9.
    due = cal.add_working_days(sh(2026, 9, 29, 10, 0), 3)
    assert due == midnight_sh(2026, 10, 10)
    assert due == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)


def test_adjusted_saturday_counts_as_working_day(cal):
    # Fri Oct 9 -> Sat Oct 10 is an adjusted working day: due 24:00 Oct 10.
    assert cal.add_working_days(sh(2026, 10, 9, 17, 0), 1) == midnight_sh(2026, 10, 11)
    # Fri Sep 18 -> Sat 19 off, Sun Sep 20 adjusted working day.
    assert cal.add_working_days(sh(2026, 9, 18, 11, 0), 1) == midnight_sh(2026, 9, 21)


def test_mid_autumn_2026(cal):
    # Thu Sep 24 -> Fri 25 - Sun 27 off -> Mon Sep 28.
    assert cal.add_working_days(sh(2026, 9, 24, 9, 0), 1) == midnight_sh(2026, 9, 29)


def test_thirty_working_days_over_mid_autumn_and_national_day(cal):
    # tender decision_due: 30 working days from acceptance on Mon Sep 14, 2026.
    due, provisional = cal.deadline_info(sh(2026, 9, 14, 10, 0), 30)
    expected = [d for d in (date(2026, 9, 14) + timedelta(days=i) for i in range(1, 60))
                if chinese_calendar.is_workday(d)][29]
    # Sep 15-18, Sun 20, 21-24, 28-30, Oct 8-10 (15), then 15 more: Fri Oct 30.
    assert expected == date(2026, 10, 30)
    assert due == midnight_sh(2026, 10, 31)
    assert provisional is False


def test_spring_festival_2026(cal):
    # Fri Feb 13 -> Sat Feb 14 (adjusted, 1), Feb 15-23 off, Feb 24 (2), Feb 25 (3).
    assert cal.add_working_days(sh(2026, 2, 13, 15, 0), 1) == midnight_sh(2026, 2, 15)
    assert cal.add_working_days(sh(2026, 2, 13, 15, 0), 3) == midnight_sh(2026, 2, 26)
    # Filed during the holiday (Feb 18): first working day is Feb 24.
    assert cal.add_working_days(sh(2026, 2, 18, 10, 0), 1) == midnight_sh(2026, 2, 25)


def test_filing_on_a_friday(cal):
    # Fri Nov 6, 2026, 16:00: ack_due (1 working day) = end of Mon Nov 9; resolve_due (5) = Fri Nov 13.
    filed = sh(2026, 11, 6, 16, 0)
    assert cal.add_working_days(filed, 1) == midnight_sh(2026, 11, 10)
    assert cal.add_working_days(filed, 1) == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    assert cal.add_working_days(filed, 5) == midnight_sh(2026, 11, 14)
    assert cal.add_working_days(filed, 10) == midnight_sh(2026, 11, 21)


def test_event_date_is_the_local_date_not_utc(cal):
    # 23:30 Mon Nov 2 in Shanghai is still Nov 2 locally (15:30 UTC).
    late = sh(2026, 11, 2, 23, 30)
    assert cal.local_date(late) == date(2026, 11, 2)
    assert cal.add_working_days(late, 1) == midnight_sh(2026, 11, 4)
    # 00:30 Tue Nov 3 Shanghai is 16:30 UTC on Nov 2 — but it is Nov 3 locally.
    just_after = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
    assert cal.local_date(just_after) == date(2026, 11, 3)
    assert cal.add_working_days(just_after, 1) == midnight_sh(2026, 11, 5)


def test_zero_days_is_the_end_of_the_event_day(cal):
    assert cal.add_working_days(sh(2026, 11, 2, 9, 0), 0) == midnight_sh(2026, 11, 3)


def test_naive_and_negative_inputs_are_rejected(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 11, 2, 9, 0), 1)
    with pytest.raises(ValueError):
        cal.add_working_days(sh(2026, 11, 2, 9, 0), -1)
    with pytest.raises(ValueError):
        cal.deadline_info(sh(2026, 11, 2, 9, 0), 1, "weeks")  # type: ignore[arg-type]


# --------------------------------------------------------------- provisional years


def test_year_end_2026_into_provisional_2027(cal):
    # Wed Dec 30, 2026: Dec 31 (1, official), Fri Jan 1 2027 元旦 (provisional, off), weekend,
    # Jan 4 (2), 5 (3), 6 (4), 7 (5) -> due 24:00 Thu Jan 7, 2027, flagged provisional.
    due, provisional = cal.deadline_info(sh(2026, 12, 30, 10, 0), 5)
    assert due == midnight_sh(2027, 1, 8)
    assert provisional is True
    # One working day stays inside 2026: not provisional.
    assert cal.deadline_info(sh(2026, 12, 30, 10, 0), 1) == Deadline(midnight_sh(2027, 1, 1), False)
    assert cal.is_provisional(date(2027, 1, 4))
    assert not cal.is_provisional(date(2026, 12, 31))


def test_provisional_2027_holidays(cal):
    off = [date(2027, 1, 1), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)]
    # 春节: 除夕 Fri Feb 5, 初一-初三 Feb 6-8; Sat/Sun ones get substitute days Tue 9, Wed 10.
    off += [date(2027, 2, d) for d in range(5, 11)]
    # 劳动节 May 1-2 is Sat/Sun -> substitute Mon 3, Tue 4; 国庆 Oct 1-3 Fri-Sun -> Mon 4, Tue 5.
    off += [date(2027, 5, 3), date(2027, 5, 4), date(2027, 10, 4), date(2027, 10, 5)]
    for day in off:
        assert not cal.is_working_day(day), day
    for day in [date(2027, 2, 4), date(2027, 2, 11), date(2027, 5, 5), date(2027, 10, 6), date(2027, 1, 4)]:
        assert cal.is_working_day(day), day
    # No adjusted working weekends can be predicted.
    assert not cal.is_working_day(date(2027, 2, 20))


def test_lunar_table_is_consistent():
    assert set(LUNAR_HOLIDAYS) == set(range(2027, 2036))
    for year, days in LUNAR_HOLIDAYS.items():
        assert days["spring_festival"].year == year
        assert date(year, 1, 21) <= days["spring_festival"] <= date(year, 2, 20)
        assert date(year, 5, 28) <= days["dragon_boat"] <= date(year, 6, 25)
        assert date(year, 9, 7) <= days["mid_autumn"] <= date(year, 10, 8)
    # 2024 amendment: 13 statutory days; 2028 has 中秋 on Oct 3 counted twice.
    assert len(statutory_holidays(2027)) == 13
    assert statutory_holidays(2028).count(date(2028, 10, 3)) == 2


def test_coinciding_holidays_in_2028_get_an_extra_day(cal):
    # Oct 1 2028 is Sunday, 中秋 falls on Oct 3: Oct 2-5 off, Oct 6 back at work.
    for d in range(1, 6):
        assert not cal.is_working_day(date(2028, 10, d))
    assert cal.is_working_day(date(2028, 10, 6))


def test_years_needing_import():
    assert WorkingCalendar().years_needing_import(date(2026, 11, 2)) == [2027]
    assert WorkingCalendar().years_needing_import(date(2025, 11, 2)) == []
    assert WorkingCalendar().years_needing_import(date(2027, 3, 1)) == [2027, 2028]
    assert WorkingCalendar(official_years={2027}).years_needing_import(date(2026, 11, 2)) == []


def test_imported_year_uses_overrides_and_is_not_provisional():
    cal = WorkingCalendar(
        official_years={2027},
        overrides={date(2027, 1, 1): False, date(2027, 2, 20): True},
    )
    assert not cal.is_provisional(date(2027, 3, 3))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 20))  # an adjusted Saturday from the imported table
    assert cal.is_working_day(date(2027, 2, 9))  # not listed: ordinary Tuesday
    due, provisional = cal.deadline_info(sh(2026, 12, 30, 10, 0), 5)
    assert (due, provisional) == (midnight_sh(2027, 1, 8), False)


# ----------------------------------------------------------------------- overrides


def test_overrides_beat_the_package():
    cal = WorkingCalendar(overrides={date(2026, 11, 9): False, date(2026, 11, 7): True})
    assert not cal.is_working_day(date(2026, 11, 9))  # the package says Monday is a working day
    assert cal.is_working_day(date(2026, 11, 7))  # the package says Saturday is off
    # Fri Nov 6 -> Sat Nov 7 (override working) -> due 24:00 Nov 7.
    assert cal.add_working_days(sh(2026, 11, 6, 16, 0), 1) == midnight_sh(2026, 11, 8)
    # Two working days: Sat 7, (Mon 9 off), Tue 10.
    assert cal.add_working_days(sh(2026, 11, 6, 16, 0), 2) == midnight_sh(2026, 11, 11)


def test_override_makes_a_provisional_day_official():
    cal = WorkingCalendar(overrides={date(2027, 1, 4): True})
    assert not cal.is_provisional(date(2027, 1, 4))
    assert cal.is_provisional(date(2027, 1, 5))


# -------------------------------------------------------------- calendar days, months


def test_calendar_days_ending_on_a_holiday_roll_forward(cal):
    # tender filing deadline: 10 days after Mon Sep 21, 2026 = Oct 1 (holiday) -> Thu Oct 8.
    assert cal.add_calendar_days(sh(2026, 9, 21, 14, 0), 10) == midnight_sh(2026, 10, 9)
    # ... ending on a Saturday rolls to Monday: Nov 4 + 10 = Sat Nov 14 -> Mon Nov 16.
    assert cal.add_calendar_days(sh(2026, 11, 4, 14, 0), 10) == midnight_sh(2026, 11, 17)
    # ... ending on an adjusted working Saturday does not roll: Sep 30 + 10 = Sat Oct 10.
    assert cal.add_calendar_days(sh(2026, 9, 30, 14, 0), 10) == midnight_sh(2026, 10, 11)
    # ... ending on an ordinary working day: Nov 2 + 10 = Thu Nov 12.
    assert cal.add_calendar_days(sh(2026, 11, 2, 9, 0), 10) == midnight_sh(2026, 11, 13)


def test_calendar_days_provisional_only_when_end_is(cal):
    assert cal.deadline_info(sh(2026, 12, 20, 9, 0), 10, "calendar_days") == Deadline(
        midnight_sh(2026, 12, 31), False)
    # Dec 22 + 10 = Fri Jan 1, 2027 (元旦, provisional) -> Mon Jan 4.
    assert cal.deadline_info(sh(2026, 12, 22, 9, 0), 10, "calendar_days") == Deadline(
        midnight_sh(2027, 1, 5), True)


def test_add_months(cal):
    # Same day-of-month, a working day: Jul 15 -> Thu Oct 15, 2026.
    assert cal.add_months(sh(2026, 7, 15, 9, 0), 3) == midnight_sh(2026, 10, 16)
    # Lands on National Day: Jul 3 -> Oct 3 -> Thu Oct 8.
    assert cal.add_months(sh(2026, 7, 3, 9, 0), 3) == midnight_sh(2026, 10, 9)
    # No Feb 30: Nov 30, 2026 -> Sun Feb 28, 2027 -> Mon Mar 1 (provisional).
    due, provisional = cal.deadline_info(sh(2026, 11, 30, 9, 0), 3, "months")
    assert due == midnight_sh(2027, 3, 2)
    assert provisional is True
    # Across a year end into a leap February: Nov 30, 2027 -> Tue Feb 29, 2028.
    assert cal.add_months(sh(2027, 11, 30, 9, 0), 3) == midnight_sh(2028, 3, 1)


# ------------------------------------------------------------- reminders, spans


def test_working_days_before_a_deadline_across_national_day(cal):
    due = cal.add_working_days(sh(2026, 9, 29, 10, 0), 3)  # 24:00 Fri Oct 9
    assert cal.working_days_before(due, 1) == midnight_sh(2026, 10, 9)
    assert cal.working_days_before(due, 2) == midnight_sh(2026, 10, 8)
    assert cal.working_days_before(due, 3) == midnight_sh(2026, 9, 30)  # skips Oct 1-7
    assert cal.working_days_before(due, 0) == due


def test_working_days_before_a_monday_deadline(cal):
    due = cal.add_working_days(sh(2026, 11, 6, 16, 0), 1)  # 24:00 Mon Nov 9
    assert cal.working_days_before(due, 1) == midnight_sh(2026, 11, 9)
    assert cal.working_days_before(due, 2) == midnight_sh(2026, 11, 6)  # Friday, not Sunday


def test_working_days_between(cal):
    start = sh(2026, 9, 29, 10, 0)
    for n in (0, 1, 3, 5, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n
    # Extending 24:00 Sep 30 to 24:00 Oct 10 adds Oct 8, 9, 10 (Saturday, adjusted).
    old_due, new_due = midnight_sh(2026, 10, 1), midnight_sh(2026, 10, 11)
    assert cal.working_days_between(old_due, new_due) == 3
    assert cal.working_days_between(new_due, old_due) == -3
    # A partial day does not count.
    assert cal.working_days_between(sh(2026, 11, 2, 9, 0), sh(2026, 11, 3, 18, 0)) == 0
