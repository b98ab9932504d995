"""Need-to-know on internal reports: who sees them when, logged reads, identity reveal by the
committee, sealing (封存) and exports, key rotation."""
from __future__ import annotations

import pytest

from engine.confidential.crypto import FieldCipher, generate_key
from tests.conftest import TEST_FIELD_KEY

API = "/api/v1"
NAME = "赵举报"


def events(engine, case_id: int) -> list[dict]:
    from engine.models import AuditEvent
    from sqlalchemy import select

    with engine.ctx.db.transaction() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))
        return [{"kind": e.kind, "actor": e.actor, "detail": e.detail} for e in rows]


def sealed_report(engine, make_case, work) -> dict:
    """A named report taken through triage, team, investigation and decision: sealed."""
    case = make_case("internal_report")
    work(case["id"], "triage", "integ1", decision="accept")
    work(case["id"], "form_team", "comm1", investigators=["inv1", "inv2"])
    work(case["id"], "investigate", "inv1", next_step="report", findings="查实。", substantiated="yes")
    work(case["id"], "decide", "comm1", decision_text="警告处分。", refer_judicial=False, retaliation_risk="low")
    return case


def test_only_the_office_then_only_team_and_committee(client, api, make_case, work):
    case = make_case("internal_report")
    url = f"{API}/cases/{case['id']}"
    before = {u: client.get(url, headers=api(u)).status_code
              for u in ("integ1", "integ2", "comm1", "auditor1", "inv1", "admin1", "intake1")}
    assert before == {"integ1": 200, "integ2": 200, "comm1": 200, "auditor1": 200, "inv1": 404, "admin1": 404,
                      "intake1": 404}
    work(case["id"], "triage", "integ1", decision="accept")
    work(case["id"], "form_team", "comm1", investigators=["inv1", "inv2"])
    after = {u: client.get(url, headers=api(u)).status_code for u in ("integ1", "comm1", "inv1", "inv2", "inv3")}
    assert after == {"integ1": 404, "comm1": 200, "inv1": 200, "inv2": 200, "inv3": 404}


def test_every_read_of_a_confidential_case_is_logged(client, api, engine, make_case):
    case = make_case("internal_report")
    ordinary = make_case("complaint", by="intake1")
    client.get(f"{API}/cases/{case['id']}", headers=api("integ1"))
    client.get(f"{API}/cases/{case['id']}/history", headers=api("auditor1"))
    client.get(f"{API}/cases/{case['id']}/path", headers=api("integ2"))
    reads = [(e["actor"], e["detail"]) for e in events(engine, case["id"]) if e["kind"] == "confidential_read"]
    assert [a for a, _ in reads] == ["integ1", "auditor1", "integ2"]
    client.get(f"{API}/cases/{ordinary['id']}", headers=api("intake1"))
    assert not [e for e in events(engine, ordinary["id"]) if e["kind"] == "confidential_read"]


def test_auditors_see_the_history_with_identity_masked(client, api, make_case):
    case = make_case("internal_report")
    for who in ("auditor1", "integ1", "comm1"):
        body = client.get(f"{API}/cases/{case['id']}", headers=api(who)).get_data(as_text=True)
        assert NAME not in body and "zhao@example.com" not in body
        history = client.get(f"{API}/cases/{case['id']}/history", headers=api(who))
        assert history.status_code == 200 and NAME not in history.get_data(as_text=True)


def test_only_the_committee_reveals_identity_with_a_reason(client, api, engine, make_case):
    case = make_case("internal_report")
    url = f"{API}/cases/{case['id']}/reveal-identity"
    assert client.post(url, json={"reason": "需要联系举报人核实"}, headers=api("integ1")).status_code == 403
    assert client.post(url, json={"reason": "需要联系举报人核实"}, headers=api("auditor1")).status_code == 403
    assert client.post(url, json={"reason": "需要联系举报人核实"}, headers=api("inv1")).status_code == 404
    assert client.post(url, json={}, headers=api("comm1")).status_code == 400
    assert client.post(url, json={"reason": "why"}, headers=api("comm1")).status_code == 400
    revealed = client.post(url, json={"reason": "需要联系举报人核实"}, headers=api("comm1"))
    assert revealed.status_code == 200 and revealed.get_json()["identity"]["reporter_name"] == NAME
    event = [e for e in events(engine, case["id"]) if e["kind"] == "identity_revealed"]
    assert len(event) == 1 and event[0]["actor"] == "comm1" and "需要联系举报人核实" in event[0]["detail"]
    assert NAME not in event[0]["detail"]


def test_reveal_page_for_the_committee(login, make_case):
    case = make_case("internal_report")
    assert "reveal-identity" not in login("integ1").get(f"/cases/{case['id']}").get_data(as_text=True)
    web = login("comm1")
    assert "reveal-identity" in web.get(f"/cases/{case['id']}").get_data(as_text=True)
    page = web.post(f"/cases/{case['id']}/reveal-identity", data={"reason": "需要联系举报人核实"})
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    assert NAME not in web.get(f"/cases/{case['id']}").get_data(as_text=True)


def test_a_sealed_report_opens_only_with_a_reason_for_auditor_or_committee(client, api, engine, make_case, work):
    case = sealed_report(engine, make_case, work)
    url = f"{API}/cases/{case['id']}"
    listed = client.get(f"{API}/cases?status=sealed", headers=api("auditor1")).get_json()["items"]
    assert [c["number"] for c in listed] == [case["number"]]
    for who in ("auditor1", "comm1"):
        refused = client.get(url, headers=api(who))
        assert refused.status_code == 403 and refused.get_json()["error"] == "sealed"
        assert client.get(f"{url}/history", headers=api(who)).status_code == 403
    for who in ("inv1", "integ1", "admin1"):
        assert client.get(url, headers=api(who)).status_code == 404
        assert client.post(f"{url}/open-sealed", json={"reason": "年度审计抽查"}, headers=api(who)).status_code == 404
    assert client.post(f"{url}/open-sealed", json={}, headers=api("auditor1")).status_code == 400
    opened = client.post(f"{url}/open-sealed", json={"reason": "年度审计抽查"}, headers=api("auditor1"))
    assert opened.status_code == 200 and opened.get_json()["case"]["status"] == "sealed"
    assert NAME not in opened.get_data(as_text=True) and opened.get_json()["events"]
    openings = [e for e in events(engine, case["id"]) if e["kind"] == "sealed_case_opened"]
    assert [e["actor"] for e in openings] == ["auditor1"] and "年度审计抽查" in openings[0]["detail"]


def test_exports_of_sealed_cases_omit_identity(client, api, engine, make_case, work):
    case = sealed_report(engine, make_case, work)
    url = f"{API}/cases/{case['id']}/export"
    assert client.post(url, json={}, headers=api("comm1")).status_code == 400
    exported = client.post(url, json={"reason": "移交档案室"}, headers=api("comm1"))
    body = exported.get_json()
    assert exported.status_code == 200 and body["identity_omitted"] is True
    assert not {"reporter_name", "reporter_contact", "reporter_department"} & set(body["case"]["data"])
    assert NAME not in exported.get_data(as_text=True)
    assert [e["kind"] for e in events(engine, case["id"])].count("case_exported") == 1


def test_an_ordinary_case_exports_for_its_handlers(client, api, make_case):
    case = make_case("complaint", by="intake1")
    exported = client.post(f"{API}/cases/{case['id']}/export", json={}, headers=api("intake1"))
    assert exported.status_code == 200 and exported.get_json()["case"]["number"] == case["number"]
    assert client.post(f"{API}/cases/{case['id']}/export", json={}, headers=api("clerk1")).status_code == 404


def test_sealed_case_page_offers_the_opening_form(login, engine, make_case, work):
    case = sealed_report(engine, make_case, work)
    web = login("auditor1")
    assert web.get(f"/cases/{case['id']}").status_code == 403
    assert web.post(f"/cases/{case['id']}/open-sealed", data={"reason": "x"}).status_code == 302
    page = web.post(f"/cases/{case['id']}/open-sealed", data={"reason": "年度审计抽查"})
    assert page.status_code == 200 and case["number"] in page.get_data(as_text=True)
    assert login("inv1").get(f"/cases/{case['id']}").status_code == 404


def test_key_rotation_re_encrypts_with_the_new_key(app, engine, runner, make_case):
    case = make_case("internal_report")
    new_key = generate_key()
    engine.ctx.cipher = FieldCipher([new_key, TEST_FIELD_KEY])
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert '"cases": 1' in result.output
    engine.ctx.cipher = FieldCipher(new_key)  # the old key is gone: everything still opens
    revealed = engine.reveal_identity(engine.actor_for("comm1"), case["id"], "密钥轮换后核对")
    assert revealed["identity"]["reporter_name"] == NAME
    engine.ctx.cipher = FieldCipher(generate_key())
    assert runner.invoke(args=["keys", "rotate"]).exit_code != 0  # unknown keys refuse, nothing changes
    assert len(runner.invoke(args=["keys", "generate"]).output.strip()) == 44


@pytest.mark.parametrize("who", ["integ1", "comm1", "auditor1"])
def test_no_identity_in_any_view_of_a_named_report(client, api, make_case, who):
    case = make_case("internal_report")
    for path in ("", "/history", "/path"):
        assert NAME not in client.get(f"{API}/cases/{case['id']}{path}", headers=api(who)).get_data(as_text=True)
