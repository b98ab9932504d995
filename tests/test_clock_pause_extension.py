"""Pausing a case clock moves every pending deadline (and its timers) by the paused working days;
an extension needs the supervisor's approval and stays within 30 working days; notices reach the
holder, the in-app list and the mail outbox; each is an audit event."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from engine.errors import Conflict, Forbidden, InvalidInput
from tests.test_clock_support import at, end_of, fire, notes, pending_timers, start_of
from tests.factories import every


@pytest.fixture
def complaint(engine, clock, make_case, work):
    clock.set(at(2026, 11, 2, 9))
    case_id = make_case(by="intake1")["id"]
    work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    return case_id  # resolve_due 2026-11-09 24:00


def kinds(engine, case_id):
    return [e["kind"] for e in every(engine.case_history, engine.actor_for("auditor1"), case_id)]


def test_pause_moves_pending_deadlines_and_timers_by_paused_working_days(engine, clock, complaint, runner):
    q1 = engine.actor_for("quality1")
    clock.set(at(2026, 11, 4, 10))  # Wednesday
    view = engine.pause_clock(q1, complaint, "expert_review", "送检包装样品")
    assert view["paused"] and view["pauses"][0]["reason"] == "送检包装样品"
    with pytest.raises(Conflict):
        engine.pause_clock(q1, complaint, "other", "again")
    # Paused timers do not fire, even when due.
    assert fire(runner, clock, at(2026, 11, 10, 1)) == 0
    clock.set(at(2026, 11, 11, 15))  # resumed on Wednesday a week later: 11-4 .. 11-10 = 5 working days
    view = engine.resume_clock(q1, complaint)
    assert not view["paused"] and view["pauses"][0]["ended_by"] == "quality1"
    case = engine.get_case(q1, complaint)
    assert case["deadlines"]["resolve_due"] == end_of(date(2026, 11, 16))
    assert case["deadlines"]["ack_due"] == end_of(date(2026, 11, 3))  # already past when paused: unchanged
    assert next(t for t in case["open_tasks"] if t["element_id"] == "investigate")["due_at"] == end_of(date(2026, 11, 16))
    assert pending_timers(engine, complaint) == {"resolve_reminder": start_of(date(2026, 11, 16)),
                                                 "resolve_overdue": end_of(date(2026, 11, 16))}
    assert fire(runner, clock, at(2026, 11, 15, 23, 59)) == 0
    assert fire(runner, clock, at(2026, 11, 17, 0, 0)) == 2
    assert {"clock_paused", "clock_resumed"} <= set(kinds(engine, complaint))


def test_only_people_working_the_case_pause_it(engine, complaint):
    with pytest.raises(Forbidden):
        engine.pause_clock(engine.actor_for("followup1"), complaint, "other", "x")
    with pytest.raises(InvalidInput):
        engine.pause_clock(engine.actor_for("quality1"), complaint, "other", "  ")


def test_extension_needs_the_supervisor_and_respects_30_working_days(engine, clock, complaint, runner):
    q1, sup = engine.actor_for("quality1"), engine.actor_for("supervisor1")
    with pytest.raises(InvalidInput):
        engine.request_extension(q1, complaint, 31, "需厂家检测")
    view = engine.request_extension(q1, complaint, 3, "需厂家检测")
    request_id = view["extensions"][0]["id"]
    assert notes(engine, complaint)[-1][:2] == ("notice", "group:supervisor")
    with pytest.raises(Forbidden):
        engine.decide_extension(q1, request_id, True)
    view = engine.decide_extension(sup, request_id, True, "同意")
    assert view["extensions"][0]["approved"] is True and view["extension_rule"]["used"] == 3
    case = engine.get_case(q1, complaint)
    assert case["deadlines"]["resolve_due"] == end_of(date(2026, 11, 12))
    assert case["data"]["extension_days_total"] == 3
    assert pending_timers(engine, complaint)["resolve_overdue"] == end_of(date(2026, 11, 12))
    with pytest.raises(InvalidInput):
        engine.request_extension(q1, complaint, 28, "再延")
    second = engine.request_extension(q1, complaint, 27, "再延")["extensions"][1]["id"]
    engine.decide_extension(sup, second, False, "不同意")
    assert engine.get_case(q1, complaint)["deadlines"]["resolve_due"] == end_of(date(2026, 11, 12))
    assert {"extension_requested", "extension_approved", "extension_refused"} <= set(kinds(engine, complaint))
    assert fire(runner, clock, at(2026, 11, 10, 0, 0)) == 0


def test_reminder_reaches_the_holder_in_app_and_by_mail(engine, clock, complaint, runner):
    with engine.ctx.db.transaction() as s:
        s.execute(text("update user_account set email='q1@example.com' where username='quality1'"))
    q1 = engine.actor_for("quality1")
    task_id = engine.inbox(q1)["available"]["items"][0]["id"]
    engine.claim_task(q1, task_id)
    fire(runner, clock, at(2026, 11, 9, 0, 0))
    listed = every(engine.list_notifications, q1, unread_only=True)
    assert [(n["kind"], n["to_user"]) for n in listed] == [("reminder", "quality1")]
    assert every(engine.list_notifications, engine.actor_for("quality2")) == []
    engine.mark_notification_read(q1, listed[0]["id"])
    assert every(engine.list_notifications, q1, unread_only=True) == []
    sent = []
    result = engine.send_outbox(lambda to, subject, body: sent.append((to, subject)))
    mine = [s for s in sent if s[0] == "q1@example.com"]
    assert len(mine) == 1 and "催办" in mine[0][1] and result["failed"] == 0
    assert engine.send_outbox(lambda *a: sent.append(a))["sent"] == 0  # nothing is sent twice


def test_a_failing_mail_server_keeps_the_mail_for_later(engine, clock, complaint, runner):
    def broken(to, subject, body):
        raise OSError("connection refused")

    result = engine.send_outbox(broken)
    assert result["sent"] == 0 and result["failed"] >= 1  # the complainant's acknowledgement
    with engine.ctx.db.transaction() as s:
        row = s.execute(text("select attempts, last_error, sent_at from outbox_mail order by id limit 1")).one()
    assert row[0] == 1 and "connection refused" in row[1] and row[2] is None
    assert engine.send_outbox(lambda *a: None)["sent"] >= 1


def test_a_scheduler_tick_fires_due_timers_and_delivers_mail(engine, clock, complaint):
    from engine.clocks.scheduler import _tick

    with engine.ctx.db.transaction() as s:
        s.execute(text("update user_account set email='q1@example.com' where username='quality1'"))
    q1 = engine.actor_for("quality1")
    engine.claim_task(q1, engine.inbox(q1)["available"]["items"][0]["id"])
    clock.set(at(2026, 11, 9, 0, 1))  # the reminder at the start of the last working day is due
    sent = []
    _tick(engine, lambda to, subject, body: sent.append(to))
    assert [n["kind"] for n in every(engine.list_notifications, q1)] == ["reminder"]
    assert "q1@example.com" in sent
