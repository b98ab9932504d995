"""Nothing waits on the database for ever: a statement blocked on a lock gives up after the
configured lock timeout (PostgreSQL `lock_timeout`, SQLite `busy_timeout`) and the request answers
409 `busy` with Retry-After at once, never a 500; a statement over `statement_timeout` is a 503.

Runs on SQLite and, with DATABASE_URL set, on PostgreSQL. Nothing sleeps: a second connection
holds the lock, and the wall time of the refused request is measured.
"""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from engine.db import Database, Timeouts, normalize_url
from engine.errors import DatabaseUnavailable
from tests.conftest import DEMO_PASSWORD, TEST_FIELD_KEY, _fresh_database_url
from tests.test_api_support import API, file_public

LOCK_TIMEOUT = 0.3


@pytest.fixture
def impatient_app(tmp_path, clock):
    """The app with a short lock timeout (seconds), as an operator would configure it."""
    from webapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": _fresh_database_url(tmp_path), "SECRET_KEY": "test-secret",
                      "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY, "CLOCK": clock, "WTF_CSRF_ENABLED": False,
                      "FAST_PASSWORD_HASHING": True, "RATELIMIT_ENABLED": False,
                      "DATABASE_LOCK_TIMEOUT": LOCK_TIMEOUT})
    app.extensions["complaintflow"].seed_demo_users(DEMO_PASSWORD)
    yield app
    app.extensions["complaintflow"].close()


def test_a_request_blocked_on_a_lock_answers_409_after_the_lock_timeout(impatient_app):
    client = impatient_app.test_client()
    engine = impatient_app.extensions["complaintflow"]
    token = client.post(f"{API}/auth/token", json={"username": "intake1", "password": DEMO_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert file_public(client).status_code == 201
    task = client.get(f"{API}/tasks?scope=available", headers=headers).get_json()
    task_id = (task["items"] if isinstance(task, dict) else task)[0]["id"]

    holder = sa.create_engine(normalize_url(engine.ctx.db.url)).connect()
    try:
        if engine.ctx.db.is_sqlite:  # SQLite locks the whole database for a writer
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # another transaction holds this task's row
            holder.begin()
            holder.execute(sa.text("SELECT id FROM human_task WHERE id = :id FOR UPDATE"), {"id": task_id})
        started = time.perf_counter()
        resp = client.post(f"{API}/tasks/{task_id}/claim", headers=headers)
        elapsed = time.perf_counter() - started
        assert resp.status_code == 409, resp.get_json()
        assert resp.get_json()["error"] == "busy" and resp.headers["Retry-After"] == "1"
        assert LOCK_TIMEOUT * 0.9 <= elapsed < LOCK_TIMEOUT + 1.5, f"gave up after {elapsed:.2f} s"
    finally:
        holder.rollback()
        holder.close()
    resp = client.post(f"{API}/tasks/{task_id}/claim", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["assignee"] == "intake1"


def test_the_timeouts_are_set_on_every_postgresql_connection(tmp_path):
    url = _fresh_database_url(tmp_path)
    db = Database(url, Timeouts(statement=12, lock=3.5, idle_in_transaction=40))
    try:
        with db.transaction() as session:
            if db.is_sqlite:
                assert session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 3500
                return
            shown = {name: session.execute(sa.text(f"SHOW {name}")).scalar()
                     for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
        assert shown == {"statement_timeout": "12s", "lock_timeout": "3500ms",
                         "idle_in_transaction_session_timeout": "40s"}
    finally:
        db.close()


def test_a_statement_over_the_statement_timeout_is_refused_as_unavailable(tmp_path):
    url = _fresh_database_url(tmp_path)
    if not normalize_url(url).startswith("postgresql"):
        pytest.skip("statement_timeout is PostgreSQL's")
    db = Database(url, Timeouts(statement=0.2))
    try:
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable) as err:
            with db.transaction() as session:  # a query that would take many seconds
                session.execute(sa.text("SELECT count(*) FROM generate_series(1, 500000000)"))
        assert time.perf_counter() - started < 1.5
        assert err.value.status == 503 and "statement timeout" in err.value.details["reason"]
        with db.transaction() as session:  # the pool's connection is fine afterwards
            assert session.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        db.close()
