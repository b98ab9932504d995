"""Staff sign-in: Flask-Login sessions over engine Actors, CSRF on every form, security headers."""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from engine.credentials import ensure as ensure_resolved

from . import error_pages

bp = Blueprint("auth", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class StaffUser(UserMixin):
    """The Flask-Login face of an engine Actor; views reach the Actor through `current_actor()`."""

    def __init__(self, actor):
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.username

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

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)
    app.extensions["complaintflow_csrf"] = csrf

    @app.before_request
    def check_csrf():
        """The JSON API (blueprint "api") authenticates by token, so it is not a CSRF target."""
        if not app.config.get("WTF_CSRF_ENABLED", True) or "api" in request.blueprints:
            return
        csrf.protect(apply_exemptions=True)

    app.after_request(add_security_headers)
    app.context_processor(navigation_context)
    app.register_blueprint(bp)
    error_pages.init_app(app)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def load_user(username: str) -> StaffUser | None:
    """Flask-Login's loader: a session's username as a deferred Actor, checked at the start of
    the request's engine transaction (engine.credentials); a deactivated user then meets
    `Unauthorized`, which signs the session out (webapp.signed_out)."""
    return StaffUser(engine().signed_in(username))


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
    ("modeler.index", _l("Process models"), ("admin", "process_owner")),
    ("audit.index", _l("Audit"), ("auditor",)),
    ("reports.index", _l("Reports"), ("admin", "auditor", "process_owner")),
    ("admin.index", _l("Administration"), ("admin",)),
)


def navigation_context() -> dict:
    """Header links: the public pages, or the staff pages the user's roles open (those that exist)."""
    actor = current_actor()
    if actor is None:
        return {"navigation": list(PUBLIC_NAV)}
    views = current_app.view_functions
    return {"navigation": [(endpoint, label) for endpoint, label, roles in STAFF_NAV
                           if endpoint in views and (not roles or actor.has_role(*roles))]}


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


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the sign-in form; on good credentials start a fresh session and go to the inbox."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        actor = engine().authenticate(username, request.form.get("password", ""))
        if actor is not None:
            lang = session.get("lang")
            session.clear()  # no session fixation: a fresh session for the signed-in user
            if lang:
                session["lang"] = lang
            login_user(StaffUser(actor))
            return redirect(safe_next(request.args.get("next") or request.form.get("next"),
                                      url_for("inbox.index")))
        error = _("Wrong username or password.")
    return render_template("auth/login.html", error=error, next=request.args.get("next", ""))


@bp.route("/logout", methods=("POST",))
def logout():
    """Sign out and forget the session (the language choice stays)."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.index"))
