"""Fixtures: app, client, runner, a clock that tests move, logins per role, case factories.

The suite runs on SQLite (a fresh file per test) and, when DATABASE_URL is set, on PostgreSQL
(the schema is dropped and migrated afresh per test).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.clocks.clock import FakeClock
from tests.factories import decoded, default_attachments, intake_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEST_FIELD_KEY = "tUe1Wl2QpZ7Xq4n9yC3v8bR5mK0aH6sJ1dF2gL7pQwE="
DEMO_PASSWORD = "demo-pass"


def _fresh_database_url(tmp_path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.db'}"
    import sqlalchemy as sa

    from engine.db import normalize_url

    eng = sa.create_engine(normalize_url(url))
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    eng.dispose()
    return url


@pytest.fixture
def clock():
    """Monday 2 November 2026, 09:00 in Shanghai; tests move it, nothing sleeps."""
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def app(tmp_path, clock):
    from webapp import create_app

    app = create_app({
        "TESTING": True,
        "DATABASE_URL": _fresh_database_url(tmp_path),
        "SECRET_KEY": "test-secret",
        "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "FAST_PASSWORD_HASHING": True,
        "RATELIMIT_ENABLED": False,
    })
    app.extensions["complaintflow"].seed_demo_users(DEMO_PASSWORD)
    yield app
    app.extensions["complaintflow"].close()


@pytest.fixture
def engine(app):
    return app.extensions["complaintflow"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def actor(engine):
    """actor("intake1") -> the engine's Actor for a demo user."""
    return engine.actor_for


@pytest.fixture
def login(app):
    """login("intake1") -> a test client with that demo user logged in through the login form."""

    def _login(username: str, password: str = DEMO_PASSWORD):
        c = app.test_client()
        resp = c.post("/login", data={"username": username, "password": password})
        assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
        return c

    return _login


@pytest.fixture
def api(client):
    """api("intake1") -> headers with a bearer token for that demo user."""

    def _headers(username: str, password: str = DEMO_PASSWORD) -> dict:
        resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}

    return _headers


@pytest.fixture
def make_case(engine):
    """make_case(type="complaint", by="intake1" or None for public, anonymous=False, **data overrides)."""

    def _make(type: str = "complaint", by: str | None = None, anonymous: bool = False,
              attachments: list | None = None, **overrides) -> dict:
        actor = engine.actor_for(by) if by else None
        files = decoded(attachments if attachments is not None else default_attachments(type))
        return engine.file_case(actor, type, intake_data(type, **overrides), files, anonymous=anonymous)

    return _make


@pytest.fixture
def work(engine):
    """work(case_id, element_id, username, **data): claim and complete that case's open task."""

    def _work(case_id: int, element_id: str, username: str, **data) -> dict:
        who = engine.actor_for(username)
        case = engine.get_case(who, case_id)
        task = next(t for t in case["open_tasks"] if t["element_id"] == element_id)
        if task["assignee"] != username:
            engine.claim_task(who, task["id"])
        return engine.complete_task(who, task["id"], data)

    return _work


def later(clock: FakeClock, **delta) -> datetime:
    return clock.now() + timedelta(**delta)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (launching it costs more than a test's page)."""
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
