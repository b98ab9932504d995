"""A case's history told for people (GET /api/v1/cases/<id>/timeline, ?view=timeline, and the
history page): steps by their diagram names in the reader's language, form changes with their
labels (old -> new), times in the reader's zone on one line, engine steps folded away, a page
view's confidential reads told once, identity values masked."""
from __future__ import annotations

from engine.models import Case

API = "/api/v1"


def _driven(make_case, work, clock):
    case = make_case("complaint", by="intake1")
    clock.advance(hours=2)
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    clock.advance(hours=3)
    work(case["id"], "investigate", "quality1", root_cause="包装线封口温度过低", responsibility="company",
         remedy="exchange", remedy_detail="更换两条卷烟")
    return case


def _timeline(client, headers, case_id, **params) -> dict:
    resp = client.get(f"{API}/cases/{case_id}/timeline", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_the_timeline_names_steps_and_changes_in_the_readers_language(client, api, make_case, work, clock):
    case = _driven(make_case, work, clock)
    english = _timeline(client, api("auditor1"), case["id"], lang="en", limit=100)
    kinds = [e["kind"] for e in english["items"]]
    assert kinds[0] == "case_filed" and "element_completed" not in kinds
    assert not any(k.startswith("service:") for k in kinds) and english["engine_steps_hidden"] > 0
    review = next(e for e in english["items"] if e["kind"] == "task_completed" and e["element_id"] == "review")
    assert review["element_name"] == "Review" and review["actor"] == "intake2"
    assert {"field": "decision", "label": "Decision", "old": None, "new": "Accept"} in review["changes"]
    assert review["title"] == "Task completed" and "Decision: — → Accept" in review["text"]
    ready = [e for e in english["items"] if e["kind"] == "task_created"]
    assert [e["element_name"] for e in ready][:2] == ["Review", "Investigate"]
    chinese = _timeline(client, api("auditor1"), case["id"], lang="zh_CN", limit=100)
    review_zh = next(e for e in chinese["items"] if e["kind"] == "task_completed" and e["element_id"] == "review")
    assert review_zh["element_name"] == "受理审查" and review_zh["title"] == "完成任务"
    assert {"field": "decision", "label": "审查结论", "old": None, "new": "受理"} in review_zh["changes"]
    # the same data under the history endpoint
    same = client.get(f"{API}/cases/{case['id']}/history", query_string={"view": "timeline", "lang": "en", "limit": 100},
                      headers=api("auditor1")).get_json()
    assert [e["seq"] for e in same["items"]] == [e["seq"] for e in english["items"]]


def test_times_are_in_the_readers_zone_and_engine_steps_show_on_demand(client, api, make_case, work, clock):
    case = _driven(make_case, work, clock)
    shanghai = _timeline(client, api("auditor1"), case["id"], limit=5)
    assert shanghai["items"][0]["when"] == "2026-11-02 09:00" and shanghai["items"][0]["at"].endswith("+08:00")
    london = _timeline(client, api("auditor1"), case["id"], tz="Europe/London", limit=5)
    assert london["items"][0]["when"] == "2026-11-02 01:00"
    everything = _timeline(client, api("auditor1"), case["id"], steps=1, limit=100)
    passed = [e for e in everything["items"] if e["kind"] == "element_completed"]
    assert passed and all(e["engine_step"] for e in passed)
    assert everything["total"] == shanghai["total"] + shanghai["engine_steps_hidden"]
    bad = client.get(f"{API}/cases/{case['id']}/timeline", query_string={"tz": "Mars/Olympus", "lang": "fr"},
                     headers=api("auditor1"))
    assert bad.status_code == 400 and set(bad.get_json()["details"]) >= {"lang"}


def test_pages_follow_one_another_without_gaps(client, api, make_case, work, clock):
    case = _driven(make_case, work, clock)
    whole = _timeline(client, api("auditor1"), case["id"], limit=100)["items"]
    seen, cursor = [], None
    while True:
        page = _timeline(client, api("auditor1"), case["id"], limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [e["seq"] for e in page["items"] if e["kind"] != "confidential_read"]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == [e["seq"] for e in whole if e["kind"] != "confidential_read"]


def test_a_confidential_case_masks_identity_and_tells_a_page_views_reads_once(client, api, make_case, engine):
    report = make_case("internal_report")
    with engine.ctx.db.transaction() as session:
        sealed = session.get(Case, report["id"]).personal_sealed
    secrets = [v for v in engine.ctx.cipher.open(sealed).values() if isinstance(v, str) and len(v) >= 2]
    auditor = api("auditor1")
    for _ in range(3):  # a page view reads the case, then its history
        assert client.get(f"{API}/cases/{report['id']}", headers=auditor).status_code == 200
    told = _timeline(client, auditor, report["id"], lang="en", limit=100)
    assert all(secret not in str(told) for secret in secrets)
    reads = [e for e in told["items"] if e["kind"] == "confidential_read"]
    assert len(reads) == 1 and reads[0]["count"] == 4 and reads[0]["read"] == ["case", "history"]
    assert "(4 times: case, history)" in reads[0]["text"]


def test_the_history_page_is_the_timeline(login, make_case, work, clock):
    case = _driven(make_case, work, clock)
    page = login("auditor1").get(f"/cases/{case['id']}/history?lang=zh_CN").get_data(as_text=True)
    assert "受理审查" in page and "审查结论: — → 受理" in page and "2026-11-02 09:00" in page
    assert "element_completed" not in page and "service:" not in page
    steps = login("auditor1").get(f"/cases/{case['id']}/history?steps=1&lang=en").get_data(as_text=True)
    assert "Engine step passed" in steps and "Hide the engine steps" in steps
    # a service step reads by its step's name, not by the operator's key the diagram calls
    assert "<b>System service</b> · " in steps and "complaint.register" not in steps


def test_a_sealed_case_opened_with_a_reason_tells_its_history_and_refuses_without(client, api, login, engine,
                                                                               make_case, work):
    from tests.test_confidential_reports import sealed_report

    case = sealed_report(engine, make_case, work)
    refused = client.get(f"{API}/cases/{case['id']}/timeline", headers=api("auditor1"))
    assert refused.status_code == 403 and refused.get_json()["error"] == "sealed"
    page = login("auditor1").post(f"/cases/{case['id']}/open-sealed?lang=en", data={"reason": "年度审计抽查"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sealed case opened" in text and "Case filed" in text
    assert "Findings: — → 查实。" in text or "查实。" in text
    exported = client.get(f"{API}/cases/{case['id']}/export", query_string={"reason": "年度审计抽查", "lang": "en"},
                          headers=api("auditor1")).get_json()
    assert exported["identity_omitted"] and [d["step"] for d in exported["decisions"]][:1] == ["Triage"]
