"""Helpers shared by the API tests (imported by the other test_api_* modules), and the tests of
the OpenAPI document, which must describe every route the blueprint serves."""
from __future__ import annotations

import base64
import json
import re

import pytest

from tests.factories import default_attachments, intake_data

API = "/api/v1"

# A small diagram a process owner could upload: number the case, one intake check, end closed.
PLAIN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_plain" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_intake" name="intake">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>number</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_closed</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="plain_intake.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:serviceTask id="number" name="Number">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="numbered">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="prefix" type="str" value="'PL'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="check" name="Check">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="plain_check.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_closed"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="number" />
    <bpmn:sequenceFlow id="f2" sourceRef="number" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end_closed" />
  </bpmn:process>
</bpmn:definitions>
"""
PLAIN_INTAKE = {"type": "object", "title": "Plain intake", "x-anonymous-allowed": True,
                "properties": {"subject": {"type": "string", "minLength": 1}}, "required": ["subject"]}
PLAIN_CHECK = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


def plain_files(key: str = "plain", operator: str = "numbering.assign") -> dict[str, bytes]:
    """{filename: bytes} of the small diagram; a wrong `operator` makes it undeployable."""
    return {f"{key}.bpmn": PLAIN_BPMN.replace("{key}", key).replace("{operator}", operator).encode(),
            "plain_intake.json": json.dumps(PLAIN_INTAKE).encode(),
            "plain_check.json": json.dumps(PLAIN_CHECK).encode()}


def multipart_files(files: dict[str, bytes]) -> list:
    """Files for the test client's multipart `data` (one `files` field, several files)."""
    import io

    return [(io.BytesIO(content), name) for name, content in files.items()]


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


@pytest.fixture
def h(api):
    """h("intake1") -> bearer headers, one token per user per test."""
    tokens: dict[str, dict] = {}

    def headers(username: str) -> dict:
        if username not in tokens:
            tokens[username] = api(username)
        return tokens[username]

    return headers


def file_case(client, headers, type_key: str = "complaint", attachments=None, **overrides) -> dict:
    """POST /cases with valid intake data (overrides as in tests.factories); asserts 201."""
    body = {"type": type_key, "data": intake_data(type_key, **overrides),
            "attachments": attachments if attachments is not None else default_attachments(type_key)}
    resp = client.post(f"{API}/cases", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def file_public(client, type_key: str = "complaint", anonymous: bool = False, attachments=None, **overrides):
    """POST /public/reports; returns the response (callers assert its status)."""
    body = {"type": type_key, "data": intake_data(type_key, **overrides), "anonymous": anonymous,
            "attachments": attachments if attachments is not None else default_attachments(type_key)}
    return client.post(f"{API}/public/reports", json=body)


def get_case(client, headers, case_id: int) -> dict:
    resp = client.get(f"{API}/cases/{case_id}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def open_task(client, headers, case_id: int, element_id: str) -> dict:
    """The case's open task with this element id (as `headers`' user sees the case)."""
    tasks = get_case(client, headers, case_id)["open_tasks"]
    found = [t for t in tasks if t["element_id"] == element_id]
    assert found, f"no open {element_id!r}; open: {[t['element_id'] for t in tasks]}"
    return found[0]


def work(client, h, case_id: int, element_id: str, username: str, **data) -> dict:
    """Claim (unless already held) and complete a task through the API; asserts 200s."""
    headers = h(username)
    task = open_task(client, headers, case_id, element_id)
    if task["assignee"] != username:
        resp = client.post(f"{API}/tasks/{task['id']}/claim", headers=headers)
        assert resp.status_code == 200, resp.get_json()
    resp = client.post(f"{API}/tasks/{task['id']}/complete", json={"data": data}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def assert_error(resp, status: int, *fields: str) -> dict:
    """The error shape, the status, and (for 400s) that `details` names each field."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error", "message", "details"}, body
    assert isinstance(body["error"], str) and body["error"] and isinstance(body["message"], str)
    for name in fields:
        assert name in (body["details"] or {}), body
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    return body


# --- the OpenAPI document --------------------------------------------------------------------

def openapi_path(rule: str) -> str:
    """`/api/v1/cases/<int(max=..):case_id>` -> `/cases/{case_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)[len(API):]


def test_openapi_describes_every_api_route(app, client):
    doc = client.get(f"{API}/openapi.json").get_json()
    served = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            methods = {m.lower() for m in rule.methods} - {"head", "options"}
            served.setdefault(openapi_path(rule.rule), set()).update(methods)
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    assert served == documented


def test_openapi_document_is_well_formed(client):
    resp = client.get(f"{API}/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    bearer = doc["components"]["securitySchemes"]["bearerAuth"]
    assert bearer["type"] == "http" and bearer["scheme"] == "bearer"
    schemas = doc["components"]["schemas"]
    assert set(schemas["Error"]["required"]) == {"error", "message", "details"}
    ids = set()
    text = json.dumps(doc)
    for ref in re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text):
        assert ref[1] in doc["components"][ref[0]], ref
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            assert any(code.startswith("2") for code in op["responses"]), (path, method)
            assert "500" in op["responses"]
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == params, (path, method)
            if op["security"]:
                assert "401" in op["responses"]

