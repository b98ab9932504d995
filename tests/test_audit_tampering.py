"""Tampering with the audit log straight in the database, as someone with database access would
(the SQLite trigger that keeps the head in step is dropped first): the CLI, the API and the audit
page's button all name the first edited, deleted or inserted row. Runs on SQLite and, with
DATABASE_URL set, on PostgreSQL."""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text

from engine.oversight import audit
from engine.models import AuditEvent


@pytest.fixture
def auditor(api):
    """The auditor's token, taken before the tampering (signing in is itself an event)."""
    return api("auditor1")


@pytest.fixture
def logged(make_case, work, engine, auditor):
    """A case filed and worked a step: a chain of a few dozen events, all sound."""
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    result = engine.verify_audit()
    assert result["ok"] and result["events"] > 10, result
    return result["events"]


def _as_attacker(engine, *statements: str, **params) -> None:
    with engine.ctx.db.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("DROP TRIGGER IF EXISTS audit_head_follows"))
        for statement in statements:
            session.execute(text(statement), params)


def _verdicts(engine, client, auditor, runner) -> list[dict]:
    """The verdict as the engine, the API and the CLI give it (all three must agree)."""
    direct = engine.verify_audit()
    over_api = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert f"broken at event {direct['first_bad_seq']} ({direct['problem']})" in cli.output
    return [direct, over_api, json.loads(cli.output.splitlines()[0])]


def test_an_edited_detail_is_named(engine, client, auditor, runner, logged):
    _as_attacker(engine, "UPDATE audit_event SET detail = '{\"note\": \"nothing happened\"}' WHERE seq = 5")
    for verdict in _verdicts(engine, client, auditor, runner):
        assert (verdict["ok"], verdict["first_bad_seq"], verdict["problem"]) == (False, 5, "edited")
        assert verdict["message"] == "event 5 was changed after it was written"


def test_a_row_deleted_in_the_middle_is_named(engine, client, auditor, runner, logged):
    _as_attacker(engine, "DELETE FROM audit_event WHERE seq = 7")
    for verdict in _verdicts(engine, client, auditor, runner):
        assert (verdict["first_bad_seq"], verdict["problem"]) == (7, "deleted")


def test_a_forged_row_appended_after_the_head_is_named(engine, client, auditor, runner, logged):
    last = logged
    _as_attacker(engine, "INSERT INTO audit_event (seq, case_id, at, actor, kind, element_id, detail, detail_hash, "
                         "prev_hash, hash) SELECT seq + 1, case_id, at, 'mallory', 'task_completed', element_id, "
                         "detail, detail_hash, hash, hash FROM audit_event WHERE seq = :last", last=last)
    for verdict in _verdicts(engine, client, auditor, runner):
        assert (verdict["first_bad_seq"], verdict["problem"]) == (last + 1, "inserted")


def test_a_forged_row_slipped_between_two_rows_with_a_correct_hash_is_named(engine, client, auditor, runner, logged):
    """The careful forger: the later rows are renumbered, the forged row is hashed onto the one
    before it and the head moved on by one; the row after it still names the real predecessor."""
    with engine.ctx.db.transaction() as session:
        before, at = session.get(AuditEvent, 4).hash, session.get(AuditEvent, 5).at
    detail = json.dumps({"note": "approved by phone"})
    detail_hash = hashlib.sha256(detail.encode()).hexdigest()
    forged = audit._digest(before, 5, None, at, "mallory", "note", None, detail_hash)
    _as_attacker(engine,
                 "UPDATE audit_event SET seq = -seq WHERE seq >= 5",
                 "UPDATE audit_event SET seq = 1 - seq WHERE seq < 0",
                 "INSERT INTO audit_event (seq, case_id, at, actor, kind, element_id, detail, detail_hash, prev_hash,"
                 " hash) VALUES (5, NULL, :at, 'mallory', 'note', NULL, :detail, :detail_hash, :before, :forged)",
                 "UPDATE counter SET value = value + 1 WHERE name = 'audit_head'",
                 at=at, detail=detail, detail_hash=detail_hash, before=before, forged=forged)
    for verdict in _verdicts(engine, client, auditor, runner):
        assert (verdict["first_bad_seq"], verdict["problem"]) == (5, "inserted")


def test_a_row_rewritten_with_its_own_hash_recomputed_is_named(engine, client, auditor, runner, logged):
    """Editing a row and recomputing its hash leaves it self-consistent; the next row no longer
    follows it, and the edited row is the one named."""
    with engine.ctx.db.transaction() as session:
        row = session.get(AuditEvent, 6)
        rehashed = audit._digest(row.prev_hash, 6, row.case_id, row.at, "mallory", row.kind, row.element_id,
                                 row.detail_hash)
    _as_attacker(engine, "UPDATE audit_event SET actor = 'mallory', hash = :h WHERE seq = 6", h=rehashed)
    for verdict in _verdicts(engine, client, auditor, runner):
        assert (verdict["first_bad_seq"], verdict["problem"]) == (6, "edited")


def test_the_audit_page_button_names_the_bad_row(engine, login, logged):
    auditor = login("auditor1")
    sound = auditor.post("/audit/verify?lang=en")
    assert sound.status_code == 200 and "The log is intact" in sound.get_data(as_text=True)
    _as_attacker(engine, "DELETE FROM audit_event WHERE seq = 3")
    page = auditor.post("/audit/verify?lang=zh_CN").get_data(as_text=True)
    assert "日志被篡改：第 3 条记录缺失，已被删除。" in page
    assert login("intake1").post("/audit/verify").status_code == 403
