"""A report stored pending (暂存待查) for lack of concrete leads is triaged again when the
reporter brings new information through the receipt mailbox."""
from __future__ import annotations
from tests.factories import every


def test_new_information_reopens_a_pending_report_at_triage(client, engine, make_case, work):
    filed = make_case("internal_report", anonymous=True, reporter_name=None, reporter_contact=None,
                      reporter_department=None)
    result = work(filed["id"], "triage", "integ1", decision="insufficient", reason="线索不具体，暂存待查")
    assert result["case_status"] == "pending"
    answer = client.post(f"/api/v1/public/reports/{filed['receipt']}/messages",
                         json={"body": "补充：2026年9月12日，采购部钱某在城南仓库收取了供应商现金。"})
    assert answer.status_code == 201
    integ1 = engine.actor_for("integ1")
    case = engine.get_case(integ1, filed["id"])
    assert case["status"] == "open" and case["closed_at"] is None
    assert [t["element_id"] for t in case["open_tasks"]] == ["triage"]
    assert "钱某" in case["data"]["new_information"]
    kinds = [e["kind"] for e in every(engine.case_history, engine.actor_for("auditor1"), filed["id"])]
    assert "case_reopened" in kinds
    assert work(filed["id"], "triage", "integ1", decision="out_of_scope", reason="属于劳动争议")["case_status"] == "rejected"


def test_a_rejected_case_stays_decided_when_the_complainant_writes(client, engine, make_case, work):
    filed = make_case("tender_complaint")
    result = work(filed["id"], "acceptance_review", "clerk1", decision="reject", reason="不属于投诉受理范围的事项")
    assert result["case_status"] == "rejected"
    answer = client.post(f"/api/v1/public/reports/{filed['receipt']}/messages", json={"body": "我们不同意不予受理的决定。"})
    assert answer.status_code == 201
    case = engine.get_case(engine.actor_for("clerk1"), filed["id"])
    assert case["status"] == "rejected" and case["open_tasks"] == []
    assert case["messages"][-1]["body"] == "我们不同意不予受理的决定。"


def test_the_reopened_triage_gets_its_two_working_days_again(client, engine, clock, make_case, work):
    from datetime import datetime, timezone

    filed = make_case("internal_report", anonymous=True, reporter_name=None, reporter_contact=None,
                      reporter_department=None)
    work(filed["id"], "triage", "integ1", decision="insufficient", reason="线索不具体，暂存待查")
    clock.set(datetime(2026, 12, 14, 2, 0, tzinfo=timezone.utc))  # Monday 14 December, 10:00 in Shanghai
    client.post(f"/api/v1/public/reports/{filed['receipt']}/messages", json={"body": "补充了具体的时间地点和人员。"})
    triage = engine.get_case(engine.actor_for("integ1"), filed["id"])["open_tasks"][0]
    assert triage["due_at"] == "2026-12-16T16:00:00+00:00" and not triage["overdue"]  # 24:00 Wednesday 16th
