"""Versions of a complaint type: list them, read one's files, roll the latest pointer, and move
running cases between versions (a dry run first). The engine checks the caller's role inside the
request's one transaction."""
from __future__ import annotations

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import Fields, json_body, query_page
from .respond import reply

TYPE = "/process-types/<key>"


@bp.get(f"{TYPE}/versions")
@staff_required()
def list_versions(actor, key: str):
    """Newest first, paged: who deployed each version, when, with what comment and content hash."""
    details: dict[str, str] = {}
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().list_versions(actor, key, **page))


@bp.get(f"{TYPE}/versions/<id:version>")
@staff_required()
def get_version(actor, key: str, version: int):
    """One version as deployed: its BPMN, DMN and form files' text (for the diagram diff)."""
    return reply(engine().get_version(actor, key, version))


@bp.post(f"{TYPE}/latest")
@staff_required()
def move_latest(actor, key: str):
    """`{"version", "reason"}`: new cases start on that version from now on (audited)."""
    body = json_body()
    fields = Fields(body)
    reason = fields.string("reason", max_length=500)
    if not isinstance(body.get("version"), int) or isinstance(body.get("version"), bool):
        fields.details["version"] = "a version number of this type"
    fields.check()
    return reply(engine().move_latest(actor, key, body["version"], reason))


@bp.post(f"{TYPE}/migrations")
@staff_required()
def migrate_cases(actor, key: str):
    """`{"from_version", "to_version", "cases": [ids] or "all", "dry_run"}`: per case `movable` and
    the reason when not; "all" goes one page (`limit`, `cursor`) of the version's open cases a call."""
    body = json_body()
    details: dict[str, str] = {}
    for name in ("from_version", "to_version"):
        if not isinstance(body.get(name), int) or isinstance(body.get(name), bool):
            details[name] = "a version number of this type"
    if "dry_run" not in body:
        details["dry_run"] = "say true for a preview or false to move the cases"
    if "cases" not in body:
        details["cases"] = '"all" or a list of case ids'
    limit = body.get("limit")
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        details["cursor"] = "use the `next` value of the previous answer"
    if details:
        raise bad_input(details)
    return reply(engine().migrate_cases(actor, key, body["from_version"], body["to_version"], body["cases"],
                                        body["dry_run"], limit, cursor))


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    from .openapi import PAGE, _json, ok, op, path_param

    obj, text, number = {"type": "object"}, {"type": "string"}, {"type": "integer", "minimum": 1}
    key = path_param("key", "the type key", {"type": "string"})
    version = {"type": "object", "properties": {
        "version": number, "deployed_at": text, "deployed_by": text, "comment": text,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "latest": {"type": "boolean"}}}
    return {
        "/process-types/{key}/versions": {"get": op(
            "A type's versions, newest first (admin, process owner, auditor)", "process types",
            {"200": ok("One page", {"type": "object", "properties": {
                "items": {"type": "array", "items": version}, "next": {"type": ["string", "null"]},
                "total": {"type": "integer"}}})}, errors=("403", "404"), params=[key, *PAGE])},
        "/process-types/{key}/versions/{version}": {"get": op(
            "One version with its files (BPMN, DMN, forms) as deployed", "process types",
            {"200": ok("The version", {"type": "object", "properties": {
                **version["properties"], "files": {"type": "object", "additionalProperties": text}}})},
            errors=("403", "404"), params=[key, path_param("version", "the version number")])},
        "/process-types/{key}/latest": {"post": op(
            "Choose the version new cases start on (roll back or forward; audited)", "process types",
            {"200": ok("The pointer moved", obj)}, errors=("403", "404", "415"), params=[key],
            body=_json({"type": "object", "required": ["version", "reason"],
                        "properties": {"version": number, "reason": text}}))},
        "/process-types/{key}/migrations": {"post": op(
            "Move running cases to another version: dry run first, then a batch (audited)", "process types",
            {"200": ok("Per case: movable, the reason if not, moved", obj)}, errors=("403", "404", "415"),
            params=[key], body=_json({"type": "object", "required": ["from_version", "to_version", "cases", "dry_run"],
                                      "properties": {"from_version": number, "to_version": number,
                                                     "cases": {"oneOf": [{"const": "all"},
                                                                         {"type": "array", "items": number,
                                                                          "maxItems": 100}]},
                                                     "dry_run": {"type": "boolean"},
                                                     "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                                                     "cursor": text}}),
            description="A case cannot move when a step it waits on is missing in the target or is "
                        "another kind of element there, when a finished step has no element in the "
                        "target, or when it has ended. `cases: \"all\"` takes one page (`limit`) of the "
                        "version's open cases per call; `next` continues.")},
    }
