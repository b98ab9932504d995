"""The Flask app factory: defaults, then instance config, then the test mapping, then environment."""
from __future__ import annotations

import os

from flask import Flask, current_app

from engine import EngineSettings, build_engine
from engine.db import Timeouts
from engine.errors import Unauthorized
from handlers import build_registry


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; the engine lives on `app.extensions["complaintflow"]`."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE_URL=None,
        FIELD_ENCRYPTION_KEY=None,
        TIMEZONE="Asia/Shanghai",
        LANGUAGES=["zh_CN", "en"],
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        CLOCK=None,
        DEPLOY_BUNDLED=True,
        # seconds; the scheduler or a maintenance job may run with longer ones (0 = none)
        DATABASE_STATEMENT_TIMEOUT=30,
        DATABASE_LOCK_TIMEOUT=10,
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT=60,
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    app.config.from_prefixed_env("COMPLAINTFLOW")
    if not app.config["DATABASE_URL"] and os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    _ensure_secrets(app)

    settings = EngineSettings(
        database_url=app.config["DATABASE_URL"] or f"sqlite:///{os.path.join(app.instance_path, 'complaintflow.db')}",
        field_key=app.config["FIELD_ENCRYPTION_KEY"],
        timezone=app.config["TIMEZONE"],
        clock=app.config["CLOCK"],
        fast_hashing=bool(app.config.get("FAST_PASSWORD_HASHING")),
        db_timeouts=Timeouts(statement=float(app.config["DATABASE_STATEMENT_TIMEOUT"]),
                             lock=float(app.config["DATABASE_LOCK_TIMEOUT"]),
                             idle_in_transaction=float(app.config["DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"])),
    )
    engine = build_engine(settings, build_registry())
    if app.config["DEPLOY_BUNDLED"]:
        engine.deploy_bundled_processes()
    app.extensions["complaintflow"] = engine

    from . import (admin_pages, api, auth, calendar_admin, cases, cli, clock, conflicts, converters, diagrams,
                   error_pages, i18n, inbox, input_check, modeler, notifications, process_types, public, reports, stuck,
                   timeline_text)
    from . import audit as audit_pages

    converters.init_app(app)
    i18n.init_app(app)
    error_pages.init_app(app)
    auth.init_app(app)  # also the cookie settings (Secure when SECURE_COOKIES)
    input_check.init_app(app)  # first of the before-request checks: unstorable text is a 400
    app.register_blueprint(public.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(calendar_admin.bp)
    app.register_blueprint(clock.bp)
    app.register_blueprint(conflicts.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(process_types.bp)
    app.register_blueprint(modeler.bp)
    app.register_blueprint(stuck.bp)
    app.register_blueprint(audit_pages.bp)
    timeline_text.register(app)
    from . import task_operations

    app.register_blueprint(task_operations.bp)
    app.register_blueprint(diagrams.bp)
    app.register_blueprint(reports.bp)
    cli.init_app(app)
    app.teardown_request(lambda _error: engine.end_request())  # a request's credential dies with it
    app.register_error_handler(Unauthorized, signed_out)
    return app


def signed_out(error: Unauthorized):
    """The session's user was disabled or removed since signing in: end the session, ask to sign
    in again (the API answers 401 through its own handler)."""
    from flask import session
    from flask_login import logout_user

    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return current_app.login_manager.unauthorized()


def _ensure_secrets(app: Flask) -> None:
    """Secrets come from configuration; the embedded default generates them into the instance folder."""
    from engine.confidential.crypto import generate_key

    for name, make in (("SECRET_KEY", lambda: os.urandom(32).hex()), ("FIELD_ENCRYPTION_KEY", generate_key)):
        if app.config.get(name):
            continue
        path = os.path.join(app.instance_path, name.lower())
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
        with open(path) as fh:
            app.config[name] = fh.read().strip()
