"""The bundled diagrams, driven through the real runtime: every gateway branch, every end event.

Each scenario files a case through the engine facade (the real handler registry, service tasks
run by `engine.steps.CaseStep.call_service`, the case saved and restored between steps), works
its tasks as the demo staff who may take them, and fires timers by moving the clock and running
`timers.fire_due` (SpiffWorkflow's clock is the engine's hook). What is checked is what the
database holds afterwards: open tasks and their groups, waiting timers, the business data (never
a personal intake field), messages to the complainant, notifications and the audit trail. A
refused step (a handler raising, a form the engine rejects) answers with the element it failed
at and saves nothing; a timer whose step fails keeps its row unfired and records the error.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.errors import EngineError, Forbidden, NotFound, WorkflowFailed
from engine.models import AuditEvent, Case, CaseExclusion, CaseMessage, CaseViewer, Notification, Task, Timer
from tests.factories import decoded, default_attachments
from tests.test_clock_support import end_of as end_of_day
from tests.test_handlers import DEMO_GROUPS

END_EVENT = "EndEvent"


def end_of(day: str) -> str:
    """24:00 Shanghai of a date, as the handlers store it."""
    return end_of_day(datetime.fromisoformat(day).date())


def instant(value) -> datetime:
    value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class LiveCase:
    """One case in the real engine, worked step by step; reads come straight from its rows."""

    def __init__(self, engine, clock, key: str, filed_by: str | None = None):
        self.engine, self.clock, self.key, self.filed_by = engine, clock, key, filed_by
        self.id: int | None = None
        self.receipt: str | None = None

    # --- moving
    def start(self, intake: dict) -> "LiveCase":
        actor = self.engine.actor_for(self.filed_by) if self.filed_by else None
        filed = self.engine.file_case(actor, self.key, dict(intake), decoded(default_attachments(self.key)),
                                      anonymous=bool(intake.get("anonymous")) and actor is None)
        self.id, self.receipt = filed["id"], filed["receipt"]
        return self

    def complete(self, element_id: str, by: str | None = None, **form) -> "LiveCase":
        who, task_id = self._take(element_id, by)
        self.engine.complete_task(who, task_id, form)
        return self

    def refused(self, element_id: str, by: str | None = None, **form) -> str:
        """Complete a task whose step must be refused: the error's text, with nothing saved."""
        who, task_id = self._take(element_id, by)
        before = self.snapshot()
        with pytest.raises(EngineError) as caught:
            self.engine.complete_task(who, task_id, form)
        assert self.snapshot() == before, "a refused step saved something"
        assert self.engine.verify_audit()["ok"]
        return f"{caught.value.message} {caught.value.details}"

    def fire(self, element_id: str) -> "LiveCase":
        """Move the clock to the element's timer and let the scheduler fire what is due."""
        due = self.timers()[element_id]
        if self.clock.now() < due:
            self.clock.set(due)
        assert self.engine.fire_timers() >= 1
        assert element_id not in self.timers(), f"{element_id} did not fire"
        return self

    def message(self, body: str) -> "LiveCase":
        """The complainant writes with their receipt (the engine's `complainant_message`)."""
        self.engine.post_public_message(self.receipt, body)
        return self

    def _take(self, element_id: str, by: str | None):
        row = next((t for t in self.rows(Task, Task.state == "ready") if t.element_id == element_id), None)
        assert row is not None, f"{element_id} is not ready; ready: {self.ready}"
        people = [by] if by else ([row.assignee] if row.assignee else
                                  list(row.candidates or []) + DEMO_GROUPS.get(row.candidate_group, []))
        for username in people:
            who = self.engine.actor_for(username)
            try:
                self.engine.claim_task(who, row.id)
            except (Forbidden, NotFound):
                continue
            return who, row.id
        raise AssertionError(f"nobody of {people} may take {element_id}")

    # --- reading (the rows the step saved)
    def rows(self, model, *where):
        with self.engine.ctx.db.transaction() as s:
            order = model.seq if model is AuditEvent else model.id
            return list(s.scalars(select(model).where(model.case_id == self.id, *where).order_by(order)))

    def row(self) -> Case:
        with self.engine.ctx.db.transaction() as s:
            return s.get(Case, self.id)

    def snapshot(self):
        case = self.row()
        return (case.workflow_json, case.data, case.status, [(t.id, t.state, t.assignee) for t in self.rows(Task)],
                len(self.rows(AuditEvent)), len(self.rows(CaseMessage)))

    @property
    def number(self) -> str:
        return self.row().number

    @property
    def data(self) -> dict:
        return dict(self.row().data or {})

    @property
    def status(self) -> str:
        return self.row().status

    @property
    def ready(self) -> list[str]:
        return sorted(t.element_id for t in self.rows(Task, Task.state == "ready"))

    def timers(self) -> dict[str, datetime]:
        return {t.element_id: instant(t.due_at) for t in self.rows(Timer, Timer.fired_at.is_(None))}

    @property
    def waiting(self) -> list[str]:
        """Timers and message catch events the case waits on."""
        active = self.engine.case_path(self.engine.actor_for("auditor1"), self.id)["active"]
        return sorted(set(active) - set(self.ready))

    def lane(self, element_id: str) -> str:
        return next(t.lane for t in self.rows(Task, Task.state == "ready") if t.element_id == element_id)

    def group(self, element_id: str) -> str:
        return next(t.candidate_group for t in self.rows(Task, Task.state == "ready") if t.element_id == element_id)

    def events(self, kind: str | None = None) -> list[AuditEvent]:
        return [e for e in self.rows(AuditEvent) if kind is None or e.kind == kind]

    @property
    def ends(self) -> list[str]:
        import json

        return [e.element_id for e in self.events("element_completed") if json.loads(e.detail)["type"] == END_EVENT]

    @property
    def completed(self) -> set[str]:
        return {e.element_id for e in self.events("element_completed")}

    def effects_of(self, operator: str) -> list[dict]:
        """What the step recorded of each run of the operator (its deadlines and case fields)."""
        import json

        return [json.loads(e.detail) for e in self.events(f"service:{operator}")]

    def messages(self) -> list[CaseMessage]:
        return self.rows(CaseMessage, CaseMessage.direction == "to_complainant")

    def notifications(self) -> list[Notification]:
        return self.rows(Notification)

    def excluded(self) -> list[str]:
        return sorted(e.username for e in self.rows(CaseExclusion))

    def viewers(self) -> dict:
        rows = self.rows(CaseViewer)
        return {"groups": sorted(r.group_name for r in rows if r.group_name),
                "users": sorted(r.username for r in rows if r.username)}


@pytest.fixture
def live(engine, clock):
    """live("complaint", filed_by=None) -> a LiveCase to start."""
    return lambda key, filed_by=None: LiveCase(engine, clock, key, filed_by)


def declare(engine, username: str, party: str) -> None:
    """`username` declares a conflict of interest with `party` (an organisation)."""
    engine.declare_conflict(engine.actor_for(username), party, "former employer", "organisation")


# ============================================================================ customer complaint

COMPLAINT = {"channel": "hotline", "complainant_name": "张三", "complainant_phone": "13800000000",
             "category": "quality", "subject": "电表读数异常", "description": "本月电费比上月高出三倍，怀疑电表故障。",
             "accused_staff": "quality2"}
FINDINGS = {"request_extension": False, "root_cause": "电表计量芯片故障", "responsibility": "company", "remedy": "repair",
            "remedy_detail": "更换电表并退还多收电费"}


def test_complaint_rejected(live):
    case = live("complaint").start(COMPLAINT)
    assert case.ready == ["review"] and case.lane("review") == "intake"
    assert case.number == "CP-202611-0001" and "complainant_phone" not in case.data
    assert case.data["ack_due"] == end_of("2026-11-03")
    case.complete("review", decision="reject", reason="属于业务咨询", complex=False)
    assert case.ready == ["reply_rejection"] and case.lane("reply_rejection") == "intake"
    case.complete("reply_rejection", reply_text="您反映的问题属于业务咨询，已转客服中心解答。")
    assert case.status == "rejected" and case.ends == ["end_rejected"]
    assert [m.kind for m in case.messages()] == ["acknowledgement", "reply"]


def test_complaint_transferred(live):
    case = live("complaint").start(COMPLAINT)
    case.complete("review", decision="transfer", reason="属燃气公司业务", complex=False, transfer_to="市燃气公司")
    assert case.status == "transferred" and case.ends == ["end_transferred"]
    assert "市燃气公司" in case.messages()[-1].body


@pytest.mark.parametrize("category, department", [
    ("quality", "dept_quality"), ("contract", "dept_contract"), ("logistics", "dept_logistics"),
    ("service", "dept_service"), ("billing", "dept_billing"), ("other", "dept_service")])
def test_complaint_routing_table(live, category, department):
    case = live("complaint").start({**COMPLAINT, "category": category})
    case.complete("review", decision="accept", complex=False)
    assert case.ready == ["investigate"] and case.lane("investigate") == "department"
    assert case.data["department"] == department == case.group("investigate")
    assert case.effects_of("complaint.accept")[0]["case"]["department"] == department


def test_complaint_every_loop_and_timer(live, clock):
    case = live("complaint", filed_by="intake1").start(COMPLAINT)
    assert case.data["task_candidates"] == {"reply": ["intake1"]}
    case.complete("review", decision="accept", complex=False)
    assert case.data["department"] == "dept_quality" and case.data["recused_users"] == ["quality2"]
    assert case.data["resolve_due"] == end_of("2026-11-09")
    assert {"resolve_reminder", "resolve_overdue"} <= set(case.waiting)
    assert case.timers()["resolve_overdue"] == instant(case.data["resolve_due"])

    case.fire("resolve_reminder")
    assert case.notifications()[-1].group_name == "dept_quality" and "end_closed_reminded" in case.ends
    case.fire("resolve_overdue")
    assert case.ready == ["investigate", "supervise"] and case.lane("supervise") == "supervisor"
    case.complete("supervise", supervision_note="请于三日内办结")
    assert "督办" in case.notifications()[-1].subject and "end_closed_supervised" in case.ends

    case.complete("investigate", by="quality1", request_extension=True, extension_days=3, extension_reason="需厂家检测")
    assert case.ready == ["review_extension"] and case.lane("review_extension") == "supervisor"
    case.complete("review_extension", extension_approved=True)
    assert case.ready == ["investigate"] and case.data["resolve_due"] == end_of("2026-11-12")
    assert case.data["extension_days_total"] == 3

    case.complete("investigate", by="quality1", **FINDINGS)
    assert case.ready == ["approve"]
    case.complete("approve", approved=False, comment="补充检测报告")
    assert case.ready == ["investigate"]
    case.complete("investigate", by="quality1", **FINDINGS)
    case.complete("approve", approved=True)
    assert case.ready == ["reply"] and case.data["reply_due"] == end_of("2026-11-13")  # 3 working days from the 10th
    case.complete("reply", reply_text="经检测电表故障，已更换并退还多收电费。")
    assert case.ready == ["followup"] and case.lane("followup") == "followup"

    case.complete("followup", satisfaction="unsatisfied", comment="退费金额不对")
    assert case.ready == ["investigate"] and case.data["reopened"] == 1
    case.complete("investigate", by="quality1", **FINDINGS)
    case.complete("approve", approved=True)
    case.complete("reply", reply_text="已重新核算并补退差额。")
    case.complete("followup", satisfaction="unsatisfied", comment="仍不满意")
    assert case.status == "closed" and case.ends[-1] == "end_closed"
    assert [m.kind for m in case.messages()] == ["acknowledgement", "notice", "reply", "reply", "notice"]
    assert {"register", "route", "recusal", "accept", "extend_deadline", "reopen", "close"} <= case.completed


def test_complaint_closing_cancels_open_supervision(live):
    case = live("complaint").start({**COMPLAINT, "category": "other"})
    case.complete("review", decision="accept", complex=True)
    assert case.data["resolve_due"] == end_of("2026-11-16")
    case.fire("resolve_overdue")
    case.complete("investigate", **FINDINGS)
    case.complete("approve", approved=True)
    assert "task_candidates" not in case.data or "reply" not in case.data["task_candidates"]
    case.complete("reply", reply_text="已处理完毕。")
    case.complete("followup", satisfaction="satisfied")
    assert case.status == "closed" and "supervise" not in case.completed
    assert [e.element_id for e in case.events("task_cancelled")] == ["supervise"]


# ============================================================================ tender complaint

TENDER = {"complainant_name": "甲建设公司", "complainant_address": "北京市海淀区某路1号", "contact_person": "王经理",
          "contact_phone": "010-12345678", "complainant_role": "bidder", "project_name": "一号办公楼施工",
          "project_code": "ZB-2026-017", "tenderer": "乙集团", "respondent": "乙集团", "matter_type": "evaluation_result",
          "facts": "评标委员会未按招标文件规定的标准评分。", "requests": "重新评标", "known_date": "2026-10-28",
          "objection_filed": True, "objection_reply_date": "2026-10-30"}


def tender_case(live) -> LiveCase:
    case = live("tender_complaint").start(TENDER)
    assert case.ready == ["acceptance_review"] and case.lane("acceptance_review") == "tender_clerk"
    assert "contact_phone" not in case.data and case.number == "TC-202611-0001"
    return case


def test_tender_not_accepted(live):
    case = tender_case(live)
    assert case.data["flags"] == [] and case.data["filing_deadline"] == end_of("2026-11-09")
    case.complete("acceptance_review", decision="reject", reason="投诉人不是本项目投标人")
    assert case.status == "rejected" and case.ends == ["end_rejected"]
    assert "不予受理" in case.messages()[-1].body


def test_tender_transferred(live):
    case = tender_case(live)
    case.complete("acceptance_review", decision="transfer", reason="政府采购项目", transfer_to="市财政局")
    assert case.status == "transferred" and "市财政局" in case.messages()[-1].body


def test_tender_correction_never_arrives(live):
    case = tender_case(live)
    case.complete("acceptance_review", decision="request_correction", reason="请补充评分表复印件")
    assert case.waiting == ["await_correction", "correction_expired"] and case.ready == []
    assert case.messages()[-1].kind == "request"
    case.fire("correction_expired")
    assert case.status == "rejected" and case.ends[-1] == "end_rejected_no_correction"


def test_tender_every_branch_to_the_decision(live, engine, clock):
    declare(engine, "tinv3", "乙集团")
    case = tender_case(live)
    assert case.data["recused_users"] == ["tinv3"] and case.excluded() == ["tinv3"]
    case.fire("acceptance_overdue")
    assert case.notifications()[-1].group_name == "tender_head" and "end_closed_acceptance_escalated" in case.ends

    case.complete("acceptance_review", decision="request_correction", reason="请补充评分表复印件")
    case.message("已补充评分表。")
    assert case.ready == ["acceptance_review"]
    assert case.data["correction"] == {"complainant_message": "已补充评分表。"}
    assert "once" in case.refused("acceptance_review", decision="request_correction", reason="再补一次")

    case.complete("acceptance_review", decision="accept")
    assert case.ready == ["suspension"] and case.lane("suspension") == "tender_head"
    case.complete("suspension", suspend_tender=True, reason="评标结果公示期内，防止签订合同")
    assert case.ready == ["investigation"] and case.lane("investigation") == "tender_investigators"
    assert {"suspension_expired", "investigation_reminder", "investigation_overdue"} <= set(case.waiting)
    case.fire("suspension_expired")
    assert "end_closed_suspension_lifted" in case.ends and case.effects_of("tender.lift_suspension")
    case.fire("investigation_reminder")
    case.fire("investigation_overdue")
    assert [n.group_name for n in case.notifications()[-2:]] == ["tender_investigators", "tender_head"]

    evidence = {"findings": "评标委员会第3项评分与招标文件不符。", "evidence_reviewed": "评标报告、评分表"}
    refusal = case.refused("investigation", by="tinv1", second_investigator="tinv3", **evidence)
    assert "second_investigator" in refusal and "tinv3" not in refusal  # the recused are not even offered
    case.complete("investigation", by="tinv1", second_investigator="tinv2", **evidence)
    assert case.ready == ["decision"]
    case.complete("decision", outcome="upheld", decision_text="投诉成立，责令招标人重新评标。", measures="责令重新评标",
                  refer_discipline=True)
    assert case.ready == ["discipline_review"] and case.lane("discipline_review") == "discipline"
    assert case.messages()[-1].kind == "decision" and case.status == "open"
    assert case.data.get("suspension_end_reason") != "decision"  # it had lapsed before the decision
    case.complete("discipline_review", action_taken="preliminary_check")
    assert case.status == "closed" and case.ends[-1] == "end_closed"


def test_tender_decided_without_suspension_or_referral(live):
    case = tender_case(live)
    case.complete("acceptance_review", decision="accept")
    case.complete("suspension", suspend_tender=False)
    assert "end_closed_not_suspended" in case.ends
    case.complete("investigation", by="tinv2", second_investigator="tinv1", findings="评分符合招标文件规定。",
                  evidence_reviewed="评标报告")
    case.complete("decision", outcome="rejected", decision_text="投诉缺乏事实根据，驳回。", refer_discipline=False)
    assert case.status == "closed" and case.data["baseless"] is True
    assert "行政复议" in case.messages()[-1].body


# ============================================================================ internal report

REPORT = {"report_kind": "misconduct", "anonymous": True, "accused_name": "赵科长", "accused_department": "采购部",
          "facts": "2026年6月采购部赵科长收受供应商礼品。"}


def report_case(live, intake=None) -> LiveCase:
    case = live("internal_report").start(intake or REPORT)
    assert case.ready == ["triage"] and case.lane("triage") == "integrity_office"
    assert case.number == "IR-202611-0001" and case.messages()[0].kind == "acknowledgement"
    assert case.effects_of("confidentiality.protect")[0]["case"] == {"confidential": True}
    return case


def test_report_out_of_scope(live):
    case = report_case(live)
    case.complete("triage", decision="out_of_scope", reason="属劳动争议", note_to_reporter="请向劳动争议调解委员会申请调解。")
    assert case.status == "rejected" and case.ends == ["end_rejected_out_of_scope"]
    assert "劳动争议调解委员会" in case.messages()[-1].body


def test_report_stored_pending(live):
    named = {**REPORT, "anonymous": False, "reporter_name": "李四", "reporter_contact": "lisi@example.com",
             "reporter_department": "财务部"}
    case = report_case(live, named)
    assert not {"reporter_name", "reporter_contact", "reporter_department"} & set(case.data)
    case.complete("triage", decision="insufficient", reason="无具体时间地点")
    assert case.status == "pending" and case.ends == ["end_pending"]


def test_report_against_the_office_investigated_with_questions_and_sealed(live):
    case = report_case(live, {**REPORT, "accused_username": "integ1"})
    assert case.data["lane_groups"] == {"integrity_office": "committee"} and case.group("triage") == "committee"
    assert case.excluded() == ["integ1"]
    case.complete("triage", decision="accept")
    assert case.ready == ["form_team"] and case.lane("form_team") == "committee"
    refusal = case.refused("form_team", investigators=["inv1", "comm1"])
    assert "investigators.1" in refusal and "comm1" not in refusal  # only the team's members are offered
    case.complete("form_team", investigators=["inv1", "inv2"])
    assert case.ready == ["investigate"] and case.lane("investigate") == "investigation_team"
    assert case.data["task_candidates"] == {"investigate": ["inv1", "inv2"]}
    assert case.viewers() == {"groups": ["committee"], "users": ["inv1", "inv2"]}

    case.fire("feedback_reminder")
    assert case.notifications()[-1].group_name == "committee" and "end_sealed_reminded" in case.ends
    case.complete("investigate", by="inv1", next_step="ask_reporter", question="礼品是何时送到的？")
    assert case.waiting == ["answer_expired", "await_answer"] and case.messages()[-1].kind == "request"
    case.message("6月18日送到办公室。")
    assert case.ready == ["investigate"] and case.data["reporter_answer"] == {"complainant_message": "6月18日送到办公室。"}
    case.complete("investigate", by="inv1", next_step="ask_reporter", question="还有其他人在场吗？")
    case.fire("answer_expired")
    assert case.ready == ["investigate"]
    case.complete("investigate", by="inv1", next_step="report", findings="查实收受购物卡两张。", substantiated="yes")
    assert case.ready == ["decide"]
    case.complete("decide", decision_text="给予警告处分，退还礼品。", measures="警告处分", refer_judicial=False,
                  retaliation_risk="high")
    assert case.ready == ["retaliation_followup"] and case.messages()[-1].kind == "reply"
    case.complete("retaliation_followup", protection_measures="三个月内每月回访举报人")
    assert case.status == "sealed" and case.ends[-1] == "end_sealed"
    assert case.viewers() == {"groups": ["committee"], "users": []}


def test_report_investigated_and_sealed_without_retaliation_risk(live):
    case = report_case(live)
    assert "lane_groups" not in case.data
    case.complete("triage", decision="accept")
    case.complete("form_team", investigators=["inv2", "inv3"])
    case.complete("investigate", by="inv2", next_step="report", findings="未查实。", substantiated="no")
    case.complete("decide", decision_text="举报不属实，予以了结。", refer_judicial=False, retaliation_risk="low")
    assert case.status == "sealed" and {"feedback", "seal"} <= case.completed
    assert "不属实" in case.messages()[-1].body


# ============================================================================ failures in the real runtime

def broken(operator: str):
    def handler(ctx, params):
        raise RuntimeError(f"{operator} is down")

    return handler


def test_a_failing_handler_refuses_the_filing_naming_its_element(engine, client, monkeypatch):
    monkeypatch.setitem(engine.ctx.registry.handlers, "complaint.register", broken("complaint.register"))
    events = engine.verify_audit()["events"]
    with pytest.raises(WorkflowFailed) as caught:
        engine.file_case(None, "complaint", dict(COMPLAINT))
    assert caught.value.details["element_id"] == "register" and "complaint.register is down" in caught.value.message
    answer = client.post("/api/v1/public/reports", json={"type": "complaint", "data": COMPLAINT})
    assert answer.status_code == 422 and answer.get_json()["details"]["element_id"] == "register"
    with engine.ctx.db.transaction() as s:
        assert s.scalars(select(Case)).first() is None
    audit = engine.verify_audit()
    assert audit["ok"] and audit["events"] == events


def test_a_failing_handler_refuses_the_step_and_saves_nothing(live, engine, api, client, monkeypatch):
    case = live("complaint").start(COMPLAINT)
    monkeypatch.setitem(engine.ctx.registry.handlers, "complaint.accept", broken("complaint.accept"))
    assert "accept" in case.refused("review", by="intake1", decision="accept", complex=False)
    task_id = case.rows(Task, Task.state == "ready")[0].id
    answer = client.post(f"/api/v1/tasks/{task_id}/complete", headers=api("intake1"),
                         json={"data": {"decision": "accept", "complex": False}})
    assert answer.status_code == 422 and answer.get_json()["details"]["element_id"] == "accept"
    assert case.ready == ["review"] and case.status == "open" and engine.verify_audit()["ok"]


def test_a_failing_timer_step_keeps_the_case_and_its_timer_and_records_the_error(live, engine, monkeypatch):
    case = live("complaint").start(COMPLAINT)
    case.complete("review", decision="accept", complex=False)
    due = case.timers()["resolve_reminder"]
    before = case.snapshot()
    monkeypatch.setitem(engine.ctx.registry.handlers, "messages.remind", broken("messages.remind"))
    case.clock.set(due)
    assert engine.fire_timers() == 0
    after = case.snapshot()
    assert after[:4] == before[:4]  # workflow, data, status and tasks as they were
    assert case.timers()["resolve_reminder"] == due  # not lost, not marked fired
    with engine.ctx.db.transaction() as s:
        row = s.scalars(select(Timer).where(Timer.case_id == case.id, Timer.element_id == "resolve_reminder")).one()
        assert row.claimed_by is None and row.fired_at is None
    failed = case.events("step_failed")
    assert len(failed) == 1 and "remind_department" in failed[0].detail and "messages.remind is down" in failed[0].detail
    assert "remind_department" in case.row().failure
    assert engine.fire_timers() == 0 and len(case.events("step_failed")) == 1  # the same error is not re-audited
    assert engine.verify_audit()["ok"]

    monkeypatch.undo()  # the handler is back: the next run fires the timer and clears the failure
    assert engine.fire_timers() == 1
    assert "resolve_reminder" not in case.timers() and case.row().failure is None
    assert case.notifications()[-1].group_name == "dept_quality"


def test_a_malformed_handler_answer_fails_that_case_only(live, engine, monkeypatch):
    first = live("complaint").start(COMPLAINT)
    first.complete("review", decision="accept", complex=False)
    second = live("complaint").start({**COMPLAINT, "category": "billing"})
    second.complete("review", decision="accept", complex=False)
    real = engine.ctx.registry.handlers["messages.remind"]

    def malformed_for_quality(ctx, params):
        answer = real(ctx, params)
        if ctx.case_id == first.id:
            answer["notifications"] = [{"subject": "no recipient, no body"}]
        return answer

    monkeypatch.setitem(engine.ctx.registry.handlers, "messages.remind", malformed_for_quality)
    first.clock.set(max(first.timers()["resolve_reminder"], second.timers()["resolve_reminder"]))
    assert engine.fire_timers() == 1  # the other case's reminder still fired
    assert "resolve_reminder" in first.timers() and "resolve_reminder" not in second.timers()
    assert len(first.events("step_failed")) == 1 and first.row().failure
    assert engine.verify_audit()["ok"]
