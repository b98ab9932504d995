"""The bundled diagrams, run in memory with the real handlers: every gateway branch, every end event.

No Flask, no database. A test-only script engine evaluates conditions in the engine's restricted
environment and dispatches service tasks to `build_registry()` with a fake CaseLookups, merging
the returned `data` and `deadlines` into the task data as the engine does. Each scenario runs
twice: straight, and through a `BpmnWorkflowSerializer` round trip after every step (as the
engine saves and reloads a case between steps). Form data is validated against the form's JSON
Schema before it reaches the workflow, and personal intake fields never enter it.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.handler_api import HandlerContext
from engine.script_env import RestrictedEnvironment
from handlers import build_registry
from tests.test_handlers import FakeLookups, shanghai

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
REGISTRY = build_registry()
TYPES = {"complaint": ("complaint.bpmn", "complaint"), "tender_complaint": ("tender_complaint.bpmn", "tender_complaint"),
         "internal_report": ("whistleblower.bpmn", "internal_report")}


@lru_cache(maxsize=None)
def load(key: str):
    filename, process_id = TYPES[key]
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_file(str(PROCESSES / "complaint_routing.dmn"))
    parser.add_bpmn_file(str(PROCESSES / filename))
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


@lru_cache(maxsize=None)
def forms(key: str) -> dict:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (PROCESSES / "forms" / key).glob("*.json")}


class Clock:
    """SpiffWorkflow's timers ask `datetime.now()`; tests answer with the case's clock."""

    now = shanghai(2026, 11, 2, 9)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return Clock.now.astimezone(tz) if tz else Clock.now.astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture(autouse=True)
def frozen_timers(monkeypatch):
    """Timers wait until a test fires them, whatever today's real date is."""
    Clock.now = shanghai(2026, 11, 2, 9)
    monkeypatch.setattr(spiff_timer, "datetime", _ClockedDatetime)


class TestScriptEngine(PythonScriptEngine):
    """Restricted expressions, and service tasks handed to the registered handlers."""

    __test__ = False

    def __init__(self, case: "InMemoryCase"):
        super().__init__(environment=RestrictedEnvironment())
        self.case = case

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        ctx = HandlerContext(case_id=1, case_type=self.case.key, number=self.case.number,
                             data=copy.deepcopy(dict(task.data)), now=Clock.now, filed_by=self.case.filed_by,
                             lookups=self.case.lookups, element_id=task.task_spec.bpmn_id or "")
        try:
            result = REGISTRY.get(operation_name)(ctx, params) or {}
        except Exception as err:
            raise WorkflowTaskException(f"{operation_name}: {err}", task=task, exception=err) from err
        merged = {**(result.get("data") or {}), **(result.get("deadlines") or {})}
        for name, value in merged.items():
            task.data[name] = copy.deepcopy(value)
        if (result.get("case") or {}).get("number"):
            self.case.number = result["case"]["number"]
        self.case.effects.append((task.task_spec.bpmn_id, operation_name, result))
        return json.dumps({k: v for k, v in result.items() if k in ("data", "deadlines")})


class InMemoryCase:
    """One case driven step by step, optionally saved and restored after every step."""

    def __init__(self, key: str, roundtrip: bool, filed_by: str | None = None, lookups: FakeLookups | None = None):
        self.key, self.roundtrip, self.filed_by = key, roundtrip, filed_by
        self.lookups = lookups or FakeLookups()
        self.number: str | None = None
        self.effects: list[tuple[str, str, dict]] = []
        self.engine = TestScriptEngine(self)
        self.wf: BpmnWorkflow | None = None

    # --- moving
    def start(self, intake: dict) -> "InMemoryCase":
        schema = forms(self.key)["intake.json"]
        validate(schema, intake)
        personal = {n for n, p in schema["properties"].items() if p.get("x-personal")}
        data = {k: v for k, v in intake.items() if k not in personal}
        spec, subs = load(self.key)
        self.wf = BpmnWorkflow(spec, subs, script_engine=self.engine)
        self.wf.get_next_task(state=TaskState.READY).set_data(**data)
        self.wf.do_engine_steps()
        return self._saved()

    def complete(self, element_id: str, **form) -> "InMemoryCase":
        task = self.ready_task(element_id)
        form_name = task.task_spec.extensions["properties"]["formJsonSchemaFilename"]
        validate(forms(self.key)[form_name], form)
        task.set_data(**form)
        task.run()
        self.wf.do_engine_steps()
        return self._saved()

    def refused(self, element_id: str, **form) -> str:
        """Complete a task whose service step must refuse: the error, with the case left as it
        was (the engine rolls the step's transaction back)."""
        snapshot = SERIALIZER.to_dict(self.wf)
        number, effects = self.number, list(self.effects)
        with pytest.raises(WorkflowTaskException) as caught:
            self.complete(element_id, **form)
        self.wf = SERIALIZER.from_dict(snapshot)
        self.wf.script_engine = self.engine
        self.number, self.effects = number, effects
        error, texts = caught.value, []
        while error is not None:
            texts.append(str(error))
            error = getattr(error, "exception", None) or error.__cause__
        return " | ".join(texts)

    def fire(self, element_id: str) -> "InMemoryCase":
        """Force one waiting timer, after checking it waits for the deadline stored in the data."""
        task = self.waiting_task(element_id)
        due = TimerEventDefinition.get_datetime(task._get_internal_data("event_value"))
        assert due.tzinfo is not None and due == datetime.fromisoformat(self.data[task.task_spec.event_definition.expression])
        task._set_internal_data(event_fired=True)
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        return self._saved()

    def message(self, payload: dict) -> "InMemoryCase":
        """The complainant writes through the receipt page (the engine's `complainant_message`)."""
        for task in self.wf.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, MessageEventDefinition) and event.name == "complainant_message":
                self.wf.catch(BpmnEvent(event, payload=payload))
                self.wf.do_engine_steps()
                return self._saved()
        raise AssertionError("no catch event waits for complainant_message")

    def _saved(self) -> "InMemoryCase":
        if self.roundtrip:
            state = json.loads(json.dumps(SERIALIZER.to_dict(self.wf)))
            self.wf = SERIALIZER.from_dict(state)
            self.wf.script_engine = self.engine
        return self

    # --- reading
    def ready_task(self, element_id: str):
        found = [t for t in self.wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == element_id]
        assert found, f"{element_id} is not ready; ready: {self.ready}"
        return found[0]

    def waiting_task(self, element_id: str):
        found = [t for t in self.wf.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == element_id]
        assert found, f"{element_id} is not waiting; waiting: {self.waiting}"
        return found[0]

    @property
    def ready(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in self.wf.get_tasks(state=TaskState.READY, manual=True))

    @property
    def waiting(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in self.wf.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id)

    def lane(self, element_id: str) -> str:
        return self.ready_task(element_id).task_spec.lane

    @property
    def data(self) -> dict:
        if self.wf.is_completed():
            return dict(self.wf.data)
        merged: dict = {}
        live = self.wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        for task in sorted(live, key=lambda t: t.last_state_change):
            merged.update(task.data)
        return merged

    @property
    def ends(self) -> list[str]:
        done = [t for t in self.wf.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)]
        return [t.task_spec.bpmn_id for t in sorted(done, key=lambda t: t.last_state_change)]

    @property
    def status(self) -> str:
        assert self.wf.is_completed(), f"still open: ready {self.ready}, waiting {self.waiting}"
        return self.ends[-1].split("_")[1]

    @property
    def completed(self) -> set[str]:
        return {t.task_spec.bpmn_id for t in self.wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}

    def effects_of(self, operator: str) -> list[dict]:
        return [result for _, op, result in self.effects if op == operator]

    def messages(self) -> list[dict]:
        return [m for _, _, result in self.effects for m in result.get("messages") or []]

    def notifications(self) -> list[dict]:
        return [n for _, _, result in self.effects for n in result.get("notifications") or []]


def validate(schema: dict, data: dict) -> None:
    errors = [e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(data)]
    assert not errors, errors


@pytest.fixture(params=["straight", "roundtrip"])
def roundtrip(request) -> bool:
    return request.param == "roundtrip"


def end_of(day: str) -> str:
    """24:00 Shanghai of a date, as the handlers store it."""
    from tests.test_handlers import end_of_local_day
    return end_of_local_day(datetime.fromisoformat(day).date())


# ============================================================================ customer complaint

COMPLAINT = {"channel": "hotline", "complainant_name": "张三", "complainant_phone": "13800000000",
             "category": "quality", "subject": "电表读数异常", "description": "本月电费比上月高出三倍，怀疑电表故障。",
             "accused_staff": "quality2"}
FINDINGS = {"request_extension": False, "root_cause": "电表计量芯片故障", "responsibility": "company", "remedy": "repair",
            "remedy_detail": "更换电表并退还多收电费"}


def test_complaint_rejected(roundtrip):
    case = InMemoryCase("complaint", roundtrip).start(COMPLAINT)
    assert case.ready == ["review"] and case.lane("review") == "intake"
    assert case.number == "CP-202611-0001" and "complainant_phone" not in case.data
    assert case.data["ack_due"] == end_of("2026-11-03")
    case.complete("review", decision="reject", reason="属于业务咨询", complex=False)
    assert case.ready == ["reply_rejection"] and case.lane("reply_rejection") == "intake"
    case.complete("reply_rejection", reply_text="您反映的问题属于业务咨询，已转客服中心解答。")
    assert case.status == "rejected" and case.ends == ["end_rejected"]
    assert [m["kind"] for m in case.messages()] == ["acknowledgement", "reply"]


def test_complaint_transferred(roundtrip):
    case = InMemoryCase("complaint", roundtrip).start(COMPLAINT)
    case.complete("review", decision="transfer", reason="属燃气公司业务", complex=False, transfer_to="市燃气公司")
    assert case.status == "transferred" and case.ends == ["end_transferred"]
    assert "市燃气公司" in case.messages()[-1]["body"]


@pytest.mark.parametrize("category, department", [
    ("quality", "dept_quality"), ("contract", "dept_contract"), ("logistics", "dept_logistics"),
    ("service", "dept_service"), ("billing", "dept_billing"), ("other", "dept_service")])
def test_complaint_routing_table(category, department):
    case = InMemoryCase("complaint", roundtrip=True).start({**COMPLAINT, "category": category})
    case.complete("review", decision="accept", complex=False)
    assert case.ready == ["investigate"] and case.lane("investigate") == "department"
    assert case.data["department"] == department
    assert case.effects_of("complaint.accept")[0]["case"]["department"] == department


def test_complaint_every_loop_and_timer(roundtrip):
    case = InMemoryCase("complaint", roundtrip, filed_by="intake1").start(COMPLAINT)
    assert case.data["task_candidates"] == {"reply": ["intake1"]}
    case.complete("review", decision="accept", complex=False)
    assert case.data["department"] == "dept_quality" and case.data["recused_users"] == ["quality2"]
    assert case.data["resolve_due"] == end_of("2026-11-09")
    assert {"resolve_reminder", "resolve_overdue"} <= set(case.waiting)

    case.fire("resolve_reminder")
    assert case.notifications()[-1]["to_group"] == "dept_quality" and "end_closed_reminded" in case.ends
    case.fire("resolve_overdue")
    assert case.ready == ["investigate", "supervise"] and case.lane("supervise") == "supervisor"
    case.complete("supervise", supervision_note="请于三日内办结")
    assert "督办" in case.notifications()[-1]["subject"] and "end_closed_supervised" in case.ends

    case.complete("investigate", request_extension=True, extension_days=3, extension_reason="需厂家检测")
    assert case.ready == ["review_extension"] and case.lane("review_extension") == "supervisor"
    case.complete("review_extension", extension_approved=True)
    assert case.ready == ["investigate"] and case.data["resolve_due"] == end_of("2026-11-12")
    assert case.data["extension_days_total"] == 3

    case.complete("investigate", **FINDINGS)
    assert case.ready == ["approve"]
    case.complete("approve", approved=False, comment="补充检测报告")
    assert case.ready == ["investigate"]
    case.complete("investigate", **FINDINGS)
    case.complete("approve", approved=True)
    assert case.ready == ["reply"] and case.data["reply_due"] == end_of("2026-11-05")
    case.complete("reply", reply_text="经检测电表故障，已更换并退还多收电费。")
    assert case.ready == ["followup"] and case.lane("followup") == "followup"

    case.complete("followup", satisfaction="unsatisfied", comment="退费金额不对")
    assert case.ready == ["investigate"] and case.data["reopened"] == 1
    case.complete("investigate", **FINDINGS)
    case.complete("approve", approved=True)
    case.complete("reply", reply_text="已重新核算并补退差额。")
    case.complete("followup", satisfaction="unsatisfied", comment="仍不满意")
    assert case.status == "closed" and case.ends[-1] == "end_closed"
    assert [m["kind"] for m in case.messages()] == ["acknowledgement", "notice", "reply", "reply", "notice"]
    assert {"register", "route", "recusal", "accept", "extend_deadline", "reopen", "close"} <= case.completed


def test_complaint_closing_cancels_open_supervision(roundtrip):
    case = InMemoryCase("complaint", roundtrip).start({**COMPLAINT, "category": "other"})
    case.complete("review", decision="accept", complex=True)
    assert case.data["resolve_due"] == end_of("2026-11-16")
    case.fire("resolve_overdue")
    case.complete("investigate", **FINDINGS)
    case.complete("approve", approved=True)
    assert "task_candidates" not in case.data or "reply" not in case.data["task_candidates"]
    case.complete("reply", reply_text="已处理完毕。")
    case.complete("followup", satisfaction="satisfied")
    assert case.status == "closed" and "supervise" not in case.completed


# ============================================================================ tender complaint

TENDER = {"complainant_name": "甲建设公司", "complainant_address": "北京市海淀区某路1号", "contact_person": "王经理",
          "contact_phone": "010-12345678", "complainant_role": "bidder", "project_name": "一号办公楼施工",
          "project_code": "ZB-2026-017", "tenderer": "乙集团", "respondent": "乙集团", "matter_type": "evaluation_result",
          "facts": "评标委员会未按招标文件规定的标准评分。", "requests": "重新评标", "known_date": "2026-10-28",
          "objection_filed": True, "objection_reply_date": "2026-10-30"}


def tender_case(roundtrip, **kwargs) -> InMemoryCase:
    case = InMemoryCase("tender_complaint", roundtrip, **kwargs).start(TENDER)
    assert case.ready == ["acceptance_review"] and case.lane("acceptance_review") == "tender_clerk"
    assert "contact_phone" not in case.data and case.number == "TC-202611-0001"
    return case


def test_tender_not_accepted(roundtrip):
    case = tender_case(roundtrip)
    assert case.data["flags"] == [] and case.data["filing_deadline"] == end_of("2026-11-09")
    case.complete("acceptance_review", decision="reject", reason="投诉人不是本项目投标人")
    assert case.status == "rejected" and case.ends == ["end_rejected"]
    assert "不予受理" in case.messages()[-1]["body"]


def test_tender_transferred(roundtrip):
    case = tender_case(roundtrip)
    case.complete("acceptance_review", decision="transfer", reason="政府采购项目", transfer_to="市财政局")
    assert case.status == "transferred" and "市财政局" in case.messages()[-1]["body"]


def test_tender_correction_never_arrives(roundtrip):
    case = tender_case(roundtrip)
    case.complete("acceptance_review", decision="request_correction", reason="请补充评分表复印件")
    assert case.waiting == ["await_correction", "correction_expired"] and case.ready == []
    assert case.messages()[-1]["kind"] == "request"
    case.fire("correction_expired")
    assert case.status == "rejected" and case.ends == ["end_rejected_no_correction"]


def test_tender_every_branch_to_the_decision(roundtrip):
    lookups = FakeLookups(conflicts={"乙集团": ["tinv3"]})
    case = tender_case(roundtrip, lookups=lookups)
    assert case.data["recused_users"] == ["tinv3"]
    case.fire("acceptance_overdue")
    assert case.notifications()[-1]["to_group"] == "tender_head" and "end_closed_acceptance_escalated" in case.ends

    case.complete("acceptance_review", decision="request_correction", reason="请补充评分表复印件")
    Clock.now = shanghai(2026, 11, 4, 15)
    case.message({"complainant_message": "已补充评分表。"})
    assert case.ready == ["acceptance_review"] and case.data["acceptance_due"] == end_of("2026-11-09")
    assert case.data["correction"] == {"complainant_message": "已补充评分表。"}
    assert "once" in case.refused("acceptance_review", decision="request_correction", reason="再补一次")

    case.complete("acceptance_review", decision="accept")
    assert case.ready == ["suspension"] and case.lane("suspension") == "tender_head"
    assert case.data["decision_due"] == end_of("2026-12-16")
    case.complete("suspension", suspend_tender=True, reason="评标结果公示期内，防止签订合同")
    assert case.ready == ["investigation"] and case.lane("investigation") == "tender_investigators"
    assert {"suspension_expired", "investigation_reminder", "investigation_overdue"} <= set(case.waiting)
    Clock.now = shanghai(2026, 12, 7, 9)
    case.fire("suspension_expired")
    assert "end_closed_suspension_lifted" in case.ends and case.effects_of("tender.lift_suspension")
    case.fire("investigation_reminder")
    case.fire("investigation_overdue")
    assert [n["to_group"] for n in case.notifications()[-2:]] == ["tender_investigators", "tender_head"]

    evidence = {"findings": "评标委员会第3项评分与招标文件不符。", "evidence_reviewed": "评标报告、评分表"}
    assert "recused" in case.refused("investigation", second_investigator="tinv3", **evidence)
    case.complete("investigation", second_investigator="tinv2", **evidence)
    assert case.ready == ["decision"]
    case.complete("decision", outcome="upheld", decision_text="投诉成立，责令招标人重新评标。", measures="责令重新评标",
                  refer_discipline=True)
    assert case.ready == ["discipline_review"] and case.lane("discipline_review") == "discipline"
    assert case.messages()[-1]["kind"] == "decision" and not case.wf.is_completed()
    assert "suspension_end_reason" not in case.effects_of("tender.decision_letter")[0]["data"]  # it had lapsed
    case.complete("discipline_review", action_taken="preliminary_check")
    assert case.status == "closed" and case.ends[-1] == "end_closed"


def test_tender_decided_without_suspension_or_referral(roundtrip):
    case = tender_case(roundtrip)
    case.complete("acceptance_review", decision="accept")
    case.complete("suspension", suspend_tender=False)
    assert "end_closed_not_suspended" in case.ends
    case.complete("investigation", second_investigator="tinv1", findings="评分符合招标文件规定。", evidence_reviewed="评标报告")
    case.complete("decision", outcome="rejected", decision_text="投诉缺乏事实根据，驳回。", refer_discipline=False)
    assert case.status == "closed" and case.data["baseless"] is True
    assert "行政复议" in case.messages()[-1]["body"]


# ============================================================================ internal report

REPORT = {"report_kind": "misconduct", "anonymous": True, "accused_name": "赵科长", "accused_department": "采购部",
          "facts": "2026年6月采购部赵科长收受供应商礼品。"}


def report_case(roundtrip, intake=None, **kwargs) -> InMemoryCase:
    case = InMemoryCase("internal_report", roundtrip, **kwargs).start(intake or REPORT)
    assert case.ready == ["triage"] and case.lane("triage") == "integrity_office"
    assert case.number == "IR-202611-0001" and case.messages()[0]["kind"] == "acknowledgement"
    assert case.effects_of("confidentiality.protect")[0]["case"] == {"confidential": True}
    return case


def test_report_out_of_scope(roundtrip):
    case = report_case(roundtrip)
    case.complete("triage", decision="out_of_scope", reason="属劳动争议", note_to_reporter="请向劳动争议调解委员会申请调解。")
    assert case.status == "rejected" and case.ends == ["end_rejected_out_of_scope"]
    assert "劳动争议调解委员会" in case.messages()[-1]["body"]


def test_report_stored_pending(roundtrip):
    named = {**REPORT, "anonymous": False, "reporter_name": "李四", "reporter_contact": "lisi@example.com",
             "reporter_department": "财务部"}
    case = report_case(roundtrip, named)
    assert not {"reporter_name", "reporter_contact", "reporter_department"} & set(case.data)
    case.complete("triage", decision="insufficient", reason="无具体时间地点")
    assert case.status == "pending" and case.ends == ["end_pending"]


def test_report_against_the_office_investigated_with_questions_and_sealed(roundtrip):
    case = report_case(roundtrip, {**REPORT, "accused_username": "integ1"})
    assert case.data["lane_groups"] == {"integrity_office": "committee"}
    assert case.effects_of("confidentiality.protect")[0]["exclude_users"] == ["integ1"]
    case.complete("triage", decision="accept")
    assert case.ready == ["form_team"] and case.lane("form_team") == "committee"
    assert "not members" in case.refused("form_team", investigators=["inv1", "comm1"])
    case.complete("form_team", investigators=["inv1", "inv2"])
    assert case.ready == ["investigate"] and case.lane("investigate") == "investigation_team"
    assert case.data["task_candidates"] == {"investigate": ["inv1", "inv2"]}
    assert case.effects_of("confidentiality.grant_team")[0]["access"] == {"groups": ["committee"], "users": ["inv1", "inv2"]}

    case.fire("feedback_reminder")
    assert case.notifications()[-1]["to_group"] == "committee" and "end_sealed_reminded" in case.ends
    case.complete("investigate", next_step="ask_reporter", question="礼品是何时送到的？")
    assert case.waiting == ["answer_expired", "await_answer"] and case.messages()[-1]["kind"] == "request"
    case.message({"complainant_message": "6月18日送到办公室。"})
    assert case.ready == ["investigate"] and case.data["reporter_answer"] == {"complainant_message": "6月18日送到办公室。"}
    case.complete("investigate", next_step="ask_reporter", question="还有其他人在场吗？")
    case.fire("answer_expired")
    assert case.ready == ["investigate"]
    case.complete("investigate", next_step="report", findings="查实收受购物卡两张。", substantiated="yes")
    assert case.ready == ["decide"]
    case.complete("decide", decision_text="给予警告处分，退还礼品。", measures="警告处分", refer_judicial=False,
                  retaliation_risk="high")
    assert case.ready == ["retaliation_followup"] and case.messages()[-1]["kind"] == "reply"
    case.complete("retaliation_followup", protection_measures="三个月内每月回访举报人")
    assert case.status == "sealed" and case.ends[-1] == "end_sealed"
    assert case.effects_of("confidentiality.seal")[0]["access"] == {"groups": ["committee"], "users": []}


def test_report_investigated_and_sealed_without_retaliation_risk(roundtrip):
    case = report_case(roundtrip)
    assert "lane_groups" not in case.data
    case.complete("triage", decision="accept")
    case.complete("form_team", investigators=["inv2", "inv3"])
    case.complete("investigate", next_step="report", findings="未查实。", substantiated="no")
    case.complete("decide", decision_text="举报不属实，予以了结。", refer_judicial=False, retaliation_risk="low")
    assert case.status == "sealed" and {"feedback", "seal"} <= case.completed
    assert "不属实" in case.messages()[-1]["body"]
