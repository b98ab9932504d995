"""The issue's check: a report naming an accused staff member, conflicts declared by others, then
every list, search, case, task, history, export and report endpoint called as each user — no leak
of the case to excluded users, no identity outside the allowed roles, nothing in the database
file in plain text."""
from __future__ import annotations

import os
import re

import pytest

from tests.factories import intake_data

API = "/api/v1"
REPORTER = ("赵举报", "zhao@example.com", "财务部")
USERS = ("admin1", "owner1", "auditor1", "intake1", "quality1", "supervisor1", "clerk1", "tinv1", "thead1",
         "disc1", "integ1", "integ2", "inv1", "inv2", "inv3", "comm1")
ACCUSED = "inv3"
CONFLICTED = ("integ2",)            # declared it herself
EXPIRED = "inv2"                    # an admin recorded a conflict that is no longer in force


def database_bytes(app) -> bytes:
    """Every byte of the SQLite database (main file and journal); empty on PostgreSQL."""
    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        return b""
    path = url[len("sqlite:///"):]
    return b"".join(open(p, "rb").read() for p in (path, path + "-wal", path + "-journal") if os.path.exists(p))


@pytest.fixture
def report(engine, api, client, make_case):
    """A named report against inv3, with integ2's declared conflict and an expired one for inv2."""
    admin, integ2 = engine.actor_for("admin1"), engine.actor_for("integ2")
    engine.declare_conflict(integ2, "钱被告", "近亲属 / near relative")
    from datetime import datetime, timezone
    engine.declare_conflict(admin, "采购部", "former post", "department", username=EXPIRED,
                            valid_from=datetime(2020, 1, 1, tzinfo=timezone.utc),
                            valid_to=datetime(2023, 1, 1, tzinfo=timezone.utc))
    filed = make_case("internal_report", accused_username=ACCUSED)
    return filed


def api_get_routes(app) -> list[str]:
    """Every GET rule under /api/v1 (so a new endpoint is swept without editing this test)."""
    return sorted({r.rule for r in app.url_map.iter_rules() if r.rule.startswith(API) and "GET" in r.methods})


def sweep(app, client, headers, case_id: int, task_id: int, attachment_id: int, number: str) -> dict[str, tuple]:
    """GET every API route as one user, with this case's ids filled in; {rule: (status, body)}."""
    answers = {}
    for rule in api_get_routes(app):
        url = re.sub(r"<(?:[^:<>]+:)?case_id>", str(case_id), rule)
        url = re.sub(r"<(?:[^:<>]+:)?task_id>", str(task_id), url)
        url = re.sub(r"<(?:[^:<>]+:)?attachment_id>", str(attachment_id), url)
        url = re.sub(r"<(?:[^:<>]+:)?(receipt|key|conflict_id)>", "x", url)
        for query in ("", f"?q={number}", "?scope=available", "?type=internal_report"):
            resp = client.get(url + query, headers=headers)
            answers[url + query] = (resp.status_code, resp.get_data(as_text=True))
    return answers


def test_excluded_users_never_learn_the_case_exists(app, client, api, engine, report):
    integ1 = engine.actor_for("integ1")
    case = engine.get_case(integ1, report["id"])
    task_id = case["open_tasks"][0]["id"]
    excluded = {ACCUSED, *CONFLICTED}
    for username in sorted(excluded):  # a claim by id does not confirm the report exists either
        answer = client.post(f"{API}/tasks/{task_id}/claim", headers=api(username))
        assert answer.status_code == 404 and report["number"] not in answer.get_data(as_text=True)
    for username in USERS:
        headers = api(username)
        for url, (status, body) in sweep(app, client, headers, report["id"], task_id, 1, report["number"]).items():
            assert report["number"] not in body or username not in excluded, (username, url)
            for secret in REPORTER:
                assert secret not in body, (username, url, secret)
            if username in excluded and (f"/cases/{report['id']}" in url or f"/tasks/{task_id}" in url):
                assert status == 404, (username, url, status)


def test_excluded_users_see_nothing_on_the_staff_pages(login, engine, report):
    task_id = engine.get_case(engine.actor_for("integ1"), report["id"])["open_tasks"][0]["id"]
    for username in (ACCUSED, *CONFLICTED):
        web = login(username)
        for url in ("/cases", f"/cases?q={report['number']}", "/inbox", "/notifications"):
            page = web.get(url).get_data(as_text=True)
            assert f"/cases/{report['id']}\"" not in page and f">{report['number']}<" not in page, (username, url)
        for url in (f"/cases/{report['id']}", f"/cases/{report['id']}/history", f"/tasks/{task_id}"):
            assert web.get(url).status_code == 404, (username, url)
    page = login("integ1").get(f"/cases/{report['id']}").get_data(as_text=True)
    assert report["number"] in page and not any(s in page for s in REPORTER)


def test_the_accused_cannot_be_chosen_and_the_team_then_sees_the_case(client, api, engine, work, report):
    work(report["id"], "triage", "integ1", decision="accept")
    comm1 = engine.actor_for("comm1")
    task = next(t for t in engine.get_case(comm1, report["id"])["open_tasks"] if t["element_id"] == "form_team")
    engine.claim_task(comm1, task["id"])
    refused = client.post(f"{API}/tasks/{task['id']}/complete", json={"data": {"investigators": ["inv1", ACCUSED]}},
                          headers=api("comm1"))
    assert refused.status_code == 400  # the accused is not among the choices the form offers
    assert ACCUSED not in refused.get_json()["details"]["investigators.1"]
    engine.complete_task(comm1, task["id"], {"investigators": ["inv1", EXPIRED]})  # expired conflict: eligible
    for username, status in (("inv1", 200), ("inv2", 200), ("comm1", 200), ("auditor1", 200),
                             ("integ1", 404), ("integ2", 404), (ACCUSED, 404), ("admin1", 404)):
        assert client.get(f"{API}/cases/{report['id']}", headers=api(username)).status_code == status, username


def test_nothing_of_the_reporter_is_in_the_database_file(app, engine, work, report):
    work(report["id"], "triage", "integ1", decision="accept")
    engine.close()  # flush the pool so the file is complete
    raw = database_bytes(app)
    if not raw:
        pytest.skip("the database is not a SQLite file")
    assert intake_data("internal_report")["accused_name"].encode() in raw  # the check can find text
    for secret in REPORTER:
        assert secret.encode() not in raw, secret
