"""Accounts: Argon2id (old scrypt hashes upgraded on sign-in), sign-in throttling shared by every
app instance, sessions and tokens the server ends, the second factor, Secure cookies, and text
the database cannot store refused with 400 everywhere."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.accounts import totp
from engine.models import AuditEvent, Case, User
from tests.conftest import DEMO_PASSWORD, TEST_FIELD_KEY
from tests.factories import intake_data
from webapp import create_app

API = "/api/v1"
SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


def app_config(database_url: str, clock, **extra) -> dict:
    """The conftest app's settings on a given database (a second instance shares the first's)."""
    return {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
            "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY, "CLOCK": clock, "WTF_CSRF_ENABLED": False,
            "FAST_PASSWORD_HASHING": True, "RATELIMIT_ENABLED": False, **extra}


@pytest.fixture
def second_app(app, clock):
    """Another app instance (another worker or server) on the same database."""
    other = create_app(app_config(app.config["DATABASE_URL"], clock))
    yield other
    other.extensions["complaintflow"].close()


def sign_in(client, username: str, password: str = DEMO_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def token_request(client, username: str, password: str = DEMO_PASSWORD, **extra):
    return client.post(f"{API}/auth/token", json={"username": username, "password": password, **extra})


def bearer(resp) -> dict:
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def audit_kinds(engine) -> list[str]:
    with engine.ctx.db.transaction() as session:
        return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def stored_user(engine, username: str) -> User:
    with engine.ctx.db.transaction() as session:
        return session.scalars(select(User).where(User.username == username)).one()


def signed_in_elsewhere(app, client):
    """A fresh browser holding a copy of `client`'s session cookie (a stolen or kept cookie)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


# --- passwords ---------------------------------------------------------------------------------

def test_passwords_are_argon2id_and_old_scrypt_hashes_are_upgraded_on_sign_in(client, engine):
    assert stored_user(engine, "intake1").password_hash.startswith("$argon2id$")
    salt = bytes(range(16))
    digest = hashlib.scrypt(DEMO_PASSWORD.encode(), salt=salt, n=16, r=8, p=1, dklen=32)
    with engine.ctx.db.transaction() as session:
        user = session.scalars(select(User).where(User.username == "clerk1")).one()
        user.password_hash = f"scrypt$16$8$1${salt.hex()}${digest.hex()}"
    assert token_request(client, "clerk1", "wrong-pass").status_code == 401
    assert stored_user(engine, "clerk1").password_hash.startswith("scrypt$")  # a wrong password changes nothing
    assert token_request(client, "clerk1").status_code == 200
    assert stored_user(engine, "clerk1").password_hash.startswith("$argon2id$")
    assert token_request(client, "clerk1").status_code == 200
    assert token_request(client, "clerk1", "wrong-pass").status_code == 401


# --- throttling --------------------------------------------------------------------------------

def test_failures_on_two_app_instances_lock_the_account_for_both(app, second_app, clock, engine):
    for instance in (app, second_app):
        instance.config.update(RATELIMIT_ENABLED=True)  # defaults: 5 failures per account in 15 minutes
    first, second = app.test_client(), second_app.test_client()
    for attempt in range(5):
        browser = first if attempt % 2 else second
        assert sign_in(browser, "intake1", f"guess-{attempt}").status_code == 200  # the form again
    page = sign_in(first, "intake1")  # the right password, too late
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in page.get_data(as_text=True)  # the form says why (zh_CN by default)
    assert first.get("/inbox").status_code == 302
    api = token_request(second, "intake1")
    assert api.status_code == 429 and api.get_json()["error"] == "too_many_requests"
    assert 0 < int(api.headers["Retry-After"]) <= 15 * 60
    assert token_request(second, "clerk1").status_code == 200  # other accounts are not locked
    clock.advance(minutes=15, seconds=1)
    assert sign_in(first, "intake1").status_code == 302
    kinds = audit_kinds(engine)
    assert kinds.count("login_failed") == 5 and kinds.count("login_throttled") == 1
    assert kinds[-1] == "login" and engine.verify_audit()["ok"]


def test_one_address_trying_many_accounts_is_throttled(app, client, clock):
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_LIMIT=(4, 600))
    for username in ("intake1", "clerk1", "admin1", "nobody"):
        assert token_request(client, username, "guess").status_code == 401
    assert token_request(client, "quality1").status_code == 429
    assert sign_in(client, "quality1").status_code == 429
    elsewhere = {"environ_overrides": {"REMOTE_ADDR": "10.0.0.7"}}
    assert client.post(f"{API}/auth/token", json={"username": "quality1", "password": DEMO_PASSWORD},
                       **elsewhere).status_code == 200
    clock.advance(minutes=10, seconds=1)
    assert token_request(client, "quality1").status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_count(app, client):
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_LIMIT=(2, 600), TRUSTED_PROXIES=1)

    def via_proxy(username: str, password: str, forwarded: str):
        return client.post(f"{API}/auth/token", json={"username": username, "password": password},
                           headers={"X-Forwarded-For": forwarded}).status_code

    assert [via_proxy(u, "guess", "1.2.3.4") for u in ("intake1", "clerk1")] == [401, 401]
    assert via_proxy("quality1", DEMO_PASSWORD, "6.6.6.6, 1.2.3.4") == 429  # a forged first hop is ignored
    assert via_proxy("quality1", DEMO_PASSWORD, "5.6.7.8") == 200


def test_receipt_look_ups_are_counted_across_app_instances(app, second_app, client):
    receipt = client.post(f"{API}/public/reports", json={"type": "complaint",
                                                         "data": intake_data("complaint")}).get_json()["receipt"]
    for instance in (app, second_app):
        instance.config.update(RATELIMIT_ENABLED=True, API_RECEIPT_RATE_LIMIT=(3, 60))
    clients = [app.test_client(), second_app.test_client(), app.test_client()]
    assert [c.get(f"{API}/public/reports/{receipt}").status_code for c in clients] == [200, 200, 200]
    assert second_app.test_client().get(f"{API}/public/reports/{receipt}").status_code == 429
    assert app.test_client().post("/track", data={"receipt": receipt}).status_code == 429


# --- sessions and tokens end on the server ------------------------------------------------------

def test_signing_out_ends_the_session_even_for_a_kept_cookie(app, login):
    browser = login("intake1")
    kept = signed_in_elsewhere(app, browser)
    assert kept.get("/inbox").status_code == 200
    assert browser.post("/logout").status_code == 302
    resp = kept.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_revoked_token_is_401(client):
    headers = bearer(token_request(client, "intake1"))
    other = bearer(token_request(client, "intake1"))
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 204
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 401
    assert client.get(f"{API}/me", headers=other).status_code == 200  # only that token


def test_a_password_change_ends_every_session_and_token(app, client, login, engine):
    browser, headers = login("intake1"), bearer(token_request(client, "intake1"))
    ended = engine.change_password(engine.actor_for("admin1"), "intake1", "a-new-password")
    assert ended == 2
    assert browser.get("/inbox").status_code == 302
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    assert token_request(client, "intake1").status_code == 401
    assert token_request(client, "intake1", "a-new-password").status_code == 200
    assert "password_changed" in audit_kinds(engine)


def test_users_change_their_own_password_with_the_current_one(app, login):
    browser = login("intake1")
    kept = signed_in_elsewhere(app, browser)
    form = {"current_password": "wrong", "new_password": "my-new-secret", "repeat_password": "my-new-secret"}
    assert browser.post("/account/password", data=form).status_code == 400
    resp = browser.post("/account/password", data={**form, "current_password": DEMO_PASSWORD})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert kept.get("/inbox").status_code == 302  # every session ended, this one too
    assert sign_in(app.test_client(), "intake1", "my-new-secret").status_code == 302


def test_disabling_a_user_ends_every_session_and_token(client, login, engine):
    browser, headers = login("intake1"), bearer(token_request(client, "intake1"))
    assert engine.disable_user(engine.actor_for("admin1"), "intake1") == 2
    assert browser.get("/inbox").status_code == 302
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    assert token_request(client, "intake1").status_code == 401
    assert "user_disabled" in audit_kinds(engine)


def test_only_admins_manage_other_accounts(engine):
    from engine.errors import Forbidden

    with pytest.raises(Forbidden):
        engine.disable_user(engine.actor_for("intake1"), "clerk1")
    with pytest.raises(Forbidden):
        engine.change_password(engine.actor_for("intake1"), "clerk1", "some-password")


# --- the second factor -------------------------------------------------------------------------

def enrol(browser, clock) -> str:
    """Set up the second factor through the account page; the secret shown once."""
    page = browser.get("/account/second-factor")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = SECRET.search(html).group(1)
    assert "otpauth://totp/" in html
    code = totp.code_at(secret, totp.time_step(clock.now()))
    resp = browser.post("/account/second-factor", data={"code": code})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return secret


def current_code(secret: str, clock) -> str:
    return totp.code_at(secret, totp.time_step(clock.now()))


def test_second_factor_enrolment_then_every_sign_in_asks_for_the_code(app, client, login, clock, engine):
    secret = enrol(login("auditor1"), clock)
    assert secret.encode() not in (stored_user(engine, "auditor1").totp_sealed or b"")  # sealed at rest
    clock.advance(seconds=30)
    browser = app.test_client()
    resp = sign_in(browser, "auditor1")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code")
    assert browser.get("/inbox").status_code == 302  # the password alone opens nothing
    wrong = browser.post("/login/code", data={"code": "000000" if current_code(secret, clock) != "000000" else "111111"})
    assert wrong.status_code == 200 and "form-errors" in wrong.get_data(as_text=True)
    code = current_code(secret, clock)
    assert browser.post("/login/code", data={"code": code}).status_code == 302
    assert browser.get("/inbox").status_code == 200
    replay = app.test_client()
    sign_in(replay, "auditor1")
    assert replay.post("/login/code", data={"code": code}).status_code == 200  # a code works once
    missing = token_request(client, "auditor1")
    assert missing.status_code == 401 and missing.get_json()["error"] == "code_required"
    clock.advance(seconds=30)
    assert token_request(client, "auditor1", otp=current_code(secret, clock)).status_code == 200
    assert "second_factor_enrolled" in audit_kinds(engine)


def test_the_code_page_expires_and_wrong_codes_count_as_failures(app, login, clock):
    secret = enrol(login("auditor1"), clock)
    app.config.update(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMIT=(2, 600))
    browser = app.test_client()
    sign_in(browser, "auditor1")
    clock.advance(minutes=6)
    resp = browser.post("/login/code", data={"code": current_code(secret, clock)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    sign_in(browser, "auditor1")
    browser.post("/login/code", data={"code": "12345x"})
    browser.post("/login/code", data={"code": "12345y"})
    assert browser.post("/login/code", data={"code": current_code(secret, clock)}).status_code == 429


def test_roles_can_be_required_to_use_a_second_factor(app, client, clock):
    app.config.update(TOTP_REQUIRED_ROLES="admin,auditor")
    refused = token_request(client, "admin1")
    assert refused.status_code == 403 and refused.get_json()["error"] == "second_factor_required"
    browser = app.test_client()
    resp = sign_in(browser, "admin1")
    assert resp.headers["Location"].endswith("/account/second-factor")
    assert browser.get("/inbox").headers["Location"].endswith("/account/second-factor")
    assert browser.get("/cases").status_code == 302
    secret = enrol(browser, clock)
    assert browser.get("/inbox").status_code == 200
    clock.advance(seconds=30)
    assert token_request(client, "admin1", otp=current_code(secret, clock)).status_code == 200
    assert token_request(client, "intake1").status_code == 200  # other roles are not asked


# --- cookies -----------------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_lax_and_secure_when_configured(app, tmp_path, clock, monkeypatch):
    plain = sign_in(app.test_client(), "intake1").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    monkeypatch.setenv("COMPLAINTFLOW_SECURE_COOKIES", "true")
    behind_tls = create_app(app_config(app.config["DATABASE_URL"], clock))
    try:
        cookie = sign_in(behind_tls.test_client(), "intake1").headers["Set-Cookie"]
    finally:
        behind_tls.extensions["complaintflow"].close()
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- text the database cannot store -------------------------------------------------------------

def nul_requests(client, headers, receipt):
    """(name, response) for NUL and friends on the public and staff paths people and tools use."""
    report = {"type": "complaint", "data": intake_data("complaint", subject="a\x00b")}
    yield "login form", client.post("/login", data={"username": "intake1\x00", "password": DEMO_PASSWORD})
    yield "login query", client.get("/login?next=/inbox%00")
    yield "public form", client.post("/report/complaint", data={"name": "张三", "details": "x\x00y"})
    yield "public type path", client.get("/report/compl%00aint")
    yield "track", client.post("/track", data={"receipt": f"{receipt}\x00"})
    yield "public API", client.post(f"{API}/public/reports", json=report)
    yield "public API path", client.get(f"{API}/public/reports/{receipt}%00")
    yield "case search", client.get(f"{API}/cases?q=%00", headers=headers)
    yield "token request", client.post(f"{API}/auth/token", json={"username": "intake1\x00", "password": "x"})
    yield "control character", client.post("/track", data={"receipt": f"{receipt}\x07"})
    yield "lone surrogate", client.post(f"{API}/public/reports", data=b'{"type": "complaint\\ud800"}',
                                        content_type="application/json")
    yield "header", client.get(f"{API}/me", headers={"Authorization": "Bearer a\x00b"})


def test_unstorable_text_is_400_everywhere_never_500(app, client, engine):
    receipt = client.post(f"{API}/public/reports", json={"type": "complaint",
                                                         "data": intake_data("complaint")}).get_json()["receipt"]
    headers = bearer(token_request(client, "intake1"))
    for name, resp in nul_requests(client, headers, receipt):
        assert resp.status_code == 400, (name, resp.status_code, resp.get_data(as_text=True)[:300])
        if resp.mimetype == "application/json":
            assert resp.get_json()["error"] == "invalid_input" and resp.get_json()["details"], name
        else:
            assert "无法保存的字符" in resp.get_data(as_text=True), name
    with engine.ctx.db.transaction() as session:
        assert len(session.scalars(select(Case.id)).all()) == 1  # nothing half-filed
    assert "login_failed" not in audit_kinds(engine)  # refused before any sign-in ran


def test_tabs_and_newlines_in_free_text_are_fine(client):
    report = {"type": "complaint", "data": intake_data("complaint", description="第一行\n第二行\t附注\r\n")}
    assert client.post(f"{API}/public/reports", json=report).status_code == 201


def test_the_command_line_sets_passwords_and_disables_users(runner, client, engine):
    headers = bearer(token_request(client, "intake1"))
    result = runner.invoke(args=["users", "passwd", "intake1", "--stdin"], input="brand-new-pass\n")
    assert result.exit_code == 0 and "1 session(s)" in result.output, result.output
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    headers = bearer(token_request(client, "intake1", "brand-new-pass"))
    short = runner.invoke(args=["users", "passwd", "clerk1", "--stdin"], input="short\n")
    assert short.exit_code != 0 and "too short" in short.output
    result = runner.invoke(args=["users", "disable", "intake1"])
    assert result.exit_code == 0, result.output
    assert client.get(f"{API}/me", headers=headers).status_code == 401
    assert token_request(client, "intake1", "brand-new-pass").status_code == 401


def test_second_factors_survive_key_rotation(app, client, login, clock, engine, runner):
    from engine.confidential.crypto import FieldCipher, generate_key

    secret = enrol(login("auditor1"), clock)
    new_key = generate_key()
    engine.ctx.cipher = FieldCipher([new_key, TEST_FIELD_KEY])
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and '"second_factors": 1' in result.output, result.output
    engine.ctx.cipher = FieldCipher(new_key)  # the old key is gone
    clock.advance(seconds=30)
    assert token_request(client, "auditor1", otp=current_code(secret, clock)).status_code == 200
