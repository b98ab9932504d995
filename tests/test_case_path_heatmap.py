"""A case drawn on its diagram, and a version's heatmap, match the cases that were driven (issue 9)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Forbidden, NotFound
from tests.test_api_support import h  # noqa: F401  (fixture)

API = "/api/v1"


def accept(work, clock, case_id, hours_in_review: float):
    clock.set(clock.now() + timedelta(hours=hours_in_review))
    work(case_id, "review", "intake2", decision="accept", reason="符合受理条件", complex=False)


def test_path_marks_completed_elements_flows_taken_and_active_task(engine, make_case, work, clock):
    case = make_case("complaint", by="intake1", category="quality")
    accept(work, clock, case["id"], 2)
    path = engine.case_path(engine.actor_for("auditor1"), case["id"])
    assert {"start", "register", "review", "review_decision", "accept"} <= set(path["completed"])
    assert "investigate" in path["active"] and "review" not in path["active"]
    assert {"flow_start", "flow_registered", "flow_reviewed"} <= set(path["flows"])
    assert not {"flow_transfer", "flow_reject"} & set(path["flows"])  # the branches it did not take
    review = path["events"]["review"]
    assert [e["kind"] for e in review if e["actor"] == "intake2"]  # who completed the review
    assert path["version"] == 1 and 'id="review"' in path["xml"]


def test_rejected_case_took_the_rejection_branch(engine, make_case, work):
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake1", decision="reject", reason="不属于本单位受理范围", complex=False)
    path = engine.case_path(engine.actor_for("auditor1"), case["id"])
    assert "flow_reject" in path["flows"] and "flow_accept" not in path["flows"]
    assert "reply_rejection" in path["active"]


def test_path_api_keeps_its_fields_and_adds_flows_and_events(client, api, make_case):
    case = make_case("complaint", by="intake1")
    body = client.get(f"{API}/cases/{case['id']}/path", headers=api("intake1")).get_json()
    assert {"completed", "active", "flows", "events"} <= set(body)
    assert "register" in body["completed"] and body["active"] == ["review"]


def test_heatmap_counts_cases_and_waits_per_element(engine, make_case, work, clock):
    waits = [1, 2, 3, 4, 10]  # hours each case waited in review
    for hours in waits:
        case = make_case("complaint", by="intake1")
        accept(work, clock, case["id"], hours)
    still_waiting = make_case("complaint", by="intake1")
    owner = engine.actor_for("owner1")
    heat = engine.heatmap(owner, "complaint", 1)
    review = heat["elements"]["review"]
    assert review["cases"] == 5 and review["waits"] == 5
    assert review["median_hours"] == 3.0 and review["p90_hours"] == 10.0  # nearest rank: 3rd and 5th of 5
    assert heat["elements"]["register"]["cases"] == 6
    assert heat["elements"]["accept"]["cases"] == 5
    assert "investigate" not in heat["elements"] or heat["elements"]["investigate"]["cases"] == 0
    # the period filter: nothing before the first case was filed
    empty = engine.heatmap(owner, "complaint", 1, end=clock.now() - timedelta(days=30))
    assert empty["elements"] == {}
    assert still_waiting["id"]


def test_heatmap_is_for_owners_auditors_and_admins(engine):
    with pytest.raises(Forbidden):
        engine.heatmap(engine.actor_for("intake1"), "complaint", 1)
    with pytest.raises(NotFound):
        engine.heatmap(engine.actor_for("auditor1"), "complaint", 99)


def test_a_case_on_an_old_version_is_drawn_on_that_version(client, h, engine, make_case):
    from tests.test_versions import deploy, renamed_review

    old_case = make_case("complaint", by="intake1")
    assert deploy(client, h("owner1"), renamed_review()).status_code == 201
    new_case = make_case("complaint", by="intake1")
    auditor = engine.actor_for("auditor1")
    old, new = engine.case_path(auditor, old_case["id"]), engine.case_path(auditor, new_case["id"])
    assert old["version"] == 1 and "Review v2" not in old["xml"]
    assert new["version"] == 2 and "Review v2" in new["xml"]
    assert old["active"] == new["active"] == ["review"]


def test_a_sealed_case_is_drawn_only_when_opened_with_a_reason(login, engine, make_case, work):
    from engine.errors import InvalidInput
    from engine.models import AuditEvent
    from sqlalchemy import select
    from tests.test_confidential_reports import sealed_report

    case = sealed_report(engine, make_case, work)
    auditor = engine.actor_for("auditor1")
    with pytest.raises(Forbidden):
        engine.case_path(auditor, case["id"])
    with pytest.raises(InvalidInput):
        engine.case_path(auditor, case["id"], "why")
    with pytest.raises(NotFound):  # to others a sealed case does not exist
        engine.case_path(engine.actor_for("intake1"), case["id"], "for the annual review")
    path = engine.case_path(auditor, case["id"], "annual audit of sealed files")
    assert {"triage", "investigate", "decide"} <= set(path["completed"]) and path["active"] == []
    with engine.ctx.db.transaction() as session:
        opened = session.scalars(select(AuditEvent.detail).where(AuditEvent.case_id == case["id"],
                                                                 AuditEvent.kind == "sealed_case_opened")).all()
    assert any("annual audit of sealed files" in d for d in opened)
    page = login("auditor1")
    assert page.get(f"/cases/{case['id']}/path").status_code == 403  # the form asking for a reason
    shown = page.post(f"/cases/{case['id']}/path", data={"reason": "annual audit of sealed files"})
    assert shown.status_code == 200 and "diagram-view.js" in shown.get_data(as_text=True)


def test_heatmap_and_reports_over_the_api(client, h, make_case, work, clock):
    case = make_case("complaint", by="intake1")
    accept(work, clock, case["id"], 5)
    heat = client.get(f"{API}/process-types/complaint/versions/1/heatmap", headers=h("owner1"))
    assert heat.status_code == 200 and heat.get_json()["elements"]["review"]["median_hours"] == 5.0
    bad = client.get(f"{API}/process-types/complaint/versions/1/heatmap?from=yesterday", headers=h("owner1"))
    assert bad.status_code == 400 and "from" in bad.get_json()["details"]
    assert client.get(f"{API}/process-types/complaint/versions/1/heatmap", headers=h("intake1")).status_code == 403
    numbers = client.get(f"{API}/reports", headers=h("auditor1")).get_json()
    complaint = next(t for t in numbers["types"] if t["key"] == "complaint")
    assert complaint["cases"] == 1 and complaint["dimensions"]["category"] == [{"value": "quality", "cases": 1}]
    assert client.get(f"{API}/reports", headers=h("intake1")).status_code == 403
