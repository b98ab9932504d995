"""`complaintflow backup` / `restore`: SQLite's online backup of a working database restores into
a fresh one whose cases are all there and whose audit chain verifies; PostgreSQL is pointed to
pg_dump."""
from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import TEST_FIELD_KEY
from webapp import create_app


@pytest.fixture
def sqlite_only(engine):
    if not engine.ctx.db.is_sqlite:
        pytest.skip("SQLite's backup API")


def fresh_app(path):
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret",
                       "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY, "FAST_PASSWORD_HASHING": True})


def test_a_backup_restores_into_a_fresh_database_with_its_cases_and_a_verifying_chain(
        sqlite_only, engine, runner, make_case, tmp_path):
    filed = [make_case(by="intake1"), make_case("tender_complaint", by="clerk1"), make_case("internal_report")]
    intake = engine.actor_for("intake1")
    task = engine.get_case(intake, filed[0]["id"])["open_tasks"][0]
    engine.claim_task(intake, task["id"])

    saved = runner.invoke(args=["backup", str(tmp_path / "nightly.db")])
    assert saved.exit_code == 0, saved.output
    assert "3 case(s)" in saved.output and "audit chain verifies" in saved.output

    restored_app = fresh_app(tmp_path / "restored.db")
    try:
        restored = restored_app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "nightly.db")])
        assert restored.exit_code == 0, restored.output
        verified = restored_app.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and json.loads(verified.output)["ok"]
        again = restored_app.extensions["complaintflow"]
        auditor = again.actor_for("auditor1")
        numbers = {c["number"] for c in _items(again.list_cases(auditor))}
        assert numbers == {c["number"] for c in filed}
        claimed = again.get_case(intake, filed[0]["id"])["open_tasks"][0]
        assert claimed["assignee"] == "intake1"
    finally:
        restored_app.extensions["complaintflow"].close()


def test_a_backup_whose_chain_was_tampered_with_is_not_restored(sqlite_only, runner, make_case, tmp_path):
    make_case(by="intake1")
    assert runner.invoke(args=["backup", str(tmp_path / "b.db")]).exit_code == 0
    with sqlite3.connect(tmp_path / "b.db") as tampered:
        tampered.execute("UPDATE audit_event SET actor = 'someone else' WHERE seq = 2")

    target_app = fresh_app(tmp_path / "target.db")
    try:
        refused = target_app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "b.db")])
        assert refused.exit_code == 1
        assert "not restored" in refused.output and "BROKEN at event 2" in refused.output
    finally:
        target_app.extensions["complaintflow"].close()
    with sqlite3.connect(tmp_path / "target.db") as untouched:
        assert untouched.execute("SELECT count(*) FROM complaint_case").fetchone() == (0,)


def test_backup_never_overwrites_a_file(sqlite_only, runner, tmp_path):
    (tmp_path / "taken.db").write_text("keep me")
    result = runner.invoke(args=["backup", str(tmp_path / "taken.db")])
    assert result.exit_code == 1 and (tmp_path / "taken.db").read_text() == "keep me"


def test_backup_on_postgresql_refuses_with_the_pg_dump_recipe(engine, runner, tmp_path):
    if engine.ctx.db.is_sqlite:
        pytest.skip("PostgreSQL is backed up with pg_dump")
    result = runner.invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "x.db").exists()


def _items(listed):
    """Lists answer {"items", "next", "total"} (or, before paging, a list)."""
    return listed if isinstance(listed, list) else listed["items"]
