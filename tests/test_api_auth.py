"""API auth: tokens for staff, 401 without one, 403 for the wrong role, and no CSRF for token calls."""
from __future__ import annotations

import pytest

from tests.test_api_support import API, assert_error, h  # noqa: F401  (h is a fixture)

STAFF_GETS = ["/me", "/process-types", "/process-types/complaint", "/cases", "/cases/1", "/cases/1/history",
              "/cases/1/path", "/cases/1/attachments/1", "/tasks", "/tasks/1", "/audit/verify"]
STAFF_POSTS = ["/process-types", "/cases", "/tasks/1/claim", "/tasks/1/unclaim", "/tasks/1/complete"]


def test_token_for_good_credentials(client):
    resp = client.post(f"{API}/auth/token", json={"username": "intake1", "password": "demo-pass"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert resp.headers["Cache-Control"] == "no-store"
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "intake1" and "intake" in me.get_json()["groups"]


@pytest.mark.parametrize("username,password", [("intake1", "wrong"), ("nobody", "demo-pass"), ("intake1", "")])
def test_bad_credentials_are_401(client, username, password):
    resp = client.post(f"{API}/auth/token", json={"username": username, "password": password})
    if password:
        assert_error(resp, 401)
    else:  # an empty password is a missing field
        assert_error(resp, 400, "password")


def test_token_request_must_be_a_json_object_with_strings(client):
    assert_error(client.post(f"{API}/auth/token", json=["intake1", "demo-pass"]), 400, "body")
    assert_error(client.post(f"{API}/auth/token", json={"username": 1, "password": ["x"]}), 400,
                 "username", "password")
    assert_error(client.post(f"{API}/auth/token", json={}), 400, "username", "password")
    assert_error(client.post(f"{API}/auth/token", data="username=intake1&password=demo-pass",
                             content_type="application/x-www-form-urlencoded"), 415)


@pytest.mark.parametrize("path", STAFF_GETS)
def test_staff_gets_need_a_token(client, path):
    body = assert_error(client.get(API + path), 401)
    assert body["error"] == "unauthorized"
    assert client.get(API + path).headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", STAFF_POSTS)
def test_staff_posts_need_a_token(client, path):
    assert_error(client.post(API + path, json={}), 401)


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic aW50YWtlMTpkZW1vLXBhc3M=", "Bearer", "token"])
def test_bad_or_foreign_authorization_is_401(client, header):
    assert_error(client.get(f"{API}/cases", headers={"Authorization": header}), 401)


def test_expired_token_is_401(client, h, clock):
    headers = h("intake1")
    assert client.get(f"{API}/cases", headers=headers).status_code == 200
    clock.advance(hours=13)
    assert_error(client.get(f"{API}/cases", headers=headers), 401)


def test_a_browser_session_is_not_an_api_login(login):
    browser = login("intake1")
    assert_error(browser.get(f"{API}/cases"), 401)


@pytest.mark.parametrize("username", ["intake1", "admin1", "owner1"])
def test_audit_verify_is_for_auditors_only(client, h, username):
    body = assert_error(client.get(f"{API}/audit/verify", headers=h(username)), 403)
    assert body["error"] == "forbidden"


def test_auditor_verifies_the_chain(client, h, make_case):
    make_case("complaint", by="intake1")
    resp = client.get(f"{API}/audit/verify", headers=h("auditor1"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ok"] is True and body["events"] > 0 and body["first_bad_seq"] is None


def test_audit_verify_reports_a_tampered_event(client, h, make_case, engine):
    from sqlalchemy import text

    make_case("complaint", by="intake1")
    with engine.ctx.db.transaction() as session:
        session.execute(text("UPDATE audit_event SET actor = 'someone' WHERE seq = 2"))
    body = client.get(f"{API}/audit/verify", headers=h("auditor1")).get_json()
    assert body["ok"] is False and body["first_bad_seq"] == 2 and body["problem"] == "edited"


def test_posts_work_with_csrf_protection_on(app, client, h):
    """The HTML side checks CSRF on every form; token-authenticated API calls are exempt."""
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/login", data={"username": "intake1", "password": "demo-pass"}).status_code == 400
    resp = client.post(f"{API}/auth/token", json={"username": "intake1", "password": "demo-pass"})
    assert resp.status_code == 200
    headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}
    from tests.factories import intake_data

    filed = client.post(f"{API}/cases", json={"type": "complaint", "data": intake_data("complaint")},
                        headers=headers)
    assert filed.status_code == 201, filed.get_json()
    public = client.post(f"{API}/public/reports", json={"type": "complaint", "data": intake_data("complaint")})
    assert public.status_code == 201, public.get_json()
    task = client.get(f"{API}/tasks?scope=available", headers=headers).get_json()["items"][0]
    assert client.post(f"{API}/tasks/{task['id']}/claim", headers=headers).status_code == 200
    assert client.post(f"{API}/tasks/{task['id']}/unclaim", headers=headers).status_code == 200
    message = client.post(f"{API}/public/reports/{public.get_json()['receipt']}/messages", json={"body": "补充"})
    assert message.status_code == 201
    assert_error(client.post(f"{API}/no-such-endpoint", json={}), 404)


def test_failed_token_requests_are_rate_limited(app, client):
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_LIMIT=(3, 60))
    for _ in range(3):
        assert_error(client.post(f"{API}/auth/token", json={"username": "intake1", "password": "x"}), 401)
    resp = client.post(f"{API}/auth/token", json={"username": "intake1", "password": "demo-pass"})
    assert_error(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
