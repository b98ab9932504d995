"""Cases over the API: filing by staff, lists with filters and paging, detail, history, path, files."""
from __future__ import annotations

import io

from tests.factories import EVIDENCE
from tests.test_api_support import API, assert_error, b64, file_case, get_case, h  # noqa: F401


def test_staff_file_a_complaint(client, h):
    filed = file_case(client, h("intake1"))
    assert set(filed) >= {"id", "number", "status"}
    assert filed["number"].startswith("CP-202611-") and filed["status"] == "open"
    case = get_case(client, h("intake1"), filed["id"])
    assert case["number"] == filed["number"] and case["type"] == "complaint"
    assert case["data"]["subject"] == "卷烟包装破损"
    assert {"id", "number", "type", "version", "status", "created_at", "closed_at", "data", "open_tasks",
            "deadlines"} <= set(case)
    assert [t["element_id"] for t in case["open_tasks"]] == ["review"]
    task = case["open_tasks"][0]
    assert {"id", "case_id", "case_number", "type", "name", "element_id", "lane", "assignee", "created_at",
            "due_at", "form"} <= set(task)
    assert task["form"]["type"] == "object"


def test_filing_lists_every_invalid_field(client, h):
    from tests.factories import intake_data

    data = intake_data("complaint", category="weather", subject=None, channel=7)
    resp = client.post(f"{API}/cases", json={"type": "complaint", "data": data}, headers=h("intake1"))
    body = assert_error(resp, 400, "category", "subject", "channel")
    assert body["error"] == "invalid_input"
    assert client.get(f"{API}/cases", headers=h("auditor1")).get_json()["total"] == 0


def test_filing_needs_type_and_data(client, h):
    assert_error(client.post(f"{API}/cases", json={}, headers=h("intake1")), 400, "type", "data")
    assert_error(client.post(f"{API}/cases", json={"type": "no_such", "data": {}}, headers=h("intake1")), 404)


def test_filing_with_base64_attachments(client, h):
    filed = file_case(client, h("intake1"), attachments=EVIDENCE)
    case = get_case(client, h("intake1"), filed["id"])
    assert [a["filename"] for a in case["attachments"]] == ["evidence.pdf"]
    got = client.get(f"{API}/cases/{filed['id']}/attachments/{case['attachments'][0]['id']}", headers=h("intake1"))
    assert got.status_code == 200 and got.data == b"%PDF-1.4 evidence"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_an_uploaded_page_is_never_served_as_html(client, h):
    page = [{"filename": "x.html", "content_type": "text/html", "data_base64": b64(b"<script>alert(1)</script>")}]
    filed = file_case(client, h("intake1"), attachments=page)
    attachment = get_case(client, h("intake1"), filed["id"])["attachments"][0]
    got = client.get(f"{API}/cases/{filed['id']}/attachments/{attachment['id']}", headers=h("intake1"))
    assert got.mimetype == "application/octet-stream"
    assert "sandbox" in got.headers["Content-Security-Policy"]


def test_bad_base64_is_400_naming_the_attachment(client, h):
    from tests.factories import intake_data

    bad = [{"filename": "a.pdf", "content_type": "application/pdf", "data_base64": "%%%not base64"},
           {"filename": "", "data_base64": b64(b"x")}, "not an object"]
    resp = client.post(f"{API}/cases", json={"type": "complaint", "data": intake_data("complaint"),
                                             "attachments": bad}, headers=h("intake1"))
    assert_error(resp, 400, "attachments.0.data_base64", "attachments.1.filename", "attachments.2")


def test_filing_by_multipart_with_files(client, h):
    import json

    from tests.factories import intake_data

    payload = json.dumps({"type": "complaint", "data": intake_data("complaint")})
    resp = client.post(f"{API}/cases", data={"payload": payload, "attachments": (io.BytesIO(b"photo"), "p.jpg")},
                       content_type="multipart/form-data", headers=h("intake1"))
    assert resp.status_code == 201, resp.get_json()
    case = get_case(client, h("intake1"), resp.get_json()["id"])
    assert [a["filename"] for a in case["attachments"]] == ["p.jpg"]
    assert_error(client.post(f"{API}/cases", data={"payload": "{not json"}, content_type="multipart/form-data",
                             headers=h("intake1")), 400, "payload")
    assert_error(client.post(f"{API}/cases", data={"other": "x"}, content_type="multipart/form-data",
                             headers=h("intake1")), 400, "payload")


def test_staff_without_intake_rights_may_not_file(client, h):
    from tests.factories import intake_data

    resp = client.post(f"{API}/cases", json={"type": "complaint", "data": intake_data("complaint")},
                       headers=h("quality1"))
    assert_error(resp, 403)


def test_list_filters_and_pages(client, h, api, make_case, clock):
    for category in ("quality", "billing", "quality"):
        make_case("complaint", by="intake1", category=category)
    make_case("tender_complaint")
    auditor = h("auditor1")
    everything = client.get(f"{API}/cases", headers=auditor).get_json()
    assert everything["total"] == 4 and everything["page"] == 1 and everything["per_page"] == 50
    assert {"id", "number", "type", "status", "created_at"} <= set(everything["items"][0])
    complaints = client.get(f"{API}/cases?type=complaint", headers=auditor).get_json()
    assert complaints["total"] == 3 and {c["type"] for c in complaints["items"]} == {"complaint"}
    assert client.get(f"{API}/cases?q=billing", headers=auditor).get_json()["total"] == 1
    number = complaints["items"][0]["number"]
    assert [c["number"] for c in client.get(f"{API}/cases?q={number}", headers=auditor).get_json()["items"]] == [number]
    assert client.get(f"{API}/cases?status=open", headers=auditor).get_json()["total"] == 4
    assert client.get(f"{API}/cases?status=closed", headers=auditor).get_json()["total"] == 0
    page2 = client.get(f"{API}/cases?per_page=3&page=2", headers=auditor).get_json()
    assert page2["total"] == 4 and len(page2["items"]) == 1 and page2["per_page"] == 3
    assert client.get(f"{API}/cases?overdue=1", headers=auditor).get_json()["total"] == 0
    clock.advance(days=60)
    overdue = client.get(f"{API}/cases?overdue=1", headers=api("auditor1")).get_json()  # a fresh token
    assert overdue["total"] >= 3 and all(c["overdue"] for c in overdue["items"])


def test_list_shows_only_cases_the_caller_may_see(client, h, make_case):
    make_case("complaint", by="intake1")
    make_case("tender_complaint")
    assert {c["type"] for c in client.get(f"{API}/cases", headers=h("intake1")).get_json()["items"]} == {"complaint"}
    assert {c["type"] for c in client.get(f"{API}/cases", headers=h("clerk1")).get_json()["items"]} == {
        "tender_complaint"}
    assert client.get(f"{API}/cases", headers=h("inv1")).get_json()["total"] == 0


def test_a_hidden_case_is_404_everywhere(client, h, make_case):
    case = make_case("tender_complaint")
    for username in ("intake1", "quality1"):
        headers = h(username)
        for suffix in ("", "/history", "/path"):
            assert_error(client.get(f"{API}/cases/{case['id']}{suffix}", headers=headers), 404)
    report = make_case("internal_report")
    assert_error(client.get(f"{API}/cases/{report['id']}", headers=h("admin1")), 404)
    assert client.get(f"{API}/cases/{report['id']}", headers=h("integ1")).status_code == 200


def test_history_in_order_and_for_auditors(client, h, make_case):
    case = make_case("complaint", by="intake1")
    for username in ("intake1", "auditor1"):
        resp = client.get(f"{API}/cases/{case['id']}/history", headers=h(username))
        assert resp.status_code == 200
        events = resp.get_json()["items"]
        assert events and [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert {"seq", "at", "actor", "kind", "element_id", "detail"} <= set(events[0])
        assert events[0]["kind"] == "case_filed" and events[0]["actor"] == "intake1"


def test_path_names_completed_and_active_elements(client, h, make_case):
    case = make_case("complaint", by="intake1")
    resp = client.get(f"{API}/cases/{case['id']}/path", headers=h("intake1"))
    assert resp.status_code == 200
    path = resp.get_json()
    assert "register" in path["completed"] and path["active"] == ["review"]


def test_confidential_identity_is_masked(client, h, make_case):
    report = make_case("internal_report")
    data = get_case(client, h("integ1"), report["id"])["data"]
    assert data.get("reporter_name") != "赵举报"
    assert "赵举报" not in client.get(f"{API}/cases/{report['id']}", headers=h("auditor1")).get_data(as_text=True)
    assert "赵举报" not in client.get(f"{API}/cases/{report['id']}/history",
                                     headers=h("auditor1")).get_data(as_text=True)


def test_attachment_of_another_case_is_404(client, h):
    one = file_case(client, h("intake1"), attachments=EVIDENCE)
    two = file_case(client, h("intake1"))
    attachment = get_case(client, h("intake1"), one["id"])["attachments"][0]["id"]
    assert_error(client.get(f"{API}/cases/{two['id']}/attachments/{attachment}", headers=h("intake1")), 404)
    assert_error(client.get(f"{API}/cases/{one['id']}/attachments/{attachment}", headers=h("clerk1")), 404)
