"""Every timer of the tender and internal-report diagrams, fired with `timers fire --as-of` just
before and just after its instant: escalation of the acceptance review, auto-rejection after the
correction period, the end of a tender suspension, the investigation reminder and escalation,
the feedback reminder and the reporter's answer period. Each fires exactly once."""
from __future__ import annotations

from datetime import date

from tests.test_clock_support import at, end_of, fire, notes, official_working_days_after, open_elements, start_of


def tender(engine, clock, make_case):
    clock.set(at(2026, 11, 2, 9))
    return make_case("tender_complaint")["id"]


def deadlines(engine, case_id):
    return engine.get_case(engine.actor_for("auditor1"), case_id)["deadlines"]


def test_acceptance_review_escalates_to_the_head_at_its_deadline(engine, clock, make_case, runner):
    case_id = tender(engine, clock, make_case)
    assert deadlines(engine, case_id)["acceptance_due"] == end_of(date(2026, 11, 5))
    assert fire(runner, clock, at(2026, 11, 5, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 11, 6, 0, 0)) == 1
    assert fire(runner, clock, at(2026, 11, 30)) == 0
    assert notes(engine, case_id) == [  # the scheduler's 催办 on the last working day, the diagram's 督办
        ("reminder", "group:tender_clerk", "受理审查 / Acceptance review — 催办 / reminder: due soon"),
        ("escalation", "group:tender_head", "受理审查逾期（督办）/ Acceptance decision overdue")]
    assert open_elements(engine, case_id) == ["acceptance_review"]


def test_no_correction_within_5_working_days_rejects_the_complaint(engine, clock, make_case, runner, work):
    case_id = tender(engine, clock, make_case)
    work(case_id, "acceptance_review", "clerk1", decision="request_correction", reason="请补充评分表")
    due = official_working_days_after(date(2026, 11, 2), 5)
    assert deadlines(engine, case_id)["correction_due"] == end_of(due) == end_of(date(2026, 11, 9))
    fire(runner, clock, at(2026, 11, 9, 23, 59))
    assert engine.get_case(engine.actor_for("auditor1"), case_id)["status"] == "open"
    fire(runner, clock, at(2026, 11, 10, 0, 0))
    case = engine.get_case(engine.actor_for("auditor1"), case_id)
    assert case["status"] == "rejected" and case["open_tasks"] == []
    assert [m["kind"] for m in case["messages"]].count("request") == 1
    assert fire(runner, clock, at(2026, 12, 1)) == 0


def test_suspension_ends_after_30_days_and_investigation_is_reminded_then_escalated(engine, clock, make_case, runner, work):
    case_id = tender(engine, clock, make_case)
    work(case_id, "acceptance_review", "clerk1", decision="accept", reason="符合受理条件")
    work(case_id, "suspension", "thead1", suspend_tender=True, reason="防止签订合同")
    d = deadlines(engine, case_id)
    decision_day = official_working_days_after(date(2026, 11, 2), 30)
    assert d["decision_due"] == end_of(decision_day) == end_of(date(2026, 12, 14))
    assert d["decision_remind_at"] == start_of(date(2026, 12, 8))  # 5 working days: 12-8 .. 12-14
    assert d["suspension_ends_at"] == end_of(date(2026, 12, 2))  # 30 calendar days, a Wednesday
    assert fire(runner, clock, at(2026, 12, 2, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 12, 3, 0, 0)) == 1
    assert notes(engine, case_id)[-1][1] == "group:tender_head"
    assert fire(runner, clock, at(2026, 12, 7, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 12, 8, 0, 0)) == 1
    assert notes(engine, case_id)[-1][:2] == ("reminder", "group:tender_investigators")
    assert fire(runner, clock, at(2026, 12, 14, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 12, 15, 0, 0)) == 1
    assert notes(engine, case_id)[-1] == ("escalation", "group:tender_head", "调查逾期（督办）/ Investigation overdue")
    assert fire(runner, clock, at(2027, 1, 31)) == 0
    assert [k for k, _, _ in notes(engine, case_id)] == ["notice", "reminder", "escalation"]


def test_internal_report_feedback_reminder_and_answer_period(engine, clock, make_case, runner, work):
    clock.set(at(2026, 11, 2, 9))
    case_id = make_case("internal_report")["id"]
    work(case_id, "triage", "integ1", decision="accept")
    work(case_id, "form_team", "comm1", investigators=["inv1", "inv2"])
    d = deadlines(engine, case_id)
    assert d["feedback_due"] == end_of(date(2027, 2, 2))  # 3 months: 2027-02-02, a provisional working day
    assert d["feedback_remind_at"] == end_of(date(2027, 1, 19))
    assert engine.case_clock(engine.actor_for("comm1"), case_id)["provisional"] == ["feedback_due", "feedback_remind_at"]
    work(case_id, "investigate", "inv1", next_step="ask_reporter", question="礼品是何时送到的？")
    assert d["triage_due"] == end_of(date(2026, 11, 4))
    answer_due = deadlines(engine, case_id)["answer_due"]
    assert answer_due == end_of(official_working_days_after(date(2026, 11, 2), 10))
    assert fire(runner, clock, at(2026, 11, 16, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 11, 17, 0, 0)) == 1
    assert open_elements(engine, case_id) == ["investigate"]
    assert fire(runner, clock, at(2027, 1, 19, 23, 59)) == 0
    assert fire(runner, clock, at(2027, 1, 20, 0, 0)) == 1
    assert notes(engine, case_id)[-1][:2] == ("reminder", "group:committee")
    assert fire(runner, clock, at(2027, 3, 1)) == 0
