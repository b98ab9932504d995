"""The complainant's API (no account): types, filing, following a case by receipt, writing to it."""
from __future__ import annotations

import io
import json

import pytest

from tests.factories import intake_data
from tests.test_api_support import API, assert_error, file_public, get_case, h, work  # noqa: F401


def test_public_types_carry_their_intake_forms(client):
    resp = client.get(f"{API}/public/types")
    assert resp.status_code == 200
    types = {t["key"]: t for t in resp.get_json()}
    assert {"complaint", "tender_complaint", "internal_report"} <= set(types)
    assert all(t["public"] for t in types.values())
    assert "category" in types["complaint"]["intake_form"]["properties"]


def test_file_a_complaint_and_follow_it(client, h):
    resp = file_public(client)
    assert resp.status_code == 201, resp.get_json()
    filed = resp.get_json()
    assert filed["number"].startswith("CP-") and filed["receipt"] and "id" not in filed
    assert resp.headers["Cache-Control"] == "no-store"
    seen = client.get(f"{API}/public/reports/{filed['receipt']}")
    assert seen.status_code == 200
    body = seen.get_json()
    assert body["number"] == filed["number"] and body["status"] == "open"
    assert isinstance(body["messages"], list) and isinstance(body["requests"], list)
    text = seen.get_data(as_text=True)
    for internal in ("intake1", "review", "assignee", "workflow"):
        assert internal not in text


def test_receipts_work_in_lower_case_and_wrong_ones_are_404(client):
    receipt = file_public(client).get_json()["receipt"]
    assert client.get(f"{API}/public/reports/{receipt.lower()}").status_code == 200
    wrong = receipt[:-1] + ("A" if receipt[-1] != "A" else "B")
    assert_error(client.get(f"{API}/public/reports/{wrong}"), 404)
    assert_error(client.get(f"{API}/public/reports/nonsense"), 404)
    assert_error(client.get(f"{API}/public/reports/" + "X" * 500), 404)
    assert_error(client.post(f"{API}/public/reports/{wrong}/messages", json={"body": "hello"}), 404)


def test_file_by_multipart_with_payload_and_files(client, h):
    payload = json.dumps({"type": "tender_complaint", "data": intake_data("tender_complaint")})
    resp = client.post(f"{API}/public/reports", content_type="multipart/form-data", data={
        "payload": payload, "attachments": [(io.BytesIO(b"%PDF-1.4 a"), "a.pdf"), (io.BytesIO(b"b"), "b.txt")]})
    assert resp.status_code == 201, resp.get_json()
    number = resp.get_json()["number"]
    case = client.get(f"{API}/cases?q={number}", headers=h("clerk1")).get_json()["items"][0]
    files = get_case(client, h("clerk1"), case["id"])["attachments"]
    assert sorted(f["filename"] for f in files) == ["a.pdf", "b.txt"]


def test_missing_facts_are_400_listing_fields(client):
    resp = file_public(client, "complaint", complainant_name=None, description=None)
    assert_error(resp, 400, "complainant_name", "description")


def test_tender_complaint_needs_evidence(client):
    assert_error(file_public(client, "tender_complaint", attachments=[]), 400, "attachments")


def test_anonymous_tender_complaint_is_422(client):
    body = assert_error(file_public(client, "tender_complaint", anonymous=True), 422)
    assert "anonymous" in (body["details"] or {})


def test_anonymous_internal_report_is_accepted(client, h):
    resp = file_public(client, "internal_report", anonymous=True, reporter_name=None, reporter_contact=None,
                       reporter_department=None)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["number"].startswith("IR-")


def test_a_late_tender_complaint_is_accepted_and_flagged(client, h):
    resp = file_public(client, "tender_complaint", known_date="2026-09-01", objection_reply_date="2026-09-04")
    assert resp.status_code == 201, resp.get_json()  # not refused at the door: the clerk decides
    number = resp.get_json()["number"]
    case = client.get(f"{API}/cases?q={number}", headers=h("clerk1")).get_json()["items"][0]
    assert "late" in get_case(client, h("clerk1"), case["id"])["data"]["flags"]


def test_bad_base64_is_400(client):
    bad = [{"filename": "a.pdf", "content_type": "application/pdf", "data_base64": "not*base64"}]
    assert_error(file_public(client, "complaint", attachments=bad), 400, "attachments.0.data_base64")


@pytest.mark.parametrize("body,fields", [
    ({"data": {}}, ["type"]), ({"type": "complaint"}, ["data"]),
    ({"type": ["complaint"], "data": []}, ["type", "data"]),
    ({"type": "complaint", "data": {}, "anonymous": "sometimes"}, ["anonymous"]),
])
def test_malformed_reports_are_400(client, body, fields):
    assert_error(client.post(f"{API}/public/reports", json=body), 400, *fields)


def test_an_internal_only_or_unknown_type_is_404(client):
    assert_error(client.post(f"{API}/public/reports", json={"type": "no_such_type", "data": {}}), 404)


def test_the_complainant_writes_and_staff_see_it(client, h, make_case):
    resp = file_public(client)
    receipt = resp.get_json()["receipt"]
    sent = client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "补充：订单号 ORD-2026-0042"})
    assert sent.status_code == 201, sent.get_json()
    assert {"id", "at"} <= set(sent.get_json())
    mine = client.get(f"{API}/public/reports/{receipt}").get_json()
    assert any("ORD-2026-0042" in m["body"] for m in mine["messages"])
    number = resp.get_json()["number"]
    case = client.get(f"{API}/cases?q={number}", headers=h("intake1")).get_json()["items"][0]
    assert any("ORD-2026-0042" in m["body"] for m in get_case(client, h("intake1"), case["id"])["messages"])


def test_a_message_with_files_by_multipart(client):
    receipt = file_public(client).get_json()["receipt"]
    resp = client.post(f"{API}/public/reports/{receipt}/messages", content_type="multipart/form-data",
                       data={"body": "照片", "attachments": (io.BytesIO(b"jpeg"), "photo.jpg")})
    assert resp.status_code == 201, resp.get_json()


def test_bad_messages_are_400_or_415(client):
    receipt = file_public(client).get_json()["receipt"]
    url = f"{API}/public/reports/{receipt}/messages"
    assert_error(client.post(url, json={"body": ""}), 400, "body")
    assert_error(client.post(url, json={"body": 5}), 400, "body")
    assert_error(client.post(url, json={"body": "x" * 10001}), 400, "body")
    assert_error(client.post(url, json={"body": "x", "attachments": [{"filename": "a", "data_base64": "@@"}]}), 400,
                 "attachments.0.data_base64")
    assert_error(client.post(url, data="hello", content_type="text/plain"), 415)


def test_staff_names_never_reach_the_complainant_of_a_confidential_case(client, h):
    resp = file_public(client, "internal_report")
    number, receipt = resp.get_json()["number"], resp.get_json()["receipt"]
    case = client.get(f"{API}/cases?q={number}", headers=h("integ1")).get_json()["items"][0]
    work(client, h, case["id"], "triage", "integ1", decision="out_of_scope", reason="不属于受理范围")
    text = client.get(f"{API}/public/reports/{receipt}").get_data(as_text=True)
    assert "integ1" not in text and "廉政办" not in text


def test_receipt_look_ups_are_rate_limited(app, client):
    receipt = file_public(client).get_json()["receipt"]
    app.config.update(RATELIMIT_ENABLED=True, API_RECEIPT_RATE_LIMIT=(3, 60))
    for _ in range(3):
        assert client.get(f"{API}/public/reports/{receipt}").status_code == 200
    resp = client.get(f"{API}/public/reports/{receipt}")
    assert_error(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
    assert_error(client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "x"}), 429)
    other = client.get(f"{API}/public/reports/{receipt}", environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
