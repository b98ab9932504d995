"""The task page offers what the person working it needs: stepping aside with a reason, and
for a tender complaint the complainant's record of earlier complaints."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from tests.factories import every


def _open_task(engine, case_id, element_id, username):
    who = engine.actor_for(username)
    task = next(t for t in engine.get_case(who, case_id)["open_tasks"] if t["element_id"] == element_id)
    if task["assignee"] != username:
        engine.claim_task(who, task["id"])
    return task["id"]


def test_the_holder_steps_aside_from_the_task_page(login, engine, make_case):
    case = make_case("complaint")
    task_id = _open_task(engine, case["id"], "review", "intake1")
    page = login("intake1")
    html = page.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'action="/tasks/{task_id}/recuse"' in html
    answer = page.post(f"/tasks/{task_id}/recuse", data={"reason": "申请人是我的亲属"})
    assert answer.status_code == 302
    assert page.get(f"/cases/{case['id']}").status_code == 404
    task = next(t for t in every(engine.list_tasks, engine.actor_for("intake2"), "available") if t["id"] == task_id)
    assert task["assignee"] is None


def test_the_clerk_sees_the_complainants_record_while_reviewing(login, engine, make_case, work):
    first = make_case("tender_complaint")
    work(first["id"], "acceptance_review", "clerk1", decision="reject", reason="不属于投诉受理范围的事项")
    second = make_case("tender_complaint", project_code="ZB-2026-200")
    task_id = _open_task(engine, second["id"], "acceptance_review", "clerk1")
    html = login("clerk1").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="complainant-record"' in html and first["number"] in html


def test_the_committee_picks_investigators_from_the_eligible_team(login, engine, make_case, work):
    case = make_case("internal_report", accused_name="调查组三 Investigator 3", accused_username="inv3")
    work(case["id"], "triage", "integ1", decision="accept", reason="线索具体")
    comm1 = engine.actor_for("comm1")
    task = next(t for t in engine.get_case(comm1, case["id"])["open_tasks"] if t["element_id"] == "form_team")
    offered = engine.get_task(comm1, task["id"])["form"]["properties"]["investigators"]["items"]["enum"]
    assert offered == ["inv1", "inv2"]  # inv3 is the accused: recused, not offered
    engine.claim_task(comm1, task["id"])
    html = login("comm1").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'type="checkbox"' in html and 'value="inv1"' in html and 'value="inv3"' not in html
    with pytest.raises(InvalidInput):
        engine.complete_task(comm1, task["id"], {"investigators": ["inv1", "inv3"]})
