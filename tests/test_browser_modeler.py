"""The modeler in a real browser (Debian's Chromium through Playwright): owner1 renames a task,
validates, sees a problem marked on the diagram, deploys version 2; admin1 makes a new type from
the template, maps its lane, edits its form and deploys it, and a complainant files one."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.test_browser import fill_intake, live_server, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page


def open_group(page, group_id: str) -> None:
    """Unfold a section of the properties panel (they start folded)."""
    group = page.locator(f'[data-group-id="group-{group_id}"]')
    if "open" not in (group.locator(".bio-properties-panel-group-entries").get_attribute("class") or ""):
        group.locator(".bio-properties-panel-group-header").click()


def set_entry(page, entry_id: str, value: str) -> None:
    """Type into a properties-panel field and leave it, as a person would."""
    field = page.locator(f"#bio-properties-panel-{entry_id}")
    field.fill(value)
    field.press("Tab")


def run(page, button: str) -> str:
    """Press a toolbar button and wait for its answer in the status line."""
    page.evaluate("document.getElementById('cf-status').className = 'cf-status'")
    page.click(button)
    page.wait_for_selector("#cf-status.cf-status-success, #cf-status.cf-status-error")
    return page.locator("#cf-status").get_attribute("class")


def test_owner_renames_a_task_validates_sees_a_problem_and_deploys_version_2(live_server, page, engine):
    sign_in(page, live_server, "owner1")
    page.goto(f"{live_server}/modeler/complaint")
    page.wait_for_selector("body[data-modeler-ready=true]")
    assert page.locator(".bjsl-button").count() == 1  # bpmnlint runs in the editor

    page.click('#cf-files button[data-file="complaint_routing.dmn"]')  # the decision table opens in dmn-js
    assert page.locator("#cf-dmn .tjs-table").inner_text().count('"dept_quality"') == 1
    page.click('#cf-files button[data-file="complaint.bpmn"]')
    page.click('.djs-element[data-element-id="review"]')
    open_group(page, "general")
    set_entry(page, "name", "初审 / First review")
    assert "cf-status-success" in run(page, "#cf-validate")
    assert page.locator("#cf-problems li").count() == 0

    open_group(page, "complaintflow")
    set_entry(page, "cf-form", "no_such_form.json")
    assert "cf-status-error" in run(page, "#cf-validate")
    problem = page.locator('#cf-problems li[data-element="review"]')
    assert "no_such_form.json" in problem.inner_text()
    assert page.locator('.djs-element.cf-problem[data-element-id="review"]').count() == 1

    page.click('#cf-problems li[data-element="review"]')  # the problem selects its element
    open_group(page, "complaintflow")
    set_entry(page, "cf-form", "review.json")
    page.fill("#cf-comment", "review renamed")
    assert "cf-status-success" in run(page, "#cf-deploy")
    assert page.locator("#cf-deployed-version").inner_text() == "2"
    assert page.locator(".djs-element.cf-problem").count() == 0

    owner = engine.actor_for("owner1")
    v2 = engine.model_version_files(owner, "complaint", 2)["files"]["complaint.bpmn"]
    assert 'name="初审 / First review"' in v2 and 'value="review.json"' in v2
    assert 'name="受理审查 / Review"' in engine.model_version_files(owner, "complaint", 1)["files"]["complaint.bpmn"]

    page.goto(f"{live_server}/modeler/complaint/diff?from=1&to=2")
    page.wait_for_selector("body[data-compared='1-2']")
    assert page.locator('#cf-changes tr.cf-change-changed[data-element="review"]').count() == 1
    assert page.locator('#cf-newer .djs-element.cf-changed[data-element-id="review"]').count() == 1


def test_admin_makes_a_type_from_the_template_and_a_complainant_files_one(live_server, page, engine):
    sign_in(page, live_server, "admin1")
    page.goto(f"{live_server}/process-types/new")
    page.fill("#f-key", "water")
    page.fill("#f-name", "用水投诉 / Water complaint")
    page.check('input[name=template][value="simple_complaint"]')
    page.click("#new-type button[type=submit]")
    page.wait_for_url(f"{live_server}/modeler/water")
    page.wait_for_selector("body[data-modeler-ready=true]")

    lane = page.locator('#cf-lanes select[data-lane="intake"]')
    lane.select_option("followup")
    lane.select_option("intake")
    page.fill("#cf-prefix", "WT")

    page.click('#cf-files button[data-file="intake.json"]')
    schema = json.loads(page.locator("#cf-schema").input_value())
    schema["properties"]["street"] = {"type": "string", "maxLength": 200, "title": "街道 / Street"}
    schema["required"].append("street")
    page.fill("#cf-schema", json.dumps(schema, ensure_ascii=False, indent=2))
    page.wait_for_selector('#cf-preview [name="street"]')
    page.fill("#cf-schema", "{ broken")
    page.wait_for_selector("#cf-form-problems li")
    page.fill("#cf-schema", json.dumps(schema, ensure_ascii=False, indent=2))
    page.wait_for_selector('#cf-preview [name="street"]')
    page.click("#cf-add-layout")  # a ui-schema beside the form: the street first, as a long text
    page.fill("#cf-ui", json.dumps({"ui:order": ["street", "*"], "street": {"ui:widget": "textarea"}}))
    page.wait_for_selector('#cf-preview .field:first-child textarea[name="street"]')

    assert "cf-status-success" in run(page, "#cf-deploy")
    assert page.locator("#cf-deployed-version").inner_text() == "1"

    page.goto(f"{live_server}/")
    page.click('a[href="/report/water"] >> nth=0')
    assert page.locator("form.schema-form .field").first.locator('textarea[name="street"]').count() == 1
    fill_intake(page, {"subject": "停水三天", "description": "自周一起没有水。", "street": "解放路"})
    page.click("form.schema-form button[type=submit]")
    number = page.locator(".case-number").inner_text()
    assert re.fullmatch(r"WT-\d{6}-\d{4}", number)
    available = engine.list_tasks(engine.actor_for("intake1"), scope="available")["items"]
    assert [t["element_id"] for t in available if t["case_number"] == number] == ["review"]
