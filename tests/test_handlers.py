"""Unit tests of the service-task handlers, with a fake CaseLookups (no Flask, no database).

Dates are real: the fake calendar asks `chinese_calendar` directly, so a deadline across
National Day 2026 (Oct 1-7 off, Sat Oct 10 an adjusted working day) is checked against the
official schedule rather than against the engine's own calendar code.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.handler_api import HandlerContext
from handlers import build_registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
DEMO_GROUPS = {
    "intake": ["intake1", "intake2"], "dept_quality": ["quality1", "quality2"], "dept_contract": ["contract1"],
    "dept_logistics": ["logistics1"], "dept_service": ["service1"], "dept_billing": ["billing1"],
    "supervisor": ["supervisor1"], "followup": ["followup1"], "tender_clerk": ["clerk1"],
    "tender_investigators": ["tinv1", "tinv2", "tinv3"], "tender_head": ["thead1"], "discipline": ["disc1"],
    "integrity_office": ["integ1", "integ2"], "investigation_team": ["inv1", "inv2", "inv3"], "committee": ["comm1"],
}


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of_local_day(day: date) -> str:
    """24:00 Shanghai of `day` as the ISO text the handlers store (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(timezone.utc).isoformat()


class FakeLookups:
    """CaseLookups over plain dicts; working days straight from chinese_calendar (Mon-Fri beyond
    its coverage)."""

    def __init__(self, groups=None, names=None, conflicts=None, history=None, month="202611"):
        self.groups = {k: list(v) for k, v in (groups or DEMO_GROUPS).items()}
        self.names = dict(names or {})
        self.conflicts = {k.lower(): list(v) for k, v in (conflicts or {}).items()}
        self.history = dict(history or {})
        self.month = month
        self.counters: dict[str, int] = {}

    def next_number(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.month}-{self.counters[prefix]:04d}"

    def is_working_day(self, day) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    @staticmethod
    def _local(instant: datetime) -> date:
        return instant.astimezone(SHANGHAI).date()

    @staticmethod
    def _end(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(timezone.utc)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        day, remaining = self._local(start), days
        while remaining > 0:
            day += timedelta(days=1)
            remaining -= self.is_working_day(day)
        return self._end(day)

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        day = self._local(start) + timedelta(days=days)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._end(day)

    def working_days_before(self, due: datetime, days: int) -> datetime:
        day, remaining = self._local(due - timedelta(microseconds=1)), days
        while True:
            if self.is_working_day(day):
                remaining -= 1
                if remaining == 0:
                    return datetime.combine(day, time(0), SHANGHAI).astimezone(timezone.utc)
            day -= timedelta(days=1)

    def group_members(self, group: str) -> list[str]:
        return list(self.groups.get(group, []))

    def user_groups(self, username: str) -> list[str]:
        return sorted(g for g, members in self.groups.items() if username in members)

    def find_username(self, name: str) -> str | None:
        if any(name in members for members in self.groups.values()):
            return name
        return self.names.get(name)

    def conflicted_users(self, parties: list[str]) -> list[str]:
        return sorted({u for p in parties for u in self.conflicts.get(p.strip().lower(), [])})

    def complainant_history(self, organisation: str, case_type: str) -> list[dict]:
        return list(self.history.get((organisation, case_type), []))


REGISTRY = build_registry()


def run(operator: str, data: dict | None = None, params: dict | None = None, *, now: datetime | None = None,
        lookups: FakeLookups | None = None, filed_by: str | None = None, number: str | None = None) -> dict:
    ctx = HandlerContext(case_id=1, case_type="test", number=number, data=dict(data or {}),
                         now=now or shanghai(2026, 9, 30, 10), filed_by=filed_by, lookups=lookups or FakeLookups())
    return REGISTRY.get(operator)(ctx, params or {})


# --------------------------------------------------------------------------- the calendar itself

def test_fake_calendar_agrees_with_the_official_2026_schedule():
    assert not chinese_calendar.is_workday(date(2026, 10, 7))
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # adjusted working Saturday
    assert not chinese_calendar.is_workday(date(2026, 9, 25))  # Mid-autumn


def test_every_operator_a_diagram_names_is_registered():
    named = set()
    for bpmn in (ROOT / "processes").glob("*.bpmn"):
        named |= set(re.findall(r'serviceTaskOperator id="([^"]+)"', bpmn.read_text(encoding="utf-8")))
    assert named and named <= set(REGISTRY.names())


# --------------------------------------------------------------------------- numbering, deadlines

def test_numbering_assigns_once_and_keeps_an_existing_number():
    lookups = FakeLookups()
    assert run("numbering.assign", params={"prefix": "CP"}, lookups=lookups)["case"]["number"] == "CP-202611-0001"
    assert run("numbering.assign", params={"prefix": "CP"}, lookups=lookups)["case"]["number"] == "CP-202611-0002"
    kept = run("numbering.assign", params={"prefix": "CP"}, lookups=lookups, number="CP-202611-0001")
    assert kept["data"]["case_number"] == "CP-202611-0001" and lookups.counters["CP"] == 2
    with pytest.raises(ValueError):
        run("numbering.assign", params={"prefix": "c-p"})


def test_generic_deadline_with_reminder():
    out = run("deadlines.set", params={"name": "check_due", "days": 5, "remind_days": 1})
    assert out["deadlines"]["check_due"] == end_of_local_day(date(2026, 10, 13))
    assert out["deadlines"]["check_due_remind_at"] == datetime(2026, 10, 13, tzinfo=SHANGHAI).astimezone(timezone.utc).isoformat()
    calendar_days = run("deadlines.set", params={"name": "x", "days": 3, "unit": "calendar"})
    assert calendar_days["deadlines"]["x"] == end_of_local_day(date(2026, 10, 8))  # Oct 3 is a holiday: rolled


# --------------------------------------------------------------------------- complaint

def test_complaint_register_by_staff_makes_them_first_responsible():
    out = run("complaint.register", {"category": "quality"}, {"prefix": "CP"}, filed_by="intake1")
    assert out["case"] == {"number": "CP-202611-0001", "first_responsible": "intake1", "category": "quality"}
    assert out["data"]["task_candidates"] == {"reply": ["intake1"]}
    assert out["data"]["reopened"] == 0 and out["data"]["request_extension"] is False
    assert out["deadlines"]["ack_due"] == end_of_local_day(date(2026, 10, 8))  # 1 working day after Sep 30
    assert out["messages"][0]["kind"] == "acknowledgement" and "CP-202611-0001" in out["messages"][0]["body"]


def test_complaint_register_from_the_public_page_falls_to_intake():
    out = run("complaint.register", {}, {"prefix": "CP"})
    assert out["data"]["first_responsible"] is None and "task_candidates" not in out["data"]


def test_resolution_5_working_days_across_national_day_2026():
    out = run("complaint.accept", {"complex": False, "department": "dept_quality", "category": "quality"})
    # Sep 30 + 5 working days: Oct 8, 9, 10 (adjusted Saturday), 12, 13 -> ends 24:00 Oct 13 = Oct 14 00:00.
    assert out["deadlines"]["resolve_due"] == "2026-10-13T16:00:00+00:00"
    assert datetime.fromisoformat(out["deadlines"]["resolve_due"]).astimezone(SHANGHAI) == shanghai(2026, 10, 14)
    assert out["deadlines"]["resolve_remind_at"] == shanghai(2026, 10, 13).astimezone(timezone.utc).isoformat()
    assert out["case"] == {"department": "dept_quality", "category": "quality"}
    assert out["messages"][0]["kind"] == "notice"


def test_complex_complaint_gets_10_working_days():
    out = run("complaint.accept", {"complex": True})
    assert out["deadlines"]["resolve_due"] == end_of_local_day(date(2026, 10, 20))


def test_extension_counts_from_the_current_deadline_and_is_capped_at_30_days():
    data = {"extension_approved": True, "extension_days": 5, "resolve_due": end_of_local_day(date(2026, 10, 13)),
            "extension_days_total": 0}
    out = run("complaint.extend", data)
    assert out["deadlines"]["resolve_due"] == end_of_local_day(date(2026, 10, 20))
    assert out["data"] == {"request_extension": False, "approved_days": None, "extension_days_total": 5}
    assert run("complaint.extend", {**data, "approved_days": 2})["data"]["extension_days_total"] == 2
    with pytest.raises(ValueError, match="2"):
        run("complaint.extend", {**data, "extension_days_total": 28})
    refused = run("complaint.extend", {**data, "extension_approved": False})
    assert "deadlines" not in refused and refused["data"]["request_extension"] is False


def test_reply_due_and_reopen_and_close():
    assert run("complaint.schedule_reply")["deadlines"]["reply_due"] == end_of_local_day(date(2026, 10, 10))
    reopened = run("complaint.reopen", {"reopened": 0, "department": "dept_quality", "comment": "still broken"})
    assert reopened["data"]["reopened"] == 1
    assert reopened["notifications"][0]["to_group"] == "dept_quality"
    assert reopened["deadlines"]["resolve_due"] == end_of_local_day(date(2026, 10, 13))
    closed = run("complaint.close", {"satisfaction": "neutral"}, number="CP-202611-0001")
    assert "CP-202611-0001" in closed["messages"][0]["body"]


# --------------------------------------------------------------------------- recusal, messages

def test_recusal_excludes_the_accused_and_the_conflicted_and_cleans_candidates():
    lookups = FakeLookups(names={"王质检": "quality2"}, conflicts={"张三": ["service1"], "quality2": ["quality1"]})
    out = run("recusal.exclude", {"accused_staff": "王质检", "complainant_name": "张三",
                                  "task_candidates": {"reply": ["quality2", "intake1"]}},
              {"accused_field": "accused_staff", "party_fields": ["accused_staff", "complainant_name"]}, lookups=lookups)
    assert out["exclude_users"] == ["quality1", "quality2", "service1"]
    assert out["data"]["recused_users"] == ["quality1", "quality2", "service1"]
    assert out["data"]["task_candidates"] == {"reply": ["intake1"]}


def test_recusal_with_no_accused_and_no_conflicts_excludes_nobody():
    out = run("recusal.exclude", {"complainant_name": "李四"}, {"accused_field": "accused_staff",
                                                               "party_fields": ["complainant_name"]})
    assert out["exclude_users"] == [] and out["data"]["recused_users"] == []


def test_messages():
    assert run("messages.post", params={"kind": "reply", "body": " 已处理 "})["messages"] == [{"kind": "reply", "body": "已处理"}]
    with pytest.raises(ValueError):
        run("messages.post", params={"kind": "gossip", "body": "x"})
    with pytest.raises(ValueError):
        run("messages.post", params={"kind": "reply", "body": "  "})
    transfer = run("messages.transfer_notice", params={"transfer_to": "市市场监管局", "reason": "不属本单位"}, number="CP-1")
    assert "市市场监管局" in transfer["messages"][0]["body"] and transfer["data"]["transferred_to"] == "市市场监管局"
    to_group = run("messages.remind", {"resolve_due": end_of_local_day(date(2026, 10, 13))},
                   {"to_group": "dept_quality", "subject": "催办", "due_field": "resolve_due"})
    assert to_group["notifications"][0]["to_group"] == "dept_quality"
    assert "2026-10-13 24:00" in to_group["notifications"][0]["body"]
    to_people = run("messages.remind", {"task_candidates": {"investigate": ["inv1", "inv2"]}},
                    {"to_group": "committee", "task": "investigate"})
    assert [n["to_user"] for n in to_people["notifications"]] == ["inv1", "inv2"]


# --------------------------------------------------------------------------- tender complaints

TENDER = {"complainant_name": "甲建设公司", "complainant_role": "bidder", "project_code": "ZB-2026-017",
          "project_name": "一号楼", "tenderer": "乙集团", "respondent": "乙集团", "matter_type": "evaluation_result",
          "objection_filed": True, "known_date": "2026-09-25"}


def test_tender_filing_deadline_rolls_off_national_day():
    out = run("tender.register", TENDER, {"prefix": "TC"})
    # Sep 25 + 10 days = Oct 5 (holiday) -> rolled to Thursday Oct 8.
    assert out["deadlines"]["filing_deadline"] == end_of_local_day(date(2026, 10, 8))
    assert out["deadlines"]["acceptance_due"] == end_of_local_day(date(2026, 10, 10))
    assert out["case"]["number"] == "TC-202611-0001" and out["messages"][0]["kind"] == "acknowledgement"


def test_tender_filing_deadline_excludes_the_wait_for_the_objection_reply():
    out = run("tender.register", {**TENDER, "objection_reply_date": "2026-10-09"}, {"prefix": "TC"})
    assert out["deadlines"]["filing_deadline"] == end_of_local_day(date(2026, 10, 19))
    ignored = run("tender.register", {**TENDER, "objection_filed": False, "objection_reply_date": "2026-10-09"})
    assert ignored["deadlines"]["filing_deadline"] == end_of_local_day(date(2026, 10, 8))


def baseless(n: int, decided: str, outcome="rejected", code="OLD"):
    return [{"number": f"TC-{i}", "status": "closed", "outcome": outcome, "project_code": code,
             "decided_at": decided} for i in range(n)]


def test_precheck_clean_complaint_has_no_flags():
    data = {**TENDER, "received_at": "2026-09-30T02:00:00+00:00", "filing_deadline": end_of_local_day(date(2026, 10, 8))}
    out = run("tender.precheck", data)
    assert out["data"]["flags"] == [] and "notifications" not in out


def test_precheck_flags_everything_it_should_and_never_rejects():
    history = {("甲建设公司", "tender_complaint"): baseless(2, "2026-03-01T00:00:00+00:00")
               + baseless(1, "2026-01-10T00:00:00+00:00", "dismissed_malicious")
               + [{"number": "TC-9", "status": "closed", "outcome": "upheld", "project_code": "zb-2026-017",
                   "decided_at": "2026-08-01T00:00:00+00:00"}]}
    data = {**TENDER, "complainant_role": "prospective_bidder", "objection_filed": False,
            "received_at": "2026-10-20T02:00:00+00:00", "filing_deadline": end_of_local_day(date(2026, 10, 8))}
    out = run("tender.precheck", data, lookups=FakeLookups(history=history), now=shanghai(2026, 10, 20, 10))
    assert out["data"]["flags"] == ["late", "objection_missing", "not_interested_party", "repeat_baseless", "duplicate"]
    assert set(out["data"]["flag_notes"]) == set(out["data"]["flags"])
    assert out["notifications"][0]["to_group"] == "tender_clerk"
    assert "messages" not in out and "case" not in out


def test_precheck_counts_only_baseless_complaints_of_the_last_12_months():
    history = {("甲建设公司", "tender_complaint"): baseless(2, "2026-03-01T00:00:00+00:00")
               + baseless(1, "2025-09-01T00:00:00+00:00") + baseless(1, None, "upheld")}
    out = run("tender.precheck", {**TENDER, "received_at": "2026-09-30T02:00:00+00:00"},
              lookups=FakeLookups(history=history))
    assert "repeat_baseless" not in out["data"]["flags"] and "duplicate" not in out["data"]["flags"]


def test_standing_depends_on_the_matter():
    for role, matter, flagged in [("prospective_bidder", "tender_documents", False), ("prospective_bidder", "bid_opening", True),
                                  ("interested_party", "evaluation_result", False), ("interested_party", "bid_opening", True)]:
        out = run("tender.precheck", {**TENDER, "complainant_role": role, "matter_type": matter})
        assert ("not_interested_party" in out["data"]["flags"]) is flagged, (role, matter)


def test_correction_is_requested_once_with_5_working_days():
    out = run("tender.request_correction", {"reason": "缺少证据材料", "correction_requests": 0}, number="TC-1")
    assert out["deadlines"]["correction_due"] == end_of_local_day(date(2026, 10, 13))
    assert out["messages"][0]["kind"] == "request" and "缺少证据材料" in out["messages"][0]["body"]
    with pytest.raises(ValueError, match="once"):
        run("tender.request_correction", {"reason": "again", "correction_requests": 1})
    again = run("tender.correction_received", now=shanghai(2026, 10, 12, 9))
    assert again["deadlines"]["acceptance_due"] == end_of_local_day(date(2026, 10, 15))


def test_acceptance_starts_the_30_working_day_decision_clock():
    out = run("tender.accept", now=shanghai(2026, 11, 2, 9))
    due = out["deadlines"]["decision_due"]
    assert due == end_of_local_day(date(2026, 12, 14))
    assert out["deadlines"]["decision_remind_at"] == shanghai(2026, 12, 8).astimezone(timezone.utc).isoformat()


def test_suspension_is_recorded_and_lifted():
    assert run("tender.record_suspension", {"suspend_tender": False})["data"] == {"suspension_active": False}
    out = run("tender.record_suspension", {"suspend_tender": True}, now=shanghai(2026, 11, 2, 9))
    assert out["deadlines"]["suspension_ends_at"] == end_of_local_day(date(2026, 12, 2))
    lifted = run("tender.lift_suspension", {"suspension_active": True})
    assert lifted["data"]["suspension_active"] is False and lifted["data"]["suspension_end_reason"] == "expired"


def test_second_investigator_must_be_a_non_recused_member():
    assert run("tender.check_investigators", {"second_investigator": "tinv2"})["data"]["second_investigator"] == "tinv2"
    with pytest.raises(ValueError, match="not a member"):
        run("tender.check_investigators", {"second_investigator": "clerk1"})
    with pytest.raises(ValueError, match="recused"):
        run("tender.check_investigators", {"second_investigator": "tinv2", "recused_users": ["tinv2"]})
    with pytest.raises(ValueError, match="someone else"):
        run("tender.check_investigators", {"second_investigator": "tinv2", "investigation_completed_by": "tinv2"})


def test_tender_notices():
    rejected = run("tender.notice", {"reason": "超过投诉期限"}, {"kind": "non_acceptance"}, number="TC-1")
    assert "不予受理" in rejected["messages"][0]["body"] and "超过投诉期限" in rejected["messages"][0]["body"]
    transfer = run("tender.notice", {"reason": "政府采购项目", "transfer_to": "市财政局"}, {"kind": "transfer"})
    assert "市财政局" in transfer["messages"][0]["body"]
    with pytest.raises(ValueError):
        run("tender.notice", {}, {"kind": "transfer"})
    assert run("tender.notice", {}, {"kind": "no_correction"})["data"]["closing_notice"] == "no_correction"


def test_decision_letter_states_the_right_to_review_and_ends_the_suspension():
    data = {**TENDER, "outcome": "dismissed_malicious", "decision_text": "经查，投诉所附材料系伪造。",
            "measures": "", "suspension_active": True, "requests": "重新评标"}
    out = run("tender.decision_letter", data, number="TC-202611-0001")
    letter = out["messages"][0]
    assert letter["kind"] == "decision"
    for words in ("处理决定书", "行政复议", "行政诉讼", "六十日", "六个月", "TC-202611-0001", "甲建设公司"):
        assert words in letter["body"]
    assert out["data"]["baseless"] is True and out["data"]["suspension_active"] is False
    assert out["data"]["suspension_end_reason"] == "decision"
    lapsed = run("tender.decision_letter", {**data, "suspension_ends_at": "2026-09-01T00:00:00+00:00"})
    assert "suspension_end_reason" not in lapsed["data"]
    with pytest.raises(ValueError):
        run("tender.decision_letter", {"outcome": "maybe"})


# --------------------------------------------------------------------------- internal reports

REPORT = {"report_kind": "misconduct", "anonymous": True, "accused_name": "赵科长", "accused_department": "采购部",
          "facts": "2026年6月收受供应商礼品。"}


def test_protect_marks_confidential_and_excludes_accused_and_conflicted():
    lookups = FakeLookups(names={"赵科长": "inv3"}, conflicts={"采购部": ["inv2"]})
    out = run("confidentiality.protect", REPORT, lookups=lookups)
    assert out["case"] == {"confidential": True}
    assert out["exclude_users"] == ["inv2", "inv3"]
    assert out["access"] == {"groups": ["integrity_office", "committee"], "users": []}
    assert out["data"]["routed_to_committee"] is False and "lane_groups" not in out["data"]


def test_a_report_against_the_integrity_office_goes_to_the_committee():
    out = run("confidentiality.protect", {**REPORT, "accused_username": "integ1"})
    assert out["exclude_users"] == ["integ1"]
    assert out["data"]["lane_groups"] == {"integrity_office": "committee"}
    assert out["access"] == {"groups": ["committee"], "users": []}


def test_grant_team_validates_the_investigators():
    out = run("confidentiality.grant_team", {"task_candidates": {"x": ["a"]}}, {"investigators": ["inv1", "inv2"]})
    assert out["access"] == {"groups": ["committee"], "users": ["inv1", "inv2"]}
    assert out["data"]["task_candidates"] == {"x": ["a"], "investigate": ["inv1", "inv2"]}
    for chosen, words in [(["inv1"], "at least 2"), (["inv1", "inv1"], "at least 2"), (["inv1", "comm1"], "not members"),
                          ("inv1", "at least 2")]:
        with pytest.raises(ValueError, match=words):
            run("confidentiality.grant_team", {}, {"investigators": chosen})
    with pytest.raises(ValueError, match="recused"):
        run("confidentiality.grant_team", {"recused_users": ["inv2"]}, {"investigators": ["inv1", "inv2"]})


def test_register_report_acknowledges_at_once_with_3_month_feedback():
    out = run("internal_report.register", REPORT, {"prefix": "IR"}, now=shanghai(2026, 7, 6, 10))
    assert out["case"] == {"number": "IR-202611-0001", "confidential": True}
    assert out["deadlines"]["triage_due"] == end_of_local_day(date(2026, 7, 8))
    # Jul 6 + 3 months = Oct 6, a holiday (and Oct 7): rolled to Thursday Oct 8.
    assert out["deadlines"]["feedback_due"] == end_of_local_day(date(2026, 10, 8))
    assert out["deadlines"]["feedback_remind_at"] == end_of_local_day(date(2026, 9, 24))
    assert out["messages"][0]["kind"] == "acknowledgement" and "赵科长" not in out["messages"][0]["body"]


def test_reporter_notices_questions_and_feedback_never_name_the_accused():
    assert "暂存待查" in run("internal_report.notice", REPORT, {"outcome": "pending"})["messages"][0]["body"]
    with pytest.raises(ValueError):
        run("internal_report.notice", REPORT, {"outcome": "closed"})
    asked = run("internal_report.ask_reporter", {**REPORT, "question": "礼品是何时送达的？"})
    assert asked["messages"][0]["kind"] == "request" and asked["deadlines"]["answer_due"] == end_of_local_day(date(2026, 10, 20))
    fed_back = run("internal_report.feedback", {**REPORT, "substantiated": "partly", "decision_text": "给予赵科长记过处分"})
    body = fed_back["messages"][0]["body"]
    assert "部分属实" in body and "赵科长" not in body and "记过" not in body


def test_seal_keeps_the_committee_only():
    out = run("confidentiality.seal")
    assert out["access"] == {"groups": ["committee"], "users": []} and out["case"]["confidential"] is True
