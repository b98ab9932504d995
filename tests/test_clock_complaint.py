"""Customer complaint clocks end to end: deadlines on the case and the tasks, the reminder (催办)
and the escalation (督办) timers fired with `timers fire --as-of` just before and just after
their instants, provisional deadlines across the 2026→2027 year end and their recount when the
official 2027 schedule is imported."""
from __future__ import annotations

from datetime import date

from tests.factories import every
from tests.test_clock_support import (at, end_of, fire, notes, official_working_days_after, open_elements,
                                      pending_timers, start_of)


def accepted_complaint(engine, clock, make_case, work, when):
    clock.set(when)
    case_id = make_case(by="intake1")["id"]
    work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    return case_id


def test_deadlines_across_national_day_2026_match_an_independent_count(engine, clock, make_case, work):
    case_id = accepted_complaint(engine, clock, make_case, work, at(2026, 9, 29, 16))
    case = engine.get_case(engine.actor_for("quality1"), case_id)
    assert case["deadlines"]["ack_due"] == end_of(official_working_days_after(date(2026, 9, 29), 1))
    assert case["deadlines"]["resolve_due"] == end_of(official_working_days_after(date(2026, 9, 29), 5))
    # 9.30, then 10.1-10.7 off, 10.8, 10.9, 10.10 (Saturday, 调休 working day), 10.12
    assert case["deadlines"]["resolve_due"] == end_of(date(2026, 10, 12))
    task = next(t for t in case["open_tasks"] if t["element_id"] == "investigate")
    assert task["due_at"] == case["deadlines"]["resolve_due"]
    assert pending_timers(engine, case_id) == {"resolve_reminder": start_of(date(2026, 10, 12)),
                                              "resolve_overdue": end_of(date(2026, 10, 12))}


def test_spring_festival_2026(engine, clock, make_case, work):
    case_id = accepted_complaint(engine, clock, make_case, work, at(2026, 2, 13, 10))
    deadlines = engine.get_case(engine.actor_for("quality1"), case_id)["deadlines"]
    # Feb 14 (Sat) is an adjusted working day, Feb 15-23 the holiday: 14, 24, 25, 26, 27.
    assert deadlines["resolve_due"] == end_of(official_working_days_after(date(2026, 2, 13), 5)) == end_of(date(2026, 2, 27))


def test_reminder_then_escalation_fire_exactly_once_at_their_instants(engine, clock, make_case, work, runner):
    case_id = accepted_complaint(engine, clock, make_case, work, at(2026, 11, 2, 9))  # resolve_due 11-09 24:00
    engine.claim_task(engine.actor_for("quality1"), next(
        t["id"] for t in every(engine.list_tasks, engine.actor_for("quality1"), "available") if t["case_id"] == case_id))
    assert fire(runner, clock, at(2026, 11, 8, 23, 59)) == 0
    assert notes(engine, case_id) == []
    assert fire(runner, clock, at(2026, 11, 9, 0, 0)) == 1  # one working day before: 00:00 of the due day
    assert notes(engine, case_id) == [("reminder", "quality1", "处理期限将至（催办）/ Resolution due soon")]
    assert fire(runner, clock, at(2026, 11, 9, 23, 59)) == 0
    assert open_elements(engine, case_id) == ["investigate"]
    assert fire(runner, clock, at(2026, 11, 10, 0, 0)) == 1  # 24:00 of the due day
    assert open_elements(engine, case_id) == ["investigate", "supervise"]
    assert notes(engine, case_id)[1:] == [("escalation", "group:supervisor", "处理逾期，请督办 / Resolution overdue: please supervise")]
    assert fire(runner, clock, at(2026, 11, 20)) == 0  # nothing fires twice
    assert len(notes(engine, case_id)) == 2 and open_elements(engine, case_id) == ["investigate", "supervise"]
    inbox = engine.inbox(engine.actor_for("quality1"), "overdue")
    assert [t["element_id"] for t in inbox["mine"]["items"]] == ["investigate"]
    sup = engine.inbox(engine.actor_for("supervisor1"))
    assert sup["available"]["items"][0]["element_id"] == "supervise"
    kinds = [e["kind"] for e in every(engine.case_history, engine.actor_for("auditor1"), case_id)]
    assert kinds.count("notification_reminder") == 1 and kinds.count("notification_escalation") == 1
    assert kinds.count("timer_fired") == 2


def test_supervision_note_reaches_the_holder(engine, clock, make_case, work, runner):
    case_id = accepted_complaint(engine, clock, make_case, work, at(2026, 11, 2, 9))
    fire(runner, clock, at(2026, 11, 10, 0, 0))
    work(case_id, "supervise", "supervisor1", supervision_note="请于三日内办结")
    assert notes(engine, case_id)[-1] == ("escalation", "group:dept_quality", "督办 / Supervision")


def test_year_end_deadline_is_provisional_and_recounted_when_2027_is_imported(engine, clock, make_case, work, runner):
    case_id = accepted_complaint(engine, clock, make_case, work, at(2026, 12, 28, 10))
    case = engine.get_case(engine.actor_for("quality1"), case_id)
    # 12-29, 12-30, 12-31, (1-1 New Year, provisional), 1-4, 1-5
    assert case["deadlines"]["resolve_due"] == end_of(date(2027, 1, 5))
    clock_view = engine.case_clock(engine.actor_for("quality1"), case_id)
    assert clock_view["provisional"] == ["resolve_due", "resolve_remind_at"]
    task = engine.inbox(engine.actor_for("quality1"))["available"]["items"][0]
    assert task["element_id"] == "investigate" and task["provisional"] is True
    admin = engine.actor_for("admin1")
    view = engine.calendar_year(admin, 2027)
    assert 2027 in view["years_needing_import"] and view["provisional_cases"] == 1 and not view["official"]

    # The (hypothetical) official notice gives 1-1..1-4 off, so the count moves one day.
    result = engine.calendar_import_year(admin, 2027, "2027-01-01..2027-01-04 holiday 元旦\n2027-02-06 holiday 春节\n")
    assert result["recounted"] == [case["number"]]
    case = engine.get_case(engine.actor_for("quality1"), case_id)
    assert case["deadlines"]["resolve_due"] == end_of(date(2027, 1, 6))
    assert case["deadlines"]["resolve_remind_at"] == start_of(date(2027, 1, 6))
    assert engine.case_clock(engine.actor_for("quality1"), case_id)["provisional"] == []
    assert next(t for t in case["open_tasks"] if t["element_id"] == "investigate")["due_at"] == end_of(date(2027, 1, 6))
    assert pending_timers(engine, case_id) == {"resolve_reminder": start_of(date(2027, 1, 6)),
                                              "resolve_overdue": end_of(date(2027, 1, 6))}
    assert engine.calendar_year(admin, 2027)["official"] is True
    # The timers fire at the recounted instants, not the provisional ones.
    assert fire(runner, clock, at(2027, 1, 5, 23, 59)) == 0
    assert fire(runner, clock, at(2027, 1, 6, 0, 0)) == 1
    assert fire(runner, clock, at(2027, 1, 7, 0, 0)) == 1
    assert [k for k, _, _ in notes(engine, case_id)] == ["reminder", "escalation"]
