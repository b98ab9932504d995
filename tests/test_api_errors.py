"""API errors: one JSON shape, the right status, never a 500 or a trace for bad input."""
from __future__ import annotations

import logging

import pytest

from tests.factories import intake_data
from tests.test_api_support import API, assert_error, h  # noqa: F401  (h is a fixture)


MALFORMED = [b"{", b"nul", b'{"type": NaN}', b'{"data": {"n": 1e400}}', b"\xff\xfe{}", b"", b"[" * 100000]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_json_is_400(client, h, raw):
    resp = client.post(f"{API}/cases", data=raw, content_type="application/json", headers=h("intake1"))
    assert_error(resp, 400, "body")


@pytest.mark.parametrize("body", [[], "a string", 3, None])
def test_a_body_that_is_not_an_object_is_400(client, h, body):
    import json

    resp = client.post(f"{API}/cases", data=json.dumps(body), content_type="application/json",
                       headers=h("intake1"))
    assert_error(resp, 400, "body")


def test_text_the_database_cannot_store_is_400(client, h, make_case):
    from tests.test_api_support import open_task

    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    client.post(f"{API}/tasks/{task['id']}/claim", headers=h("intake1"))
    for raw, field in (('{"data": {"decision": "reject", "reason": "\\udfff"}}', "data.reason"),
                       ('{"data": {"reason": "a\\u0000b"}}', "data.reason"),
                       ('{"data": ' + "[" * 40 + "]" * 40 + "}", "data")):
        resp = client.post(f"{API}/tasks/{task['id']}/complete", data=raw, content_type="application/json",
                           headers=h("intake1"))
        body = assert_error(resp, 400)
        assert any(k.startswith(field) for k in body["details"]), body
    assert open_task(client, h("intake1"), case["id"], "review")["assignee"] == "intake1"


def test_wrong_types_name_each_field(client, h):
    resp = client.post(f"{API}/cases", json={"type": 5, "data": "not an object", "anonymous": "maybe",
                                             "attachments": "x"}, headers=h("intake1"))
    assert_error(resp, 400, "type", "data", "anonymous", "attachments")


def test_a_string_where_the_task_data_belongs_is_400(client, h):
    resp = client.post(f"{API}/tasks/1/complete", json={"data": "ok"}, headers=h("intake1"))
    assert_error(resp, 400, "data")


@pytest.mark.parametrize("content_type,data", [("text/plain", "hello"), ("application/x-www-form-urlencoded", "a=b"),
                                               ("application/xml", "<a/>")])
def test_non_json_content_types_are_415(client, h, content_type, data):
    headers = h("intake1")
    assert_error(client.post(f"{API}/cases", data=data, content_type=content_type, headers=headers), 415)
    assert_error(client.post(f"{API}/tasks/1/complete", data=data, content_type=content_type, headers=headers), 415)
    assert_error(client.post(f"{API}/public/reports", data=data, content_type=content_type), 415)


def test_over_max_content_length_is_413(app, client, h):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    big = {"type": "complaint", "data": {"description": "x" * 5000}}
    assert_error(client.post(f"{API}/cases", json=big, headers=h("intake1")), 413)
    assert_error(client.post(f"{API}/public/reports", json=big), 413)
    assert_error(client.post(f"{API}/public/reports", data={"payload": "{}", "files": [
        (__import__("io").BytesIO(b"x" * 5000), "big.pdf")]}, content_type="multipart/form-data"), 413)


@pytest.mark.parametrize("path", ["/nope", "/cases/abc", "/cases/99999999999999999999", "/tasks/-1/claim",
                                  "/process-types/x/y"])
def test_unknown_api_routes_are_404_json(client, h, path):
    assert_error(client.get(API + path, headers=h("intake1")), 404)


@pytest.mark.parametrize("method,path", [("delete", "/cases"), ("put", "/process-types"), ("get", "/auth/token"),
                                         ("get", "/tasks/1/claim"), ("patch", "/public/reports")])
def test_wrong_methods_are_405_json(client, h, method, path):
    resp = getattr(client, method)(API + path, headers=h("intake1"))
    assert_error(resp, 405)


def test_missing_objects_are_404(client, h):
    headers = h("auditor1")
    for path in ("/cases/4242", "/cases/4242/history", "/cases/4242/path", "/cases/4242/attachments/1",
                 "/tasks/4242", "/process-types/no_such_type"):
        assert_error(client.get(API + path, headers=headers), 404)
    for action in ("claim", "unclaim"):
        assert_error(client.post(f"{API}/tasks/4242/{action}", headers=headers), 404)
    assert_error(client.post(f"{API}/tasks/4242/complete", json={"data": {}}, headers=headers), 404)


def test_an_unexpected_failure_is_a_logged_500_without_trace(app, client, h, engine, monkeypatch, caplog):
    headers = h("intake1")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/db password=hunter2")

    monkeypatch.setattr(engine, "list_process_types", broken)
    with caplog.at_level(logging.ERROR):
        resp = client.get(f"{API}/process-types", headers=headers)
    body = assert_error(resp, 500)
    assert body["error"] == "internal_error"
    assert "hunter2" not in resp.get_data(as_text=True)
    assert any("hunter2" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_bad_query_parameters_are_400(client, h):
    headers = h("intake1")
    assert_error(client.get(f"{API}/cases?per_page=101", headers=headers), 400, "per_page")
    assert_error(client.get(f"{API}/cases?per_page=0&page=0", headers=headers), 400, "per_page", "page")
    assert_error(client.get(f"{API}/cases?page=x&overdue=maybe&status=lost", headers=headers), 400,
                 "page", "overdue", "status")
    assert_error(client.get(f"{API}/cases?q=" + "x" * 300, headers=headers), 400, "q")
    assert_error(client.get(f"{API}/tasks?scope=everything", headers=headers), 400, "scope")


def test_timestamps_carry_an_offset(client, h, make_case):
    case = make_case("complaint", by="intake1")
    detail = client.get(f"{API}/cases/{case['id']}", headers=h("intake1")).get_json()
    stamps = [detail["created_at"]] + [t["created_at"] for t in detail["open_tasks"]]
    stamps += [t["due_at"] for t in detail["open_tasks"] if t["due_at"]]
    stamps += [e["at"] for e in client.get(f"{API}/cases/{case['id']}/history", headers=h("intake1"))
               .get_json()["items"]]
    assert stamps
    for stamp in stamps:
        assert stamp[-6] in "+-" and stamp[-3] == ":", stamp


def test_json_answers_are_utf8_not_escaped(client, h, make_case):
    case = make_case("complaint", by="intake1")
    resp = client.get(f"{API}/cases/{case['id']}", headers=h("intake1"))
    assert resp.headers["Content-Type"].startswith("application/json")
    assert "卷烟包装破损" in resp.get_data(as_text=True)


NASTY_BODIES = [
    {"json": {"type": {"a": 1}, "data": {"subject": ["x"] * 3}, "attachments": [{"filename": 1, "data_base64": 2}]}},
    {"json": {"data": {"decision": None}}}, {"json": {"body": None, "attachments": {}}},
    {"json": {"type": "complaint", "data": {"category": "quality" * 5000}}},
    {"data": {"payload": "[]"}, "content_type": "multipart/form-data"},
    {"data": {"payload": '{"type": "complaint", "data": 1}'}, "content_type": "multipart/form-data"},
    {"data": b"--x\r\nbroken", "content_type": "multipart/form-data; boundary=x"},
    {"data": b"\x00\x01", "content_type": "application/octet-stream"},
    {"data": b'{"a": "\\ud800"}', "content_type": "application/json"},
]


@pytest.mark.parametrize("body", NASTY_BODIES)
def test_no_post_endpoint_answers_500_to_bad_input(app, client, h, body):
    report = {"type": "complaint", "data": intake_data("complaint")}
    filed = client.post(f"{API}/public/reports", json=report).get_json()
    headers = h("admin1")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or "POST" not in rule.methods:
            continue
        url = (rule.rule.replace("<int(max=2147483647):task_id>", "1")
               .replace("<receipt>", filed["receipt"]))
        resp = client.post(url, headers=headers, **body)
        assert resp.status_code < 500, (url, body, resp.get_data(as_text=True)[:300])
        if resp.status_code >= 400:
            assert_error(resp, resp.status_code)
