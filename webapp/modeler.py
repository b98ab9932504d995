"""Process owners' and admins' pages: the modeler (/modeler/<key>), a new type from a template or
an upload (/process-types/new), and two versions compared on the diagram (/modeler/<key>/diff).

The editor is bpmn-js with our properties panel, built into webapp/static/vendor/modeler/ from
frontend/ (frontend/build.sh). Its calls back here are JSON over the signed-in session with the
page's CSRF token; each view is parse -> one engine call -> reply.
"""
from __future__ import annotations

import json
import os

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from engine.diagrams.definitions import KEY_PATTERN
from engine.errors import EngineError

from .auth import current_actor, roles_required
from .forms_render import form_fields, initial_values, reason_text
from .modeler_texts import editor_texts

bp = Blueprint("modeler", __name__)
MODELERS = ("admin", "process_owner")
DEPLOYABLE = (".bpmn", ".bpmn20.xml", ".dmn", ".json")
# bpmn-js and the properties panel set inline styles; scripts stay 'self' only
EDITOR_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
                 "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.after_request
def editor_policy(response):
    response.headers.setdefault("Content-Security-Policy", EDITOR_POLICY)
    return response


class BadUpload(ValueError):
    """The upload itself is wrong (no file, not UTF-8, wrong kind): `details` per field."""

    def __init__(self, details: dict):
        super().__init__("the upload is not usable")
        self.details = details


def _files() -> dict[str, bytes]:
    files, details = {}, {}
    for item in request.files.getlist("files"):
        name = os.path.basename((item.filename or "").replace("\\", "/"))
        data = item.read()
        if not name.lower().endswith(DEPLOYABLE):
            details[f"files.{name}"] = _("only .bpmn, .dmn and .json files can be used")
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            details[f"files.{name}"] = _("must be UTF-8 text")
            continue
        files[name] = data
    if details:
        raise BadUpload(details)
    return files


def _refusal(error: EngineError):
    """An engine refusal as the editor's JSON: problems when it lists them, else the reason."""
    details = getattr(error, "details", None)
    return jsonify({"error": getattr(error, "code", None) or "refused", "message": reason_text(error.message),
                    "details": details}), getattr(error, "status", 422)


def _choices() -> dict:
    """The deploy form's choices besides the files (API.md: comment, lane_groups, main_process)."""
    try:
        lane_groups = json.loads(request.form.get("lane_groups") or "{}")
    except ValueError:
        lane_groups = None
    if not isinstance(lane_groups, dict) or not all(isinstance(v, str) for v in lane_groups.values()):
        raise BadUpload({"lane_groups": _("a JSON object of lane name to group key")})
    return {"comment": (request.form.get("comment") or "").strip()[:2000], "lane_groups": lane_groups,
            "main_process": (request.form.get("main_process") or "").strip() or None,
            "confirm_replace": request.form.get("confirm_replace") in ("1", "true", "on")}


def _json_call(call):
    """Run one engine call for the editor; refusals become JSON the page shows."""
    try:
        return call()
    except BadUpload as bad:
        return jsonify({"error": "invalid_input", "message": _("The upload is not usable."), "details": bad.details}), 400
    except EngineError as error:
        return _refusal(error)


# --- pages ---------------------------------------------------------------------------------------

@bp.route("/modeler")
@roles_required(*MODELERS)
def index():
    """Every type with links to its modeler and its versions."""
    return render_template("modeler/index.html", types=engine().list_process_types())


@bp.route("/modeler/<key>")
@roles_required(*MODELERS)
def workbench(key: str):
    """The editor on the type's draft, else its latest version (`?source=version`: the version)."""
    opened = engine().model_to_edit(current_actor(), key, prefer_version=request.args.get("source") == "version")
    page = {"key": key, "files": opened["files"], "csrf": generate_csrf(), "texts": editor_texts(),
            "urls": {"draft": url_for(".save_draft", key=key), "validate": url_for(".validate", key=key),
                     "deploy": url_for(".deploy", key=key), "preview": url_for(".form_preview"),
                     "groups": url_for(".groups")}}
    return render_template("modeler/workbench.html", opened=opened, page=page)


@bp.route("/modeler/<key>/diff")
@roles_required(*MODELERS)
def diff(key: str):
    """Two versions of the type side by side, the changes coloured."""
    versions = engine().model_versions(current_actor(), key)
    numbers = [v["version"] for v in versions]
    newer = request.args.get("to", type=int) or numbers[0]
    older = request.args.get("from", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    page = {"key": key, "texts": editor_texts(), "urls": {"version": url_for(".version_files", key=key, version=0)}}
    return render_template("modeler/diff.html", key=key, versions=versions, older=older, newer=newer, page=page)


@bp.route("/process-types/new", methods=("GET", "POST"))
@roles_required(*MODELERS)
def new_type():
    """A new type: its key, name and audience, from a shipped template or uploaded files; it opens
    in the modeler as a draft, where its forms are edited and it is deployed."""
    values = request.form if request.method == "POST" else {}
    errors = {}
    if request.method == "POST":
        key = (request.form.get("key") or "").strip()
        if not KEY_PATTERN.match(key):
            errors["key"] = _("Use 2–41 lowercase letters, digits and _, starting with a letter.")
        else:
            try:
                engine().start_type_from(current_actor(), key, request.form.get("name", ""),
                                         request.form.get("audience") != "internal",
                                         request.form.get("template") or None,
                                         {} if request.form.get("template") else _files())
            except BadUpload as bad:
                errors.update(bad.details)
            except EngineError as error:
                details = getattr(error, "details", None)
                errors.update(details if isinstance(details, dict) else {"general": reason_text(error.message)})
            else:
                flash(_("Draft of %(key)s created: edit it, validate and deploy.", key=key), "success")
                return redirect(url_for(".workbench", key=key))
    return render_template("modeler/new.html", templates=engine().model_templates(current_actor()),
                           values=values, errors=errors), (422 if errors else 200)


# --- the editor's calls (JSON) ----------------------------------------------------------------------

@bp.route("/modeler/<key>/draft", methods=("POST",))
@roles_required(*MODELERS)
def save_draft(key: str):
    return _json_call(lambda: jsonify(engine().save_model_draft(
        current_actor(), key, request.form.get("name", ""), request.form.get("public") != "false", _files())))


@bp.route("/modeler/<key>/validate", methods=("POST",))
@roles_required(*MODELERS)
def validate(key: str):
    """{"ok", "problems"}: everything a deploy of the editor's files would refuse; stores nothing."""
    def call():
        files, choices = _files(), _choices()
        return jsonify(engine().validate_model(current_actor(), key, files, choices["main_process"],
                                               choices["lane_groups"]))
    return _json_call(call)


@bp.route("/modeler/<key>/deploy", methods=("POST",))
@roles_required(*MODELERS)
def deploy(key: str):
    def call():
        files, choices = _files(), _choices()
        deployed = engine().deploy(current_actor(), key, request.form.get("name", "").strip(), files,
                                   request.form.get("public") != "false", **choices)
        return jsonify(deployed), 201
    return _json_call(call)


@bp.route("/modeler/form-preview", methods=("POST",))
@roles_required(*MODELERS)
def form_preview():
    """The form editor's live preview: the form drawn by the same templates the real pages use."""
    body = request.get_json(silent=True) or {}
    schema, layout = body.get("schema"), body.get("ui") or None
    problems = engine().check_form(current_actor(), schema, layout)
    html = ""
    if isinstance(schema, dict) and not problems:
        shown = {**schema, "x-ui": layout} if layout else schema
        html = render_template("modeler/_form_preview.html", fields=form_fields(shown), values=initial_values(shown))
    return jsonify({"ok": not problems, "problems": problems, "html": html})


@bp.route("/modeler/groups.json")
@roles_required(*MODELERS)
def groups():
    return jsonify({"items": engine().model_groups(current_actor())})


@bp.route("/modeler/<key>/versions/<int:version>.json")
@roles_required(*MODELERS)
def version_files(key: str, version: int):
    """A deployed version's files (the diff page reads two of them)."""
    return _json_call(lambda: jsonify(engine().model_version_files(current_actor(), key, version)))
