"""The public site (no account): choose a complaint type, file a report, follow it with the receipt.

The receipt code is the complainant's only key. A filing answers with a redirect (post/redirect/get)
to the receipt page; the report form's one-time token, kept in the session, lets that page show the
receipt again after a reload or a language switch until the complainant confirms they saved it (the
receipt itself is never in a URL nor in the session cookie, and is always sent back in a POST body).
A second submit of the same form files nothing and leads to the same receipt page.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput, NotFound, Rejected

from .api.errors import ApiError
from .api.limits import attempt as count_attempt
from .forms_render import field_errors, form_fields, initial_values, parse_submission, reason_text

bp = Blueprint("public", __name__)

REJECTIONS = {
    "anonymity_not_allowed": _l("This type of complaint cannot be filed anonymously: a written complaint needs "
                                "the complainant's name. Misconduct can be reported anonymously through the "
                                "internal report channel."),
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FILED = "filed_form"  # the session key holding the last filed form's one-time token


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.route("/")
def index():
    """The complaint types open to the public."""
    return render_template("public/index.html", types=engine().list_process_types(public_only=True))


def public_type(type_key: str) -> dict:
    """A type open to the public, else 404 (an internal type is not confirmed to exist)."""
    try:
        return engine().public_type(type_key)
    except NotFound:
        abort(404)


def uploaded_files(name: str = "attachments") -> list[dict]:
    """Uploaded files in the engine's shape; empty file inputs are skipped."""
    return [{"filename": f.filename, "content_type": f.mimetype or "application/octet-stream", "data": f.read()}
            for f in request.files.getlist(name) if f and f.filename]


def anonymity_offered(ptype: dict) -> bool:
    """An extra "file anonymously" box, unless the form itself asks the `anonymous` question."""
    schema = ptype.get("intake_form") or {}
    allowed = ptype.get("anonymous_allowed") or schema.get("x-anonymous-allowed")
    return bool(allowed) and "anonymous" not in (schema.get("properties") or {})


def render_report_form(ptype: dict, values: MultiDict, errors=None, general=None, status: int = 200):
    """The intake form, with what the person typed and, after a refusal, the reasons per field."""
    schema = ptype.get("intake_form") or {}
    form_token = values.get("form_token") or secrets.token_urlsafe(24)
    page = render_template("public/report.html", ptype=ptype, fields=form_fields(schema, public=True), values=values,
                           form_token=form_token,
                           errors=errors or {}, general=general or [], attachments=schema.get("x-attachments"),
                           offer_anonymous=anonymity_offered(ptype))
    return page, status, NO_STORE


@bp.route("/report/<type_key>", methods=("GET", "POST"))
def report(type_key: str):
    """Show the type's intake form; on POST file the case (one engine call: the form is parsed
    against the type's intake schema inside it) and redirect to the receipt page."""
    if request.method == "GET":
        ptype = public_type(type_key)
        return render_report_form(ptype, initial_values(ptype.get("intake_form")))
    anonymous = request.form.get("anonymous", "").lower() in ("on", "true", "1", "yes")
    form_token = request.form.get("form_token") or secrets.token_urlsafe(24)
    try:
        result = engine().file_public_report(type_key, lambda schema: parse_submission(schema, request.form, public=True),
                                             uploaded_files(), anonymous=anonymous, form_token=form_token)
    except NotFound:
        abort(404)
    ptype, error = result["type"], result.get("refused")
    schema = ptype.get("intake_form") or {}
    if isinstance(error, Rejected):
        errors, _general = field_errors(error.details, form_fields(schema, public=True), extra=("anonymous",))
        message = REJECTIONS.get(error.code) or error.message
        return render_report_form(ptype, request.form, errors, [str(message)], status=422)
    if error is not None:
        errors, general = field_errors(error.details, form_fields(schema, public=True), ("attachments", "anonymous"), schema)
        if not errors and not general:
            general = [reason_text(error.message)]
        return render_report_form(ptype, request.form, errors, general, status=400)
    session[FILED] = form_token
    return redirect(url_for("public.filed"), code=303)


@bp.route("/filed")
def filed():
    """The receipt page after a filing: number and receipt code, with print and copy buttons,
    until the complainant confirms they saved it (or an hour passes)."""
    token = session.get(FILED)
    if not token:
        return redirect(url_for("public.track"))
    try:
        result = engine().filed_report(token)
    except (NotFound, InvalidInput):
        session.pop(FILED, None)
        return redirect(url_for("public.track"))
    return render_template("public/filed.html", ptype=result["type"], filed=result["filed"]), 200, NO_STORE


@bp.route("/filed/saved", methods=("POST",))
def receipt_saved():
    """The complainant saved the receipt: it is no longer held for showing again."""
    token = session.pop(FILED, None)
    if token:
        try:
            engine().filed_report(token, forget=True)
        except (NotFound, InvalidInput):
            pass
    return redirect(url_for("public.track"), code=303)


def render_track(receipt: str = "", case: dict | None = None, status: int = 200, **notes):
    """The tracking page: the receipt form, or the case as its complainant may see it.

    notes: `error` (receipt not found), `message_error` and `message_body` (a refused message),
    `sent` (a message went through)."""
    page = render_template("public/track.html", receipt=receipt, case=case, form_token=secrets.token_urlsafe(24),
                           repost_receipt=receipt if case else None, **notes)
    return page, status, NO_STORE


def too_many_attempts() -> bool:
    """Receipt look-ups share the API's per-client limit, so guessing is slow on either road."""
    try:
        count_attempt("receipt")
    except ApiError:
        return True
    return False


def throttled_page(receipt: str):
    """Too many receipt look-ups from this client in the last minute."""
    return render_track(receipt, error=_("Too many attempts. Please wait a minute and try again."), status=429)


def not_found_page(receipt: str):
    """A wrong receipt and a missing case read the same."""
    return render_track(receipt, error=_("No case was found for this receipt code."), status=404)


@bp.route("/track", methods=("GET", "POST"))
def track():
    """Ask for the receipt; on POST show the case it opens."""
    if request.method == "GET":
        return render_track()
    receipt = request.form.get("receipt", "").strip()
    if too_many_attempts():
        return throttled_page(receipt)
    try:
        case = engine().public_case(receipt)
    except NotFound:
        return not_found_page(receipt)
    return render_track(receipt, case)


@bp.route("/track/message", methods=("POST",))
def track_message():
    """The complainant writes to the organisation (or answers a request) about their case; one
    engine call verifies the receipt once, posts the message and reads the case back. The page
    answers the POST itself (the receipt may not travel in a redirect's URL), so the form carries
    a one-time token: a reload sends it again and posts nothing twice."""
    receipt = request.form.get("receipt", "").strip()
    body = request.form.get("body", "").strip()
    if too_many_attempts():
        return throttled_page(receipt)
    try:
        result = engine().track_message(receipt, body, uploaded_files(), request.form.get("form_token") or None)
    except NotFound:
        return not_found_page(receipt)
    error = result.get("refused")
    if error is not None and not body:
        return render_track(receipt, result["case"], status=400, message_error=_("Please write your message."))
    if error is not None:
        _fields, general = field_errors(error.details, [])
        return render_track(receipt, result["case"], status=400, message_body=body,
                            message_error="; ".join(general) or reason_text(error.message))
    return render_track(receipt, result["case"], sent=True)
