"""The database unreachable: pages and API calls answer 503 with a clear message instead of a 500,
and the app serves again by itself as soon as the database is back (no restart)."""
from __future__ import annotations

import socket
import sqlite3
from contextlib import contextmanager

from sqlalchemy import event


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down(engine):
    """Every new connection fails as it does when the database is gone: SQLite cannot open its
    file; PostgreSQL is dialled on a closed port (a real refused connection). Pooled connections
    are dropped, as a database restart drops them."""
    sa_engine = engine.ctx.db.engine
    port = _closed_port()

    def refuse(dialect, _record, cargs, cparams):
        if dialect.name == "sqlite":
            raise sqlite3.OperationalError("unable to open database file")
        return dialect.connect(*cargs, **{**cparams, "host": "127.0.0.1", "port": port, "connect_timeout": 2})

    sa_engine.dispose()
    event.listen(sa_engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(sa_engine, "do_connect", refuse)


def test_pages_and_api_answer_503_while_the_database_is_down_and_recover_after(engine, login, api, make_case):
    case = make_case(by="intake1")
    staff = login("intake1")
    headers = {**api("intake1"), "Accept-Language": "en"}

    with database_down(engine):
        page = staff.get("/inbox", headers={"Accept-Language": "en"})
        chinese = staff.get("/inbox")
        listed = staff.get("/api/v1/tasks", headers=headers)
        tracked = staff.post("/track", data={"receipt": case["receipt"]},
                             headers={"Accept-Language": "en"})

    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "The database cannot be reached" in html and "Traceback" not in html
    assert page.headers["Retry-After"]
    assert chinese.status_code == 503 and "暂时无法连接数据库" in chinese.get_data(as_text=True)
    assert listed.status_code == 503
    assert listed.get_json()["error"] == "database_unavailable"
    assert "database cannot be reached" in listed.get_json()["message"]
    assert tracked.status_code == 503

    # back up: the same clients are served again, without a restart
    assert staff.get("/inbox").status_code == 200
    tasks = staff.get("/api/v1/tasks?scope=available", headers=headers)
    assert tasks.status_code == 200
    items = tasks.get_json()
    items = items["items"] if isinstance(items, dict) else items
    assert any(t["case_id"] == case["id"] for t in items)


def test_a_request_failing_midway_saves_nothing_and_the_next_one_works(engine, api, client, make_case):
    case = make_case(by="intake1")
    headers = api("intake1")
    task = engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"][0]

    with database_down(engine):
        refused = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers)
    assert refused.status_code == 503
    assert engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"][0]["assignee"] is None

    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers)
    assert claimed.status_code == 200
    assert engine.verify_audit()["ok"]
