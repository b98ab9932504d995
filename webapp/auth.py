"""Staff sign-in: Flask-Login sessions over engine Actors, CSRF on every form, security headers.

A browser session carries only the key of a sign-in the server holds (engine.accounts.users): signing
out, a password change or disabling the user ends it, whatever the cookie still says. The
sign-in form shares the API's throttle (per account and per address, in the database). A user
with a second factor gives its code on a second page; a user whose role needs one and has none
is sent to set it up before anything else.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from engine.accounts.credentials import ensure as ensure_resolved
from engine.errors import Conflict as EngineConflict
from engine.errors import InvalidInput, TooManyAttempts, Unauthorized

from . import error_pages
from .api import limits

bp = Blueprint("auth", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


PENDING = "pending_sign_in"  # the password was right; the second factor's code is awaited
ENROL = "enrol_second_factor"  # the role needs a second factor the user has not set up
PENDING_LIFETIME = timedelta(minutes=5)
WHILE_ENROLLING = {"auth.second_factor", "auth.logout", "static"}


class StaffUser(UserMixin):
    """The Flask-Login face of an engine Actor; views reach the Actor through `current_actor()`.
    Its id is the key of the server-held sign-in, so the session ends when the server says so."""

    def __init__(self, actor, key: str):
        self.actor = actor
        self.key = key

    def get_id(self) -> str:
        return self.key

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def display_name(self) -> str:
        return self.actor.display_name or self.actor.username


def init_app(app) -> None:
    """Sign-in, CSRF for every form outside the token-authenticated API, headers, error pages."""
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    configure_cookies(app)

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)
    app.extensions["complaintflow_csrf"] = csrf

    @app.before_request
    def check_csrf():
        """The JSON API (blueprint "api") authenticates by token, so it is not a CSRF target."""
        if not app.config.get("WTF_CSRF_ENABLED", True) or "api" in request.blueprints:
            return
        csrf.protect(apply_exemptions=True)

    app.before_request(second_factor_first)
    app.after_request(add_security_headers)
    app.context_processor(navigation_context)
    app.register_blueprint(bp)
    error_pages.init_app(app)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def configure_cookies(app) -> None:
    """HttpOnly and SameSite=Lax always; Secure when `SECURE_COOKIES` is on (serving behind TLS;
    `COMPLAINTFLOW_SECURE_COOKIES=true`), off by default for the embedded plain-http setup."""
    secure = bool(app.config.get("SECURE_COOKIES"))
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure,
                      SESSION_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SAMESITE="Lax")


def load_user(key: str) -> StaffUser | None:
    """Flask-Login's loader: a session's server-held key as a deferred Actor, checked at the start
    of the request's engine transaction (engine.accounts.credentials). Once signed out, expired, revoked by
    a password change, or the user disabled, that check meets `Unauthorized`, which signs the
    session out (webapp.signed_out)."""
    return StaffUser(engine().signed_in(key), key)


def second_factor_first():
    """A user whose role needs a second factor sets it up before anything else."""
    if session.get(ENROL) and request.endpoint not in WHILE_ENROLLING and "api" not in request.blueprints \
            and current_user.is_authenticated:
        return redirect(url_for("auth.second_factor"))
    return None


def current_actor():
    """The signed-in staff member's Actor, or None for the public."""
    if current_user and current_user.is_authenticated:
        return current_user.actor
    return None


def roles_required(*roles: str):
    """Sign-in required; with roles, the actor must hold at least one of them (else 403)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return current_app.login_manager.unauthorized()
            if roles and not actor.has_role(*roles):
                abort(403)
            response = view(*args, **kwargs)
            ensure_resolved(actor)  # a view that made no engine call still checks the session
            return response

        return wrapped

    return decorator


login_required = roles_required()


PUBLIC_NAV = (("public.index", _l("File a complaint")), ("public.track", _l("Follow my case")))
STAFF_NAV = (
    ("inbox.index", _l("Inbox"), ()),
    ("cases.index", _l("Cases"), ()),
    ("notifications.index", _l("Notifications"), ()),
    ("conflicts.index", _l("Conflicts of interest"), ()),
    ("calendar_admin.index", _l("Working calendar"), ("admin",)),
    ("stuck.index", _l("Stuck tasks"), ("admin",)),
    ("modeler.index", _l("Process models"), ("admin", "process_owner")),
    ("process_types.index", _l("Process types"), ("admin", "process_owner", "auditor")),
    ("audit.index", _l("Audit"), ("auditor",)),
    ("reports.index", _l("Reports"), ("admin", "auditor", "process_owner")),
    ("admin.index", _l("Administration"), ("admin",)),
    ("task_operations.workload", _l("Workload"), ("admin",)),  # supervisors: a link on their inbox
    ("task_operations.deputy", _l("Deputy"), ()),
)


# Where a role starts after signing in, first match wins (a page another part of the app serves
# is used only once it exists); everyone else starts in the inbox.
LANDING_PAGES = (("admin", "/admin"), ("process_owner", "/process-types"), ("auditor", "/cases"))


def landing_url(actor) -> str:
    """The first page of use for this user: administration, process types, cases, else the inbox."""
    adapter = current_app.url_map.bind("localhost")
    for role, path in LANDING_PAGES:
        if actor is not None and actor.has_role(role):
            try:
                adapter.match(path, method="GET")
            except HTTPException:
                continue
            return path
    return url_for("inbox.index")


def navigation_context() -> dict:
    """Header links: the public pages, or the staff pages the user's roles open (those that exist)."""
    actor = current_actor()
    if actor is None:
        return {"navigation": list(PUBLIC_NAV)}
    views = current_app.view_functions
    return {"navigation": [(endpoint, label) for endpoint, label, roles in STAFF_NAV
                           if endpoint in views and (not roles or actor.has_role(*roles) or set(roles) & actor.groups)]}


def add_security_headers(response):
    """Headers every page carries; a blueprint that needs a looser policy sets its own first."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def safe_next(target: str | None, default: str) -> str:
    """Follow `next` only to a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


def start_session(signed_in: dict, next_url: str | None):
    """A fresh session (no fixation) holding the new sign-in's key; the language choice stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(StaffUser(signed_in["actor"], signed_in["token"]))
    if signed_in["enrol_second_factor"]:
        session[ENROL] = True
        return redirect(url_for("auth.second_factor"))
    return redirect(safe_next(next_url, landing_url(signed_in["actor"])))


def throttled_page(template: str, refusal: TooManyAttempts, **context):
    """The form again with the wait, as a 429 with Retry-After."""
    minutes = max(1, -(-refusal.retry_after // 60))
    error = _("Too many failed sign-ins for this account or from this address. Try again in %(minutes)s "
              "minutes.", minutes=minutes)
    return render_template(template, error=error, **context), 429, {"Retry-After": str(refusal.retry_after)}


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the sign-in form; on good credentials start a fresh session and go to the inbox (or
    first ask for the second factor's code)."""
    next_url = request.args.get("next") or request.form.get("next") or ""
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url)
    username = request.form.get("username", "").strip()
    try:
        signed_in = engine().sign_in(username, request.form.get("password", ""), limits.client_address(),
                                     limits.sign_in_rules())
    except TooManyAttempts as refusal:
        return throttled_page("auth/login.html", refusal, next=next_url)
    except Unauthorized as refusal:
        if refusal.code == "code_required":
            session[PENDING] = {"username": username, "at": engine().now().isoformat(), "next": next_url}
            return redirect(url_for("auth.login_code"))
        return render_template("auth/login.html", error=_("Wrong username or password."), next=next_url)
    return start_session(signed_in, next_url)


def pending_sign_in() -> dict | None:
    """The sign-in waiting for its code, if it is recent enough."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return pending if engine().now() - started <= PENDING_LIFETIME else None


@bp.route("/login/code", methods=("GET", "POST"))
def login_code():
    """The second step for a user with a second factor: the authenticator app's current code."""
    pending = pending_sign_in()
    if pending is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/code.html")
    try:
        signed_in = engine().confirm_code(pending["username"], request.form.get("code", ""),
                                          limits.client_address(), limits.sign_in_rules())
    except TooManyAttempts as refusal:
        session.pop(PENDING, None)
        return throttled_page("auth/login.html", refusal)
    except Unauthorized:
        return render_template("auth/code.html", error=_("Wrong code. Enter the code your app shows now.")), 200
    return start_session(signed_in, pending.get("next"))


@bp.route("/logout", methods=("POST",))
def logout():
    """Sign out: the server ends this session, then the cookie forgets it (the language stays)."""
    if current_user.is_authenticated:
        engine().sign_out(current_user.get_id())
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/account", methods=("GET",))
@login_required
def account():
    """The user's own account: change the password, set up the second factor."""
    return render_template("auth/account.html", password_error=None)


@bp.route("/account/password", methods=("POST",))
@login_required
def change_password():
    """A new password ends every session and token of the user, this one too: sign in again."""
    new = request.form.get("new_password", "")
    if new != request.form.get("repeat_password", ""):
        return render_template("auth/account.html", password_error=_("The two new passwords differ.")), 400
    try:
        engine().change_password(current_actor(), current_actor().username, new,
                                 request.form.get("current_password", ""))
    except InvalidInput as refusal:
        message = (_("The current password is wrong.") if "current_password" in (refusal.details or {})
                   else _("The new password must have at least 8 characters."))
        return render_template("auth/account.html", password_error=message), 400
    logout_user()
    session.clear()
    flash(_("Your password was changed. Please sign in with the new one."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/second-factor", methods=("GET", "POST"))
@login_required
def second_factor():
    """Set up the second factor: a new secret is shown once (otpauth link and base32 text), and
    turned on when the app's code for it is entered."""
    if request.method == "POST":
        try:
            engine().confirm_second_factor(current_actor(), request.form.get("code", ""))
        except InvalidInput:
            return render_template("auth/second_factor.html", setup=None,
                                   error=_("The code does not match. Check the app's clock and enter the "
                                           "code it shows now.")), 400
        session.pop(ENROL, None)
        flash(_("The second factor is on: from now on, signing in asks for its code."), "info")
        return redirect(landing_url(current_actor()))
    try:
        setup = engine().start_second_factor(current_actor())
    except EngineConflict:
        return render_template("auth/second_factor.html", setup=None, enabled=True)
    return render_template("auth/second_factor.html", setup=setup), 200, {"Cache-Control": "no-store"}
