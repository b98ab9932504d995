"""Complaint types over the API: list, read, deploy new versions (admins and process owners)."""
from __future__ import annotations

import pytest

from tests.test_api_support import API, assert_error, h, multipart_files, plain_files  # noqa: F401


def deploy(client, headers, files, key="plain", name="Plain type", public="true"):
    data = {"key": key, "name": name, "public": public, "files": multipart_files(files)}
    return client.post(f"{API}/process-types", data=data, headers=headers, content_type="multipart/form-data")


def test_lists_the_latest_version_of_each_type(client, h):
    resp = client.get(f"{API}/process-types", headers=h("intake1"))
    assert resp.status_code == 200
    types = {t["key"]: t for t in resp.get_json()}
    assert {"complaint", "tender_complaint", "internal_report"} <= set(types)
    for t in types.values():
        assert {"key", "name", "version", "process_id", "public"} <= set(t)
        assert isinstance(t["public"], bool) and t["version"] >= 1


def test_reads_one_type(client, h):
    resp = client.get(f"{API}/process-types/complaint", headers=h("intake1"))
    assert resp.status_code == 200
    assert resp.get_json()["key"] == "complaint"
    assert resp.get_json()["intake_form"]["type"] == "object"


@pytest.mark.parametrize("username", ["admin1", "owner1"])
def test_admins_and_owners_deploy_new_versions(client, h, username):
    first = deploy(client, h(username), plain_files())
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"key": "plain", "version": 1}
    second = deploy(client, h(username), plain_files(), name="Plain type v2")
    assert second.get_json() == {"key": "plain", "version": 2}
    listed = {t["key"]: t for t in client.get(f"{API}/process-types", headers=h("intake1")).get_json()}
    assert listed["plain"]["version"] == 2 and listed["plain"]["name"] == "Plain type v2"
    assert listed["plain"]["public"] is True


def test_a_deployed_type_takes_cases_at_once(client, h):
    assert deploy(client, h("admin1"), plain_files()).status_code == 201
    public = {t["key"] for t in client.get(f"{API}/public/types").get_json()}
    assert "plain" in public
    filed = client.post(f"{API}/public/reports", json={"type": "plain", "data": {"subject": "hello"}})
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["number"].startswith("PL-")


def test_a_private_type_is_not_public(client, h):
    assert deploy(client, h("admin1"), plain_files(), public="false").status_code == 201
    assert "plain" not in {t["key"] for t in client.get(f"{API}/public/types").get_json()}
    resp = client.post(f"{API}/public/reports", json={"type": "plain", "data": {"subject": "hello"}})
    assert_error(resp, 404)


@pytest.mark.parametrize("username", ["intake1", "auditor1", "supervisor1"])
def test_other_staff_may_not_deploy(client, h, username):
    assert_error(deploy(client, h(username), plain_files()), 403)


def test_an_unknown_operator_is_refused_with_the_problem_listed(client, h):
    resp = deploy(client, h("admin1"), plain_files(operator="shell.run"))
    body = assert_error(resp, 400)
    assert body["error"] == "invalid_process"
    assert any("shell.run" in p["message"] for p in body["details"]), body


def test_a_missing_form_is_refused(client, h):
    files = plain_files()
    del files["plain_check.json"]
    body = assert_error(deploy(client, h("admin1"), files), 400)
    assert any("plain_check.json" in p["message"] for p in body["details"]), body


def test_a_diagram_that_does_not_parse_is_refused(client, h):
    body = assert_error(deploy(client, h("admin1"), {"broken.bpmn": b"<bpmn:definitions"}), 400)
    assert body["details"] and body["details"][0]["file"] == "broken.bpmn"


def test_xxe_is_refused(client, h):
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    body = assert_error(deploy(client, h("admin1"), {"evil.bpmn": evil}), 400)
    assert "root:" not in str(body)


def test_deploy_form_fields_are_checked(client, h):
    headers = h("admin1")
    assert_error(deploy(client, headers, {}, key="", name="", public="perhaps"), 400, "key", "name", "public", "files")
    assert_error(deploy(client, headers, {"notes.txt": b"hello"}), 400, "files.notes.txt")
    gbk = '<?xml version="1.0" encoding="GBK"?><a>中文</a>'.encode("gbk")
    assert_error(deploy(client, headers, {"a.bpmn": gbk}), 400, "files.a.bpmn")
    assert_error(deploy(client, headers, plain_files(), key="Bad Key!"), 400, "key")


def test_deploy_needs_multipart(client, h):
    resp = client.post(f"{API}/process-types", json={"key": "plain", "name": "x"}, headers=h("admin1"))
    assert_error(resp, 415)
