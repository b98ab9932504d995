"""Whole cases driven through the API only, as an integration would: filing to the end event."""
from __future__ import annotations

from tests.test_api_support import API, file_case, file_public, get_case, h, open_task, work  # noqa: F401


def status_of(client, headers, case_id: int) -> str:
    return get_case(client, headers, case_id)["status"]


def case_of_receipt(client, headers, number: str) -> dict:
    items = client.get(f"{API}/cases?q={number}", headers=headers).get_json()["items"]
    assert len(items) == 1, items
    return items[0]


def test_customer_complaint_to_closed(client, h):
    filed = file_case(client, h("intake1"), category="quality")
    case_id = filed["id"]
    step = work(client, h, case_id, "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    assert step["case_status"] == "open"
    assert [t["element_id"] for t in step["next_tasks"]] == ["investigate"]
    case = get_case(client, h("quality1"), case_id)
    assert case["data"].get("department") == "dept_quality"
    assert case["deadlines"].get("resolve_due")
    step = work(client, h, case_id, "investigate", "quality1", root_cause="包装线封口温度过低",
                responsibility="company", remedy="exchange", remedy_detail="更换两条卷烟")
    assert [t["element_id"] for t in step["next_tasks"]] == ["approve"]
    step = work(client, h, case_id, "approve", "supervisor1", approved=True, comment="同意")
    reply = open_task(client, h("intake1"), case_id, "reply")
    assert reply["assignee"] == "intake1"  # the first-responsible person (首问负责制) filed it
    step = work(client, h, case_id, "reply", "intake1", reply_text="您好，我们将为您更换两条卷烟。")
    assert [t["element_id"] for t in step["next_tasks"]] == ["followup"]
    step = work(client, h, case_id, "followup", "followup1", satisfaction="satisfied", comment="满意")
    assert step["case_status"] == "closed" and step["next_tasks"] == []
    final = get_case(client, h("auditor1"), case_id)
    assert final["status"] == "closed" and final["closed_at"] and final["open_tasks"] == []
    path = client.get(f"{API}/cases/{case_id}/path", headers=h("auditor1")).get_json()
    assert {"review", "investigate", "approve", "reply", "followup"} <= set(path["completed"])
    assert path["active"] == []
    kinds = [e["kind"] for e in client.get(f"{API}/cases/{case_id}/history?limit=100", headers=h("auditor1"))
             .get_json()["items"]]
    assert kinds[0] == "case_filed" and kinds.count("task_completed") == 5
    assert client.get(f"{API}/audit/verify", headers=h("auditor1")).get_json()["ok"] is True


def test_unsatisfied_followup_reopens_the_investigation_once(client, h):
    case_id = file_case(client, h("intake1"))["id"]
    work(client, h, case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    for round_ in range(2):
        work(client, h, case_id, "investigate", "quality2", root_cause="原因", responsibility="company",
             remedy="repair", remedy_detail="维修")
        work(client, h, case_id, "approve", "supervisor1", approved=True, comment="同意")
        work(client, h, case_id, "reply", "intake1", reply_text="答复")
        step = work(client, h, case_id, "followup", "followup1", satisfaction="unsatisfied", comment="不满意")
        if round_ == 0:
            assert [t["element_id"] for t in step["next_tasks"]] == ["investigate"]
    assert step["case_status"] == "closed"


def test_rejected_complaint_ends_rejected_and_the_complainant_reads_the_reply(client, h):
    resp = file_public(client, "complaint")
    assert resp.status_code == 201, resp.get_json()
    number, receipt = resp.get_json()["number"], resp.get_json()["receipt"]
    case_id = case_of_receipt(client, h("intake1"), number)["id"]
    work(client, h, case_id, "review", "intake1", decision="reject", reason="不属于本单位受理范围", complex=False)
    step = work(client, h, case_id, "reply_rejection", "intake1", reply_text="您的投诉不属于本单位受理范围。")
    assert step["case_status"] == "rejected"
    public = client.get(f"{API}/public/reports/{receipt}").get_json()
    assert public["status"] == "rejected"
    assert any("不属于本单位受理范围" in m["body"] for m in public["messages"])


def test_transferred_complaint_ends_transferred(client, h):
    case_id = file_case(client, h("intake1"))["id"]
    review = open_task(client, h("intake1"), case_id, "review")
    client.post(f"{API}/tasks/{review['id']}/claim", headers=h("intake1"))
    missing = client.post(f"{API}/tasks/{review['id']}/complete", headers=h("intake1"),
                          json={"data": {"decision": "transfer", "reason": "属于供电公司职责", "complex": False}})
    assert missing.status_code == 400 and "transfer_to" in missing.get_json()["details"]
    step = work(client, h, case_id, "review", "intake1", decision="transfer", reason="属于供电公司职责",
                complex=False, transfer_to="市供电公司客户服务中心")
    assert step["case_status"] == "transferred" and step["next_tasks"] == []


def test_tender_complaint_not_accepted_ends_rejected(client, h):
    resp = file_public(client, "tender_complaint")
    assert resp.status_code == 201, resp.get_json()
    number, receipt = resp.get_json()["number"], resp.get_json()["receipt"]
    assert number.startswith("TC-")
    case_id = case_of_receipt(client, h("clerk1"), number)["id"]
    step = work(client, h, case_id, "acceptance_review", "clerk1", decision="reject",
                reason="投诉人不是所投诉项目的投标人或其他利害关系人。")
    assert step["case_status"] == "rejected" and step["next_tasks"] == []
    assert status_of(client, h("clerk1"), case_id) == "rejected"
    assert client.get(f"{API}/public/reports/{receipt}").get_json()["status"] == "rejected"


def test_internal_report_out_of_scope_ends(client, h):
    resp = file_public(client, "internal_report")
    assert resp.status_code == 201, resp.get_json()
    number = resp.get_json()["number"]
    case_id = case_of_receipt(client, h("integ1"), number)["id"]
    step = work(client, h, case_id, "triage", "integ1", decision="out_of_scope",
                reason="属于劳动争议，请通过劳动仲裁解决。")
    assert step["next_tasks"] == [] and step["case_status"] == "rejected"
    assert status_of(client, h("integ1"), case_id) == "rejected"
    path = client.get(f"{API}/cases/{case_id}/path", headers=h("integ1")).get_json()
    assert "end_rejected_out_of_scope" in path["completed"] and path["active"] == []
    public = client.get(f"{API}/public/reports/{resp.get_json()['receipt']}").get_json()
    assert public["status"] == "rejected" and public["messages"]  # the reporter is told


def test_anonymous_report_with_too_little_is_stored_pending(client, h):
    resp = file_public(client, "internal_report", anonymous=True, reporter_name=None, reporter_contact=None,
                       reporter_department=None)
    assert resp.status_code == 201, resp.get_json()
    case_id = case_of_receipt(client, h("integ2"), resp.get_json()["number"])["id"]
    step = work(client, h, case_id, "triage", "integ2", decision="insufficient", reason="线索不具体，暂存待查。")
    assert step["case_status"] == "pending"
