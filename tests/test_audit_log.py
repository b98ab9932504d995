"""The audit log across cases and admin acts (GET /api/v1/audit/events): auditors only, filtered
and paged in SQL, confidential identity masked, sealed details withheld, every read logged."""
from __future__ import annotations

from datetime import timedelta

from engine.models import Case


def _events(client, headers, **params) -> dict:
    resp = client.get("/api/v1/audit/events", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_auditors_page_through_the_whole_log_newest_first_each_event_once(client, api, make_case, work, engine):
    first = make_case("complaint", by="intake1")
    make_case("tender_complaint")
    auditor = api("auditor1")
    seqs, cursor = [], None
    while True:
        page = _events(client, auditor, limit=7, **({"cursor": cursor} if cursor else {}))
        seqs.extend(e["seq"] for e in page["items"])
        cursor = page["next"]
        if cursor is None:
            break
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(set(seqs))
    # every event written before the first page was read is there (later pages add only read events)
    assert set(range(1, seqs[-1] + 1)) - set(seqs) == set()
    numbers = {e["case_number"] for e in _events(client, auditor, limit=100)["items"] if e["case_id"] == first["id"]}
    assert numbers == {first["number"]}


def test_filters_by_actor_kind_case_and_period(client, api, make_case, work, engine, clock):
    case = make_case("complaint", by="intake1")
    clock.advance(days=3)
    other = make_case("complaint", by="intake2")
    auditor = api("auditor1")
    by_intake2 = _events(client, auditor, actor="intake2", limit=100)["items"]
    assert by_intake2 and {e["actor"] for e in by_intake2} == {"intake2"}
    filed = _events(client, auditor, kind="case_filed", limit=100)["items"]
    assert {e["case_id"] for e in filed} >= {case["id"], other["id"]} and {e["kind"] for e in filed} == {"case_filed"}
    of_case = _events(client, auditor, case=case["id"], limit=100)["items"]
    assert of_case and {e["case_id"] for e in of_case} == {case["id"]}
    day_of_first = (clock.now() - timedelta(days=3)).date().isoformat()
    period = _events(client, auditor, **{"from": day_of_first, "to": day_of_first, "kind": "case_filed"})["items"]
    assert [e["case_id"] for e in period] == [case["id"]]


def test_only_auditors_read_the_log_and_bad_filters_are_named(client, api):
    assert client.get("/api/v1/audit/events", headers=api("admin1")).status_code == 403
    assert client.get("/api/v1/audit/events", headers=api("intake1")).status_code == 403
    assert client.get("/api/v1/audit/events").status_code == 401
    resp = client.get("/api/v1/audit/events", query_string={"from": "yesterday", "case": "x", "limit": 500},
                      headers=api("auditor1"))
    assert resp.status_code == 400
    assert set(resp.get_json()["details"]) == {"from", "case", "limit"}


def test_confidential_identity_is_masked_and_each_read_is_itself_logged(client, api, make_case, engine):
    report = make_case("internal_report")
    with engine.ctx.db.transaction() as session:
        sealed = session.get(Case, report["id"]).personal_sealed
    secret_values = [v for v in engine.ctx.cipher.open(sealed).values() if isinstance(v, str) and len(v) >= 2]
    assert secret_values
    auditor = api("auditor1")
    page = _events(client, auditor, case=report["id"], limit=100)
    text = str(page["items"])
    assert page["items"] and all(value not in text for value in secret_values)
    assert all(e["confidential"] for e in page["items"])
    reads = _events(client, auditor, kind="audit_log_read", limit=100)["items"]
    assert any(report["id"] in e["detail"]["confidential_cases"] and e["detail"]["filters"] == {"case": report["id"]}
               for e in reads)
    assert engine.verify_audit()["ok"]


def test_a_cursor_from_another_list_is_refused(client, api, make_case):
    make_case("complaint", by="intake1")
    make_case("complaint", by="intake1")
    auditor = api("auditor1")
    cases_cursor = client.get("/api/v1/cases", query_string={"limit": 1}, headers=auditor).get_json()["next"]
    assert cases_cursor
    resp = client.get("/api/v1/audit/events", query_string={"cursor": cases_cursor}, headers=auditor)
    assert resp.status_code == 400 and "cursor" in resp.get_json()["details"]
