"""催办 before and 督办 at the due time of tasks whose diagram draws no timer (review, triage,
reply, decision...): once each, never early, and not for tasks the diagram already times."""
from __future__ import annotations

from datetime import datetime, timezone
from tests.factories import every


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def alerts(runner, clock, instant: datetime) -> int:
    clock.set(instant)
    result = runner.invoke(args=["timers", "fire", "--as-of", instant.isoformat()])
    assert result.exit_code == 0, result.output
    return int(result.output.splitlines()[1].split()[0])


def test_review_is_reminded_then_escalated_once_each(engine, runner, clock, make_case):
    case = make_case("complaint")  # filed Monday 2 Nov 09:00 Shanghai; review due 24:00 Tuesday 3 Nov
    assert engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"][0]["due_at"] == "2026-11-03T16:00:00+00:00"
    assert alerts(runner, clock, utc(2026, 11, 2, 15, 59)) == 0     # Monday 23:59 in Shanghai: too early
    assert alerts(runner, clock, utc(2026, 11, 2, 16, 0)) == 1      # 00:00 Tuesday: the last working day
    assert alerts(runner, clock, utc(2026, 11, 3, 9, 0)) == 0       # not twice
    reminders = every(engine.list_notifications, engine.actor_for("intake2"))
    assert [(n["kind"], n["to_group"]) for n in reminders] == [("reminder", "intake")]
    assert alerts(runner, clock, utc(2026, 11, 3, 15, 59)) == 0
    assert alerts(runner, clock, utc(2026, 11, 3, 16, 0)) == 1      # 24:00 Tuesday: overdue
    assert alerts(runner, clock, utc(2026, 11, 5, 0, 0)) == 0
    escalations = every(engine.list_notifications, engine.actor_for("supervisor1"))
    assert [(n["kind"], n["to_group"]) for n in escalations] == [("escalation", "supervisor")]
    kinds = [e["kind"] for e in every(engine.case_history, engine.actor_for("auditor1"), case["id"])]
    assert kinds.count("notification_reminder") == 1 and kinds.count("notification_escalation") == 1


def test_the_reminder_goes_to_whoever_holds_the_task(engine, runner, clock, make_case):
    case = make_case("complaint")
    intake1 = engine.actor_for("intake1")
    engine.claim_task(intake1, engine.get_case(intake1, case["id"])["open_tasks"][0]["id"])
    assert alerts(runner, clock, utc(2026, 11, 2, 16, 0)) == 1
    assert [(n["kind"], n["to_user"]) for n in every(engine.list_notifications, intake1)] == [("reminder", "intake1")]
    assert every(engine.list_notifications, engine.actor_for("intake2")) == []


def test_tasks_the_diagram_times_get_no_second_alert(engine, runner, clock, make_case, work):
    case = make_case("complaint")
    work(case["id"], "review", "intake1", decision="accept", reason="受理", complex=False)
    investigate = engine.get_case(engine.actor_for("quality1"), case["id"])["open_tasks"][0]
    assert investigate["element_id"] == "investigate"
    engine.ctx.clock.set(utc(2026, 12, 31, 0, 0))
    assert engine.send_task_alerts(utc(2026, 12, 31, 0, 0)) == 0  # its boundary timers do 催办 and 督办


def test_a_paused_case_is_not_chased(engine, runner, clock, make_case):
    case = make_case("complaint")
    intake1 = engine.actor_for("intake1")
    engine.pause_clock(intake1, case["id"], "correction", "等待投诉人补充订单信息")
    assert alerts(runner, clock, utc(2026, 11, 4, 0, 0)) == 0


def test_a_task_with_only_an_escalation_drawn_still_gets_its_reminder(engine, runner, clock, make_case):
    case = make_case("tender_complaint")  # acceptance_due 24:00 Thursday 5 Nov; the diagram draws its 督办
    review = engine.get_case(engine.actor_for("clerk1"), case["id"])["open_tasks"][0]
    assert review["element_id"] == "acceptance_review" and review["due_at"] == "2026-11-05T16:00:00+00:00"
    assert alerts(runner, clock, utc(2026, 11, 4, 16, 0)) == 1   # 催办 at the start of Thursday
    clock.set(utc(2026, 11, 5, 16, 0))
    result = runner.invoke(args=["timers", "fire", "--as-of", utc(2026, 11, 5, 16, 0).isoformat()])
    assert result.output.splitlines()[:2] == ["1 timer(s) fired", "0 task reminder(s) and escalation(s) sent"]
