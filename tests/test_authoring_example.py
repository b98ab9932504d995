"""docs/authoring.md is enough to write a type (issue 8, point 9): its worked example, exactly the
files in docs/examples/facility_report/, is deployed over the API with the lane mapping the document
gives and driven from public filing to its end; and the document names every service operator the
product registers, so it cannot fall behind the handlers."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.accounts import users
from handlers import build_registry
from tests.conftest import DEMO_PASSWORD
from tests.test_api_support import API, multipart_files

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "authoring.md"
EXAMPLE = ROOT / "docs" / "examples" / "facility_report"
LANE_GROUPS = {"Facilities Desk": "facilities"}  # the mapping the worked example deploys with


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def documented_operators() -> set[str]:
    """The operators the section "Service operators and their parameters" lists, each as a
    table row starting with its name in backquotes."""
    section = doc_text().split("## Service operators and their parameters", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", section, re.M))


def test_every_registered_operator_is_documented_and_nothing_else():
    assert documented_operators() == set(build_registry().names())


def test_the_documented_lane_mapping_is_the_one_the_test_deploys_with():
    assert f"lane_groups={json.dumps(LANE_GROUPS, ensure_ascii=False)}" in doc_text()


def example_files() -> list[str]:
    return sorted(p.name for p in EXAMPLE.iterdir())


def test_the_worked_example_walks_through_each_of_its_files():
    text = doc_text().split("## Worked example", 1)[1]
    for name in example_files():
        assert f"docs/examples/facility_report/{name}" in text or f"`{name}`" in text, name


@pytest.fixture
def staff(engine):
    """The groups the example's reader creates first (the doc: facilities and facility_leads)."""
    with engine.ctx.db.transaction() as session:
        for username, groups in {"fixer1": ["facilities"], "fixer2": ["facilities"], "lead1": ["facility_leads"]}.items():
            users.ensure_user(session, username, DEMO_PASSWORD, username, ["staff"], groups, fast_hash=True)


def fire(runner, clock, instant: datetime) -> None:
    clock.set(instant)
    result = runner.invoke(args=["timers", "fire", "--as-of", instant.isoformat()])
    assert result.exit_code == 0, result.output


def test_the_worked_example_deploys_and_runs_from_public_filing_to_its_end(client, api, login, runner, clock, staff):
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir())}
    deployed = client.post(f"{API}/process-types", headers=api("owner1"), content_type="multipart/form-data", data={
        "key": "facility_report", "name": "Facility report", "public": "true",
        "lane_groups": json.dumps(LANE_GROUPS), "files": multipart_files(files)})
    assert deployed.status_code == 201, deployed.get_json()

    # the public page offers it with its own intake form, anonymous filing allowed
    offered = {t["key"]: t for t in client.get(f"{API}/public/types").get_json()}
    assert offered["facility_report"]["intake_form"]["x-anonymous-allowed"] is True
    filed = client.post(f"{API}/public/reports", json={"type": "facility_report", "data": {
        "place": "Building 3, 2nd floor", "problem": "The lift stops between floors", "contact": "138 0000 0000"}})
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["number"] == "FR-202611-0001"  # casePrefix FR

    # the lane "Facilities Desk" went to the group facilities: its members see the task, others don't
    fixer = api("fixer1")
    available = client.get(f"{API}/tasks?scope=available", headers=fixer).get_json()["items"]
    task = next(t for t in available if t["case_number"] == filed.get_json()["number"])
    assert task["element_id"] == "Activity_1fix001"
    assert not [t for t in client.get(f"{API}/tasks?scope=available", headers=api("lead1")).get_json()["items"]
                if t["case_number"] == filed.get_json()["number"]]
    # due 3 working days after filing on Monday 2 Nov 09:00 Shanghai: 24:00 Thursday 5 Nov
    assert task["due_at"] == "2026-11-05T16:00:00+00:00"
    assert client.post(f"{API}/tasks/{task['id']}/claim", headers=fixer).status_code == 200

    # the timer with alertKind reminder fires at the start of the last working day and tells the
    # holder; the engine sends no reminder of its own for that task
    fire(runner, clock, datetime(2026, 11, 4, 15, 59, tzinfo=timezone.utc))
    fixer = api("fixer1")  # a token lives hours, the clock moved days
    assert client.get(f"{API}/notifications", headers=fixer).get_json()["items"] == []
    fire(runner, clock, datetime(2026, 11, 4, 16, 0, tzinfo=timezone.utc))
    fire(runner, clock, datetime(2026, 11, 4, 18, 0, tzinfo=timezone.utc))
    fixer = api("fixer1")
    notes = client.get(f"{API}/notifications", headers=fixer).get_json()["items"]
    assert [(n["kind"], n["to_user"]) for n in notes] == [("reminder", "fixer1")]
    assert "Repair due soon" in notes[0]["subject"]

    # no timer draws the escalation: the engine sends it, once overdue, to the escalationGroup
    fire(runner, clock, datetime(2026, 11, 5, 15, 59, tzinfo=timezone.utc))
    assert client.get(f"{API}/notifications", headers=api("lead1")).get_json()["items"] == []
    fire(runner, clock, datetime(2026, 11, 5, 16, 0, tzinfo=timezone.utc))
    escalated = client.get(f"{API}/notifications", headers=api("lead1")).get_json()["items"]
    assert [(n["kind"], n["to_group"]) for n in escalated] == [("escalation", "facility_leads")]
    fixer = api("fixer1")
    assert len(client.get(f"{API}/notifications", headers=fixer).get_json()["items"]) == 1  # no second reminder

    # the task form with its ui-schema; a required field left out is named; then the landlord's path
    task_form = client.get(f"{API}/tasks/{task['id']}", headers=fixer).get_json()["form"]
    assert task_form["x-ui"]["ui:order"][:2] == ["inspected_on", "outcome"]
    # drawn as the ui-schema says: date first, then the outcome with its labels, then the rest;
    # work done a text area with its help in the reader's language
    html = login("fixer1").get(f"/tasks/{task['id']}?lang=en").get_data(as_text=True)
    order = [html.index(f'name="{n}"') for n in ("inspected_on", "outcome", "work_done")]
    assert order == sorted(order)
    assert re.search(r'<textarea[^>]*name="work_done"', html)
    assert "Say which parts were replaced" in html and "The landlord&#39;s to fix" in html
    missing = client.post(f"{API}/tasks/{task['id']}/complete", headers=fixer, json={"data": {"outcome": "landlord"}})
    assert missing.status_code in (400, 422) and "inspected_on" in missing.get_json()["details"]
    done = client.post(f"{API}/tasks/{task['id']}/complete", headers=fixer,
                       json={"data": {"outcome": "landlord", "inspected_on": "2026-11-05"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["case_status"] == "transferred"  # the end event's caseStatus
    receipt = client.get(f"{API}/public/reports/{filed.get_json()['receipt']}").get_json()
    assert receipt["status"] == "transferred"
