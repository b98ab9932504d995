"""Friendly error pages for people (the API answers JSON; see its blueprint).

Engine errors carry their own HTTP status; every other failure becomes a plain page with the
status and a sentence, never a stack trace.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import EngineError

CSRF_MESSAGE = _l("The form has expired or did not come from this site. Reload the page and send it again.")

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You may not do this"),
    404: _l("Not found"),
    405: _l("This action is not allowed here"),
    409: _l("Someone else changed this first"),
    413: _l("The upload is too large"),
    422: _l("This cannot be accepted"),
    429: _l("Too many attempts, please wait a moment"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is briefly unavailable"),
}

EXPLANATIONS = {
    400: _l("Please go back, check what you entered and try again."),
    403: _l("Your account does not have the rights for this page or action."),
    404: _l("The page or record does not exist, or you may not see it."),
    413: _l("Each file may be at most 10 MiB and the whole upload at most 20 MiB."),
    500: _l("The error has been logged. Please try again later."),
    503: _l("Nothing was saved. Please wait a moment and send it again."),
}

# The database cannot be reached, refused the connection, dropped it, or every pooled connection
# is busy: the request is answered 503 and the next one tries again (the pool pings PostgreSQL
# connections before use, so the app recovers by itself when the database is back).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
UNAVAILABLE_MESSAGE = _l("The database cannot be reached at the moment. Nothing was saved; "
                         "please try again in a minute.")
RETRY_AFTER = "30"


def init_app(app) -> None:
    """Register the pages once (calling twice is harmless)."""
    app.register_error_handler(EngineError, handle_engine_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    register_database_unavailable(app)


def register_database_unavailable(scaffold) -> None:
    """503 for a database that cannot be reached, on the app or on a blueprint whose own
    catch-all handler would otherwise answer 500 (the API's)."""
    for error in DATABASE_UNAVAILABLE:
        scaffold.register_error_handler(error, handle_database_unavailable)


def wants_json() -> bool:
    """Requests under /api get JSON even when no API view matched (a 404 for an unknown path)."""
    return request.path.startswith("/api/") or "api" in request.blueprints


def render_error(status: int, message: str | None = None, code: str | None = None):
    """One error page (or JSON body under /api) for any status."""
    if wants_json():
        body = {"error": code or str(status), "message": message or str(TITLES.get(status, "")), "details": None}
        return jsonify(body), status
    title = TITLES.get(status) or TITLES[400 if status < 500 else 500]
    return render_template("error.html", status=status, title=title, message=message,
                           explanation=EXPLANATIONS.get(status)), status


LIMITS_BROKEN = {
    "seconds": _l("its scripts ran longer than allowed"),
    "iterations": _l("its scripts looped more often than allowed"),
    "length": _l("it made a text or list longer than allowed"),
    "digits": _l("it made a number with more digits than allowed"),
    "memory": _l("it made more data than allowed"),
    "engine_steps": _l("it ran more steps at once than allowed"),
    "call_depth": _l("it nested more sub-processes than allowed"),
}


def workflow_failed_text(details: dict) -> str:
    """A step the process could not run, in the reader's words: nothing was saved, and whom to tell."""
    broken = LIMITS_BROKEN.get(details.get("limit") or "")
    if broken:
        return _("This step of the process could not run: %(why)s. Nothing was saved; please tell the "
                 "process owner, who can correct the diagram.", why=broken)
    return _("This step of the process could not run. Nothing was saved; please tell the process owner, "
             "who can correct the diagram.")


def handle_engine_error(error: EngineError):
    """An engine refusal outside a form: its status and message (and when to retry), nothing else."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
    if wants_json():
        return jsonify(error.to_dict()), error.status, headers
    from .forms_render import reason_text

    said = reason_text(error.message)  # the engine's words in the reader's language, when we know them
    if error.code == "workflow_failed":  # the diagram, not the reader, is at fault: say so, and which limit
        said = workflow_failed_text(error.details or {})
    body, status = render_error(error.status, said if said != error.message else None, error.code)
    return body, status, headers


def handle_http_error(error: HTTPException):
    """404, 403, 405, 413, a failed CSRF check (400) and the rest of Werkzeug's errors."""
    if error.code is None or error.code < 400:
        return error
    if error.code == 500:
        return handle_server_error(error)
    message = CSRF_MESSAGE if isinstance(error, CSRFError) else None
    return render_error(error.code, message and str(message), code=error.name.lower().replace(" ", "_"))


def handle_server_error(error):
    """An unexpected failure (Flask has already logged it): one calm sentence, no trace."""
    return render_error(500, code="internal_error")


def handle_database_unavailable(error):
    """503 with a clear sentence (JSON under /api); no template that needs the database."""
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               str(error).split("\n")[0])
    headers = {"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"}
    if wants_json():
        body = {"error": "database_unavailable", "details": None,
                "message": "The database cannot be reached at the moment; nothing was saved. Try again in a minute."}
        return jsonify(body), 503, headers
    # The sign-in cannot be checked without the database (it resolves inside the request's engine
    # call): the page is drawn as for the public, so nothing in it asks the database again.
    g._login_user = current_app.login_manager.anonymous_user()
    return render_template("unavailable.html", status=503, title=TITLES[503], message=UNAVAILABLE_MESSAGE), \
        503, headers
