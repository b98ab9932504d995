"""The modeler without a browser: validation lists every problem at once, drafts, a new type from
a template, the form editor's preview, the default intake form, version files; owners and admins only."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_api_support import API, h, multipart_files  # noqa: F401

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
TEMPLATE = PROCESSES / "templates" / "simple_complaint"


def complaint_files() -> dict[str, bytes]:
    files = {"complaint.bpmn": (PROCESSES / "complaint.bpmn").read_bytes(),
             "complaint_routing.dmn": (PROCESSES / "complaint_routing.dmn").read_bytes()}
    files.update({p.name: p.read_bytes() for p in (PROCESSES / "forms" / "complaint").glob("*.json")})
    return files


def template_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in TEMPLATE.iterdir() if p.name != "template.json"}


def validate(client, headers, files, key="complaint"):
    return client.post(f"{API}/process-types/{key}/validate", data={"files": multipart_files(files)},
                       headers=headers, content_type="multipart/form-data")


def versions_of(engine, key):
    return engine.model_versions(engine.actor_for("admin1"), key)


def test_validate_answers_ok_for_the_shipped_diagram_and_stores_nothing(client, h, engine):
    resp = validate(client, h("owner1"), complaint_files())
    assert resp.status_code == 200
    assert resp.get_json() == {"ok": True, "problems": []}
    assert [v["version"] for v in versions_of(engine, "complaint")] == [1]


def test_validate_lists_every_problem_at_once_with_element_name_and_line(client, h, engine):
    files = complaint_files()
    bpmn = files["complaint.bpmn"].decode()
    bpmn = bpmn.replace('value="review.json"', 'value="missing_review.json"', 1)
    bpmn = bpmn.replace('id="complaint.register"', 'id="no.such.operator"', 1)
    files["complaint.bpmn"] = bpmn.encode()
    files["broken.json"] = b"{not json"
    problems = validate(client, h("admin1"), files).get_json()["problems"]
    by_element = {p["element"]: p for p in problems if p["element"]}
    assert by_element["review"]["name"] == "受理审查 / Review"
    assert "missing_review.json" in by_element["review"]["message"]
    line_of_review = next(i for i, text in enumerate(bpmn.splitlines(), 1) if 'id="review"' in text)
    assert by_element["review"]["line"] == line_of_review
    assert "no.such.operator" in by_element["register"]["message"]
    assert any(p["file"] == "broken.json" for p in problems)
    assert [v["version"] for v in versions_of(engine, "complaint")] == [1]


def test_validate_lists_every_schema_error_of_a_file_with_its_line(client, h):
    files = complaint_files()
    bpmn = files["complaint.bpmn"].decode()
    bpmn = bpmn.replace('<bpmn:userTask id="review"', '<bpmn:userTask id="review" bogus="1"', 1)
    bpmn = bpmn.replace('<bpmn:exclusiveGateway id="review_decision"', '<bpmn:exclusiveGateway id="review_decision" wrong="2"', 1)
    files["complaint.bpmn"] = bpmn.encode()
    problems = validate(client, h("owner1"), files).get_json()["problems"]
    messages = " ".join(p["message"] for p in problems)
    assert "bogus" in messages and "wrong" in messages
    assert {"review", "review_decision"} <= {p["element"] for p in problems}
    assert all(p["line"] for p in problems if p["file"] == "complaint.bpmn")


@pytest.mark.parametrize("username", ["intake1", "auditor1"])
def test_other_staff_may_not_validate_nor_open_the_modeler(client, h, login, username):
    assert validate(client, h(username), complaint_files()).status_code == 403
    browser = login(username)
    for path in ("/modeler", "/modeler/complaint", "/process-types/new", "/modeler/complaint/diff"):
        assert browser.get(path).status_code == 403, path


def test_the_modeler_opens_the_latest_version_then_the_saved_draft(login, engine):
    owner = login("owner1")
    page = owner.get("/modeler/complaint")
    assert page.status_code == 200
    opened = _page_data(page)
    assert "complaint.bpmn" in opened["files"] and "review.json" in opened["files"]
    changed = opened["files"]["complaint.bpmn"].replace("受理审查 / Review", "初审 / First review")
    saved = owner.post("/modeler/complaint/draft", data={"name": "客户投诉", "files": multipart_files(
        {"complaint.bpmn": changed.encode()})}, content_type="multipart/form-data")
    assert saved.status_code == 200, saved.get_json()
    reopened = _page_data(owner.get("/modeler/complaint"))
    assert "初审 / First review" in reopened["files"]["complaint.bpmn"]
    assert "受理审查 / Review" in _page_data(owner.get("/modeler/complaint?source=version"))["files"]["complaint.bpmn"]


def test_deploying_from_the_modeler_makes_a_version_and_drops_the_draft(login, engine):
    owner = login("owner1")
    files = complaint_files()
    owner.post("/modeler/complaint/draft", data={"name": "x", "files": multipart_files(files)},
               content_type="multipart/form-data")
    resp = owner.post("/modeler/complaint/deploy", data={
        "name": "客户投诉 / Customer complaint", "public": "true", "comment": "renamed the review",
        "lane_groups": json.dumps({"intake": "intake"}), "files": multipart_files(files)},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"key": "complaint", "version": 2}
    assert _page_data(owner.get("/modeler/complaint"))["files"] == {n: c.decode() for n, c in files.items()}
    assert "Editing version 2" in owner.get("/modeler/complaint?lang=en").get_data(as_text=True)
    deployed = engine.audit_events(engine.actor_for("auditor1"), kind="process_deployed")["items"]
    assert any(e["detail"].get("comment") == "renamed the review" for e in deployed)


def test_a_refused_deploy_answers_the_problems(login):
    files = complaint_files()
    files["complaint.bpmn"] = files["complaint.bpmn"].replace(b'value="review.json"', b'value="gone.json"', 1)
    resp = login("admin1").post("/modeler/complaint/deploy", data={"name": "n", "files": multipart_files(files)},
                                content_type="multipart/form-data")
    assert resp.status_code in (400, 422)
    assert any(p.get("element") == "review" for p in resp.get_json()["details"])


def test_a_new_type_from_the_template_is_filed_on_the_public_page_once_deployed(login, client, engine):
    admin = login("admin1")
    assert "simple_complaint" in admin.get("/process-types/new").get_data(as_text=True)
    created = admin.post("/process-types/new", data={"key": "water", "name": "用水投诉 / Water",
                                                     "audience": "public", "template": "simple_complaint"})
    assert created.status_code == 302 and created.headers["Location"].endswith("/modeler/water")
    opened = _page_data(admin.get("/modeler/water"))
    assert set(opened["files"]) == {"simple_complaint.bpmn", "intake.json", "review.json", "review.ui.json"}
    assert "water" not in {t["key"] for t in client.get(f"{API}/public/types").get_json()}
    files = {n: c.encode() for n, c in opened["files"].items()}
    files["simple_complaint.bpmn"] = (files["simple_complaint.bpmn"].replace(b"'SC'", b"'WT'")
                                      .replace(b'name="casePrefix" value="SC"', b'name="casePrefix" value="WT"'))
    resp = admin.post("/modeler/water/deploy", data={"name": "用水投诉 / Water", "public": "true",
                                                      "files": multipart_files(files)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert "water" in {t["key"] for t in client.get(f"{API}/public/types").get_json()}
    filed = client.post(f"{API}/public/reports", json={"type": "water", "data": {"subject": "No water", "description": "Since Monday"}})
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["number"].startswith("WT-")
    inbox = engine.list_tasks(engine.actor_for("intake1"), scope="available")["items"]
    assert any(t["case_number"] == filed.get_json()["number"] and t["element_id"] == "review" for t in inbox)


def test_a_new_type_needs_a_free_key_and_a_name(login):
    admin = login("admin1")
    taken = admin.post("/process-types/new", data={"key": "complaint", "name": "x", "template": "simple_complaint"})
    assert taken.status_code == 422 and "class=\"field-error\"" in taken.get_data(as_text=True)
    nameless = admin.post("/process-types/new", data={"key": "fresh", "name": "", "template": "simple_complaint"})
    assert nameless.status_code == 422


def test_a_type_without_a_start_form_takes_the_default_intake_form(login, client):
    files = template_files()
    files["simple_complaint.bpmn"] = files["simple_complaint.bpmn"].replace(
        b'<spiffworkflow:property name="formJsonSchemaFilename" value="intake.json" />', b"", 1)
    del files["intake.json"]
    resp = login("admin1").post("/modeler/bare/deploy", data={"name": "Bare", "files": multipart_files(files)},
                                content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    form = client.get("/report/bare?lang=en").get_data(as_text=True)
    assert all(f'name="{field}"' in form for field in ("subject", "description", "contact"))


def test_the_form_preview_follows_the_layout_and_reports_a_bad_schema(login):
    owner = login("owner1")
    schema = json.loads((TEMPLATE / "review.json").read_text())
    ordered = owner.post("/modeler/form-preview", json={"schema": schema, "ui": {"ui:order": ["reply_text", "outcome"],
                                                                                "reply_text": {"ui:widget": "textarea"}}})
    html = ordered.get_json()["html"]
    assert html.index('name="reply_text"') < html.index('name="outcome"')
    assert "<textarea" in html
    bad = owner.post("/modeler/form-preview", json={"schema": {"type": "object", "properties": {"x": {"type": 5}}}})
    assert bad.get_json()["ok"] is False and bad.get_json()["problems"]
    unknown = owner.post("/modeler/form-preview", json={"schema": schema, "ui": {"ui:order": ["nope"]}})
    assert "nope" in unknown.get_json()["problems"][0]


def test_a_versions_files_are_read_for_the_comparison(login):
    owner = login("owner1")
    files = complaint_files()
    owner.post("/modeler/complaint/deploy", data={"name": "客户投诉", "files": multipart_files(files)},
               content_type="multipart/form-data")
    assert owner.get("/modeler/complaint/diff").status_code == 200
    first = owner.get("/modeler/complaint/versions/1.json").get_json()
    assert first["version"] == 1 and "complaint.bpmn" in first["files"]
    assert owner.get("/modeler/complaint/versions/9.json").status_code == 404


def _page_data(response) -> dict:
    html = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="cf-model">(.*?)</script>', html, re.S)
    assert found, html[:500]
    return json.loads(found.group(1))


def test_the_modeler_speaks_chinese_and_english(login):
    owner = login("owner1")
    chinese = owner.get("/modeler/complaint?lang=zh_CN")
    assert "保存草稿" in chinese.get_data(as_text=True)
    assert _page_data(chinese)["texts"]["Complaint handling"] == "投诉办理"
    english = owner.get("/modeler/complaint?lang=en")
    assert "Save draft" in english.get_data(as_text=True)
    assert _page_data(english)["texts"]["Complaint handling"] == "Complaint handling"


def test_a_draft_refuses_a_file_over_the_deploy_limit(login):
    resp = login("owner1").post("/modeler/complaint/draft", data={"name": "x", "files": multipart_files(
        {"complaint.bpmn": b"<x/>" + b" " * (2 * 1024 * 1024)})}, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "files.complaint.bpmn" in resp.get_json()["details"]


def test_the_main_process_of_a_two_process_upload_is_chosen_at_deploy(login, client, engine):
    files = template_files()
    helper = b'<bpmn:process id="helper_process" isExecutable="true"><bpmn:startEvent id="h_start" /></bpmn:process>\n  '
    files["simple_complaint.bpmn"] = files["simple_complaint.bpmn"].replace(
        b'<bpmn:process id="simple_complaint"', helper + b'<bpmn:process id="simple_complaint"', 1)
    admin = login("admin1")

    def deploy(key, **choice):
        return admin.post(f"/modeler/{key}/deploy", data={"name": key, "files": multipart_files(files), **choice},
                          content_type="multipart/form-data")

    assert deploy("unchosen").status_code == 201
    assert engine.get_process_type("unchosen")["process_id"] == "helper_process"
    assert deploy("pair", main_process="simple_complaint").status_code == 201
    assert engine.get_process_type("pair")["process_id"] == "simple_complaint"
    filed = client.post(f"{API}/public/reports", json={"type": "pair", "data": {"subject": "s", "description": "d"}})
    assert filed.status_code == 201 and filed.get_json()["number"].startswith("SC-")
