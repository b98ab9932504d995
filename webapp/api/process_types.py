"""Complaint types: the deployed process definitions, and deploying a new version."""
from __future__ import annotations

import os

from flask import request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import ApiError
from .parsing import Fields, is_multipart, uploaded_files
from .respond import reply

DEPLOYABLE = (".bpmn", ".bpmn20.xml", ".dmn", ".json")


@bp.get("/process-types")
@staff_required()
def list_process_types(actor):
    """The latest version of each type."""
    return reply(engine().list_process_types())


@bp.get("/process-types/<key>")
@staff_required()
def get_process_type(actor, key: str):
    """One type's latest version, with its intake form."""
    return reply(engine().get_process_type(key))


@bp.post("/process-types")
@staff_required("admin", "process_owner")
def deploy_process_type(actor):
    """Multipart: `key`, `name`, `public`, the diagram's files, and optionally `comment` (the
    version's) and `confirm_replace` ("1": a different process may replace the type; else 409
    with what changes); a new version of the type."""
    if not is_multipart():
        raise ApiError(415, "send multipart/form-data with key, name, public and the files",
                       {"content_type": request.mimetype or None})
    fields = Fields(request.form.to_dict())
    key = fields.string("key", max_length=41)
    name = fields.string("name", max_length=200)
    public = fields.boolean("public")
    comment = fields.string("comment", required=False, max_length=2000) or ""
    confirm_replace = fields.boolean("confirm_replace")
    files = _deployment_files(fields.details)
    fields.check()
    deployed = engine().deploy(actor, key.strip(), name.strip(), files, public, comment=comment,
                               confirm_replace=confirm_replace)
    return reply(deployed, 201, {"Location": f"{bp.url_prefix}/process-types/{deployed['key']}"})


def _deployment_files(details: dict) -> dict[str, bytes]:
    """{file name: bytes}; every problem (none sent, duplicates, not UTF-8, wrong kind) into `details`."""
    files: dict[str, bytes] = {}
    for item in uploaded_files():
        name = os.path.basename(item["filename"].replace("\\", "/"))
        where = f"files.{name}"
        if not name.lower().endswith(DEPLOYABLE):
            details[where] = "only .bpmn, .dmn and .json files can be deployed"
        elif name in files:
            details[where] = "sent twice"
        else:
            try:
                item["data"].decode("utf-8")
            except UnicodeDecodeError:
                details[where] = "must be UTF-8 text"
                continue
            files[name] = item["data"]
    if not files and not any(k.startswith("files.") for k in details):
        details["files"] = "at least one .bpmn file is required"
    return files



@bp.post("/process-types/<key>/validate")
@staff_required("admin", "process_owner")
def validate_process_type(actor, key: str):
    """Multipart as deploy; 200 {"ok", "problems": [{"file", "element", "name", "line", "message"}]}:
    every problem a deploy of these files would meet, all at once. Stores nothing."""
    if not is_multipart():
        raise ApiError(415, "send multipart/form-data with the files", {"content_type": request.mimetype or None})
    fields = Fields(request.form.to_dict())
    main_process = fields.string("main_process", required=False, max_length=200)
    files = _deployment_files(fields.details)
    fields.check()
    return reply(engine().validate_model(actor, key, files, (main_process or "").strip() or None))
