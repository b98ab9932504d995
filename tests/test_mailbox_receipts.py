"""The reporter's mailbox: status, requests answered, messages and files, anonymity kept,
wrong receipts rate limited and answered like missing ones; the tender complainant's record."""
from __future__ import annotations

import base64

from tests.factories import intake_data
from tests.test_confidential_sweep import database_bytes

API = "/api/v1"
AGENT = "CanaryBrowser/9.9 (unique-agent-7f3a)"
ADDRESS = "203.0.113.77"


def file_public(client, type_key: str, anonymous: bool = False, **overrides):
    data = intake_data(type_key, **overrides)
    body = {"type": type_key, "data": data, "anonymous": anonymous}
    if type_key == "tender_complaint":
        body["attachments"] = [{"filename": "e.pdf", "content_type": "application/pdf",
                                "data_base64": base64.b64encode(b"%PDF evidence").decode()}]
    return client.post(f"{API}/public/reports", json=body,
                       headers={"User-Agent": AGENT, "X-Forwarded-For": ADDRESS},
                       environ_base={"REMOTE_ADDR": ADDRESS})


def test_anonymous_reporter_leaves_no_address_or_agent(app, client, engine):
    resp = file_public(client, "internal_report", anonymous=True, reporter_name=None, reporter_contact=None,
                       reporter_department=None)
    assert resp.status_code == 201
    receipt = resp.get_json()["receipt"]
    posted = client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "补充：礼品是购物卡。"},
                         headers={"User-Agent": AGENT}, environ_base={"REMOTE_ADDR": ADDRESS})
    assert posted.status_code == 201
    engine.close()
    raw = database_bytes(app)
    if raw:
        assert AGENT.encode() not in raw and ADDRESS.encode() not in raw
        assert receipt.encode() not in raw and receipt.split("-")[1].encode() not in raw  # only a slow hash


def test_the_reporter_answers_the_investigators_and_staff_see_it(client, api, engine, work):
    receipt = file_public(client, "internal_report").get_json()["receipt"]
    case_id = client.get(f"{API}/cases", headers=api("integ1")).get_json()["items"][0]["id"]
    work(case_id, "triage", "integ1", decision="accept")
    work(case_id, "form_team", "comm1", investigators=["inv1", "inv2"])
    work(case_id, "investigate", "inv1", next_step="ask_reporter", question="礼品是何时送到的？")
    mailbox = client.get(f"{API}/public/reports/{receipt}").get_json()
    assert mailbox["status"] == "open" and "礼品是何时送到的" in mailbox["requests"][-1]["body"]
    assert not mailbox["requests"][-1]["answered"]
    assert "inv1" not in str(mailbox)  # no staff names on a confidential case
    files = [{"filename": "card.jpg", "content_type": "image/jpeg", "data_base64": base64.b64encode(b"jpg").decode()}]
    answer = client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "6月18日送到办公室。",
                                                                         "attachments": files})
    assert answer.status_code == 201
    assert client.get(f"{API}/public/reports/{receipt}").get_json()["requests"][-1]["answered"] is True
    case = client.get(f"{API}/cases/{case_id}", headers=api("inv1")).get_json()
    assert "6月18日送到办公室。" in [m["body"] for m in case["messages"]]
    assert "card.jpg" in [a["filename"] for a in case["attachments"]]
    assert [t["element_id"] for t in case["open_tasks"]] == ["investigate"]  # the case moved on


def test_the_tender_complainant_answers_a_correction_request(client, api, engine, work):
    receipt = file_public(client, "tender_complaint").get_json()["receipt"]
    case_id = client.get(f"{API}/cases", headers=api("clerk1")).get_json()["items"][0]["id"]
    work(case_id, "acceptance_review", "clerk1", decision="request_correction", reason="请补充评分表复印件")
    assert "评分表" in client.get(f"{API}/public/reports/{receipt}").get_json()["requests"][-1]["body"]
    client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "已补充评分表。"})
    case = client.get(f"{API}/cases/{case_id}", headers=api("clerk1")).get_json()
    assert [t["element_id"] for t in case["open_tasks"]] == ["acceptance_review"]


def test_wrong_receipts_answer_like_missing_ones_and_are_rate_limited(app, client):
    receipt = file_public(client, "complaint").get_json()["receipt"]
    lookup, secret = receipt.split("-")
    wrong_secret = client.get(f"{API}/public/reports/{lookup}-{'A' * len(secret)}")
    missing = client.get(f"{API}/public/reports/AAAAAAAA-{'A' * len(secret)}")
    garbage = client.get(f"{API}/public/reports/nonsense")
    assert wrong_secret.status_code == missing.status_code == garbage.status_code == 404
    assert wrong_secret.get_json() == missing.get_json() == garbage.get_json()
    app.config.update(RATELIMIT_ENABLED=True, API_RECEIPT_RATE_LIMIT=(3, 60))
    answers = [client.get(f"{API}/public/reports/{lookup}-{'B' * len(secret)}").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert client.get(f"{API}/public/reports/{receipt}").status_code == 429  # guessing stops for this client


def test_the_clerk_sees_the_complainants_record_and_repeat_baseless(client, api, engine, work, make_case, login):
    for code in ("ZB-1", "ZB-2", "ZB-3"):
        case = make_case("tender_complaint", project_code=code)
        work(case["id"], "acceptance_review", "clerk1", decision="accept")
        work(case["id"], "suspension", "thead1", suspend_tender=False)
        work(case["id"], "investigation", "tinv1", second_investigator="tinv2", findings="无问题",
             evidence_reviewed="评标报告")
        work(case["id"], "decision", "thead1", outcome="rejected", decision_text="驳回。", refer_discipline=False)
    fourth = make_case("tender_complaint", project_code="ZB-4")
    case = client.get(f"{API}/cases/{fourth['id']}", headers=api("clerk1")).get_json()
    assert "repeat_baseless" in case["data"]["flags"]
    record = case["complainant_history"]
    assert record["repeat_baseless"] is True and record["baseless_last_12_months"] == 3
    assert sorted(c["project_code"] for c in record["cases"]) == ["ZB-1", "ZB-2", "ZB-3"]
    page = login("clerk1").get(f"/cases/{fourth['id']}").get_data(as_text=True)
    assert 'id="complainant-record"' in page and "ZB-3" in page
    other = make_case("tender_complaint", project_code="ZB-9", complainant_name="另一家公司")
    assert client.get(f"{API}/cases/{other['id']}", headers=api("clerk1")).get_json()["complainant_history"][
        "cases"] == []
