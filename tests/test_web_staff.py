"""Staff pages: sign-in, CSRF, the inbox per role, claiming and completing through HTML forms,
cases hidden from those who may not see them, languages and local times."""
from __future__ import annotations

import re

import pytest

from tests.conftest import DEMO_PASSWORD, TEST_FIELD_KEY, _fresh_database_url
from webapp import create_app
from webapp.auth import roles_required

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_task(engine, case_id: int, element_id: str, username: str) -> dict:
    """The case's open task at that element, as the user sees it."""
    case = engine.get_case(engine.actor_for(username), case_id)
    return next(t for t in case["open_tasks"] if t["element_id"] == element_id)


# --- signing in ---------------------------------------------------------------------------------

def test_login_goes_to_the_inbox_and_logout_ends_the_session(client):
    resp = client.post("/login", data={"username": "intake1", "password": DEMO_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    assert client.get("/inbox").status_code == 200
    assert client.post("/logout").status_code == 302
    resp = client.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_wrong_password_shows_the_form_again(client):
    resp = client.post("/login", data={"username": "intake1", "password": "wrong"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'class="form-errors"' in html and 'value="intake1"' in html
    assert client.get("/inbox").status_code == 302


def test_login_does_not_redirect_off_site(client):
    resp = client.post("/login?next=https://evil.example/", data={"username": "intake1", "password": DEMO_PASSWORD})
    assert resp.headers["Location"].endswith("/inbox")


@pytest.fixture
def csrf_app(tmp_path, clock):
    """The app as deployed: CSRF checks on (same settings as the conftest app otherwise)."""
    app = create_app({
        "TESTING": True, "DATABASE_URL": _fresh_database_url(tmp_path), "SECRET_KEY": "test-secret",
        "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY, "CLOCK": clock, "WTF_CSRF_ENABLED": True,
        "FAST_PASSWORD_HASHING": True, "RATELIMIT_ENABLED": False,
    })
    app.extensions["complaintflow"].seed_demo_users(DEMO_PASSWORD)
    yield app
    app.extensions["complaintflow"].close()


def test_csrf_is_enforced_on_forms_but_not_on_the_token_api(csrf_app):
    client = csrf_app.test_client()
    refused = client.post("/login", data={"username": "intake1", "password": DEMO_PASSWORD})
    assert refused.status_code == 400
    assert "Traceback" not in refused.get_data(as_text=True)
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "intake1", "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.post("/track", data={"receipt": "x"}).status_code == 400
    api = csrf_app.test_client().post("/api/v1/auth/token", json={"username": "intake1", "password": DEMO_PASSWORD})
    assert api.status_code == 200


def test_role_checks_answer_403(app, login):
    app.add_url_rule("/_admins_only", "admins_only", roles_required("admin")(lambda: "ok"))
    assert login("intake1").get("/_admins_only").status_code == 403
    assert login("admin1").get("/_admins_only").status_code == 200
    assert app.test_client().get("/_admins_only").status_code == 302


# --- the inbox ---------------------------------------------------------------------------------

def test_inbox_shows_review_to_intake_only(make_case, login):
    case = make_case(type="complaint")
    intake = login("intake1").get("/inbox").get_data(as_text=True)
    available = intake.split('id="available-tasks"')[1]
    assert case["number"] in available and 'data-element="review"' in available
    quality = login("quality1").get("/inbox").get_data(as_text=True)
    assert case["number"] not in quality
    clerk = login("clerk1").get("/inbox").get_data(as_text=True)
    assert case["number"] not in clerk


def test_claim_and_complete_review_through_the_forms(make_case, login, engine):
    case = make_case(type="complaint")
    task = open_task(engine, case["id"], "review", "intake1")
    browser = login("intake1")
    resp = browser.post(f"/tasks/{task['id']}/claim", data={"next": "/inbox"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{task['id']}")  # claim opens it
    inbox = browser.get("/inbox").get_data(as_text=True)
    assert case["number"] in inbox.split('id="my-tasks"')[1].split('id="available-tasks"')[0]
    assert 'class="flash flash-success"' in inbox

    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="decision"' in page and "王小明" in page

    resp = browser.post(f"/tasks/{task['id']}/complete", data={"decision": "accept"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    after = engine.get_case(engine.actor_for("intake1"), case["id"])
    assert "review" not in [t["element_id"] for t in after["open_tasks"]]
    assert engine.get_task(engine.actor_for("intake1"), task["id"])["state"] != "ready"


def test_invalid_task_form_is_400_with_values_kept(make_case, login, engine):
    case = make_case(type="complaint")
    task = open_task(engine, case["id"], "review", "intake1")
    browser = login("intake1")
    browser.post(f"/tasks/{task['id']}/claim")
    resp = browser.post(f"/tasks/{task['id']}/complete", data={"decision": "transfer", "complex": "on"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="field-error"' in html
    assert 'value="transfer" selected' in html
    assert re.search(r'name="complex" value="on" checked', html)
    assert open_task(engine, case["id"], "review", "intake1")["assignee"] == "intake1"


def test_claiming_a_task_someone_holds_flashes_an_error(make_case, login, engine):
    case = make_case(type="complaint")
    task = open_task(engine, case["id"], "review", "intake1")
    login("intake1").post(f"/tasks/{task['id']}/claim")
    other = login("intake2")
    resp = other.post(f"/tasks/{task['id']}/claim")
    assert resp.status_code == 302
    assert 'class="flash flash-error"' in other.get("/inbox").get_data(as_text=True)
    assert open_task(engine, case["id"], "review", "intake1")["assignee"] == "intake1"


def test_unclaim_returns_the_task_to_the_group(make_case, login, engine):
    case = make_case(type="complaint")
    task = open_task(engine, case["id"], "review", "intake1")
    browser = login("intake1")
    browser.post(f"/tasks/{task['id']}/claim")
    assert browser.post(f"/tasks/{task['id']}/unclaim").status_code == 302
    assert open_task(engine, case["id"], "review", "intake1")["assignee"] is None


def test_investigators_are_ticked_from_the_team(make_case, work, login, engine):
    report = make_case(type="internal_report")
    work(report["id"], "triage", "integ1", decision="accept")
    task = open_task(engine, report["id"], "form_team", "comm1")
    browser = login("comm1")
    browser.post(f"/tasks/{task['id']}/claim")
    assert 'name="investigators"' in browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    too_few = browser.post(f"/tasks/{task['id']}/complete", data={"investigators": "inv1"})
    assert too_few.status_code == 400 and 'value="inv1" checked' in too_few.get_data(as_text=True)
    done = browser.post(f"/tasks/{task['id']}/complete", data={"investigators": ["inv1", "inv2"], "note": "两人调查"})
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    opened = engine.get_case(engine.actor_for("comm1"), report["id"])["open_tasks"]
    assert "investigate" in [t["element_id"] for t in opened]


def test_overdue_filter(make_case, login, clock):
    case = make_case(type="complaint")
    browser = login("intake1")
    assert case["number"] not in browser.get("/inbox?filter=overdue").get_data(as_text=True)
    clock.advance(days=30)
    html = browser.get("/inbox?filter=overdue").get_data(as_text=True)
    assert case["number"] in html and "badge-overdue" in html


# --- cases -------------------------------------------------------------------------------------

def test_case_list_and_page(make_case, login):
    case = make_case(type="complaint")
    browser = login("intake1")
    assert case["number"] in browser.get("/cases").get_data(as_text=True)
    assert case["number"] in browser.get("/cases?type=complaint&q=CP-").get_data(as_text=True)
    assert case["number"] not in browser.get("/cases?status=closed").get_data(as_text=True)
    page = browser.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert case["number"] in page and "卷烟包装破损" in page
    history = browser.get(f"/cases/{case['id']}/history")  # the timeline (issue 9), no longer a table of raw rows
    assert history.status_code == 200 and 'class="timeline"' in history.get_data(as_text=True)
    assert "立案" in history.get_data(as_text=True)


def test_case_hidden_from_a_user_is_404_like_a_missing_one(make_case, login):
    report = make_case(type="internal_report")
    browser = login("intake1")
    hidden = browser.get(f"/cases/{report['id']}")
    missing = browser.get("/cases/999999")
    assert hidden.status_code == missing.status_code == 404
    assert browser.get(f"/cases/{report['id']}/history").status_code == 404
    assert report["number"] not in browser.get("/cases").get_data(as_text=True)
    assert "Traceback" not in hidden.get_data(as_text=True)


# --- language and time -------------------------------------------------------------------------

def test_language_switch_renders_english_and_chinese(client):
    assert "登录" in client.get("/login").get_data(as_text=True)  # default zh_CN
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in english and 'lang="en"' in english
    assert "Staff sign-in" in client.get("/track").get_data(as_text=True)  # the choice sticks
    chinese = client.get("/login?lang=zh_CN").get_data(as_text=True)
    assert "登录" in chinese and 'lang="zh-CN"' in chinese


def test_browser_language_is_used_when_nothing_was_chosen(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in html
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in html


def test_times_are_shown_in_shanghai_time(make_case, login):
    case = make_case(type="complaint")  # filed at 09:00 Shanghai = 01:00 UTC
    html = login("intake1").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "2026-11-02 09:00" in html
    assert "2026-11-02 01:00" not in html
