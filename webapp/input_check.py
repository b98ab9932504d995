"""One check in front of every view: text the database cannot store, or that no field holds.

NUL characters (PostgreSQL refuses them), lone surrogates (not encodable as UTF-8) and the
other C0 control characters (tab, newline and carriage return excepted) in the URL path, the
query string, form fields and file names, JSON bodies, or the headers read as input answer 400
naming where they were, before any view, sign-in or throttle runs. The JSON API gets its error
object; people get the error page.
"""
from __future__ import annotations

import json
import re

from flask import jsonify, request
from flask_babel import gettext as _

from .error_pages import render_error, wants_json

MAX_DEPTH = 32
MAX_REPORTED = 10
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
INPUT_HEADERS = ("Authorization", "X-Forwarded-For")


def init_app(app) -> None:
    """Run the check before everything else the app does with a request."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_text)


def text_problem(text: str) -> str | None:
    """Why this text cannot be taken, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "must not contain NUL characters"
    if "\ud800" <= char <= "\udfff":
        return "must be valid Unicode text"
    return f"must not contain control characters (U+{ord(char):04X})"


def _name(text: str) -> str:
    """A field name fit to report back (the bad characters replaced)."""
    return UNSTORABLE.sub("\ufffd", text)


def find_bad_text(value, path: str, found: dict, depth: int = 0) -> None:
    """Walk decoded JSON: strings that cannot be taken (keys too), and absurd nesting."""
    if len(found) >= MAX_REPORTED:
        return
    if depth > MAX_DEPTH:
        found[path] = f"nested more than {MAX_DEPTH} levels deep"
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            found[_name(path)] = problem
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            find_bad_text(key, where, found, depth + 1)
            find_bad_text(item, where, found, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            find_bad_text(item, f"{path}.{i}" if path else str(i), found, depth + 1)


def _pairs(found: dict, pairs) -> None:
    for name, value in pairs:
        problem = text_problem(name) or text_problem(value)
        if problem and len(found) < MAX_REPORTED:
            found[_name(name)] = problem


def request_problems() -> dict[str, str]:
    """{where: why} for every unstorable piece of this request's input (empty when clean)."""
    found: dict[str, str] = {}
    problem = text_problem(request.path)
    if problem:
        found["path"] = problem
    _pairs(found, request.args.items(multi=True))
    _pairs(found, ((name, request.headers.get(name, "")) for name in INPUT_HEADERS))
    if request.mimetype in FORM_TYPES:
        _pairs(found, request.form.items(multi=True))
        _pairs(found, ((f"{name} (file name)", upload.filename or "")
                       for name, upload in request.files.items(multi=True)))
    elif request.is_json:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            body = None  # the view answers malformed JSON with its own 400
        find_bad_text(body, "", found)
    return found


def refuse_unstorable_text():
    """400 naming each place that holds unstorable text; nothing else runs for the request."""
    found = request_problems()
    if not found:
        return None
    if wants_json():
        return jsonify({"error": "invalid_input", "message": "some text cannot be stored", "details": found}), 400
    places = ", ".join(sorted(found))
    return render_error(400, _("The request contains characters that cannot be stored (a NUL byte or a "
                               "control character) in: %(places)s.", places=places))
