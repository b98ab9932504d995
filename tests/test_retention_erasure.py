"""Retention: closed cases' personal data erased after the type's period; the audit chain still verifies."""
from __future__ import annotations

from datetime import timedelta

from tests.test_confidential_sweep import database_bytes

API = "/api/v1"


def rejected_complaint(make_case, work) -> dict:
    """A complaint not accepted and answered: closed the same day."""
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake1", decision="reject", reason="属于业务咨询", complex=False)
    work(case["id"], "reply_rejection", "intake1", reply_text="王小明您好，您反映的问题属于业务咨询。")
    return case


def test_admins_set_retention_per_type(client, api):
    def put(key: str, days, who: str) -> int:
        return client.put(f"{API}/retention/{key}", json={"retention_days": days}, headers=api(who)).status_code

    assert (put("complaint", 30, "intake1"), put("complaint", 0, "admin1"), put("nope", 5, "admin1")) == (403, 400, 404)
    assert put("complaint", 30, "admin1") == 200
    answer = client.get(f"{API}/retention", headers=api("auditor1")).get_json()
    settings = {s["type"]: s["retention_days"] for s in answer}
    assert settings["complaint"] == 30 and settings["internal_report"] is None


def test_personal_data_is_erased_after_the_period_and_the_chain_verifies(app, client, api, engine, clock, runner,
                                                                         make_case, work):
    case = rejected_complaint(make_case, work)
    receipt = case["receipt"]
    kept = make_case("complaint", by="intake1", complainant_name="李留存", complainant_phone="13700000000")
    assert runner.invoke(args=["retention", "set", "complaint", "30"]).exit_code == 0
    closed = engine.get_case(engine.actor_for("intake1"), case["id"])
    assert closed["status"] == "rejected"
    early = runner.invoke(args=["retention", "run", "--as-of", (clock.now() + timedelta(days=29)).isoformat()])
    assert early.output.startswith("0 case(s)")
    clock.set(clock.now() + timedelta(days=31))
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and result.output.startswith("1 case(s) erased"), result.output
    after = client.get(f"{API}/cases/{case['id']}", headers=api("intake1")).get_json()
    assert after["personal_erased"] and after["data"]["complainant_name"] != "王小明"
    assert "complainant_phone" not in after["data"]
    assert not any("王小明" in m["body"] for m in after["messages"])
    history = client.get(f"{API}/cases/{case['id']}/history?limit=100", headers=api("auditor1")).get_json()["items"]
    erasure = [e for e in history if e["kind"] == "personal_data_erased"][0]
    assert len(erasure["detail"]["sha256"]) == 64 and "complainant_phone" in erasure["detail"]["fields"]
    assert client.get(f"{API}/audit/verify", headers=api("auditor1")).get_json()["ok"] is True
    assert client.get(f"{API}/public/reports/{receipt}").status_code == 404  # the mailbox is closed
    assert client.get(f"{API}/cases/{case['id']}/path", headers=api("intake1")).status_code == 200
    assert engine.get_case(engine.actor_for("intake1"), kept["id"])["data"]["complainant_name"] == "李留存"
    engine.close()
    raw = database_bytes(app)
    if raw:
        assert "13800138000".encode() not in raw and "wang@example.com".encode() not in raw
        assert "王小明".encode() not in raw.replace("李留存".encode(), b"")


def test_a_row_marked_redacted_without_an_erasure_is_tampering(client, api, engine, make_case):
    from sqlalchemy import text

    make_case("complaint", by="intake1")
    assert client.get(f"{API}/audit/verify", headers=api("auditor1")).get_json()["ok"] is True
    with engine.ctx.db.transaction() as session:
        session.execute(text("UPDATE audit_event SET detail = '{}' WHERE seq = 2"))
    assert client.get(f"{API}/audit/verify", headers=api("auditor1")).get_json()["first_bad_seq"] == 2
    with engine.ctx.db.transaction() as session:
        session.execute(text("UPDATE audit_event SET redacted_at = at WHERE seq = 2"))
    assert client.get(f"{API}/audit/verify", headers=api("auditor1")).get_json() == {
        "ok": False, "events": engine.verify_audit()["events"], "first_bad_seq": 2, "problem": "edited",
        "message": "event 2 was changed after it was written"}
