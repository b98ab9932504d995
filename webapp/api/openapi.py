"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every endpoint of this blueprint.

A test compares the app's URL rules under /api/v1 with these paths, so a new endpoint without
a description here fails the suite.
"""
from __future__ import annotations

from ..converters import MAX_ID
from . import bp
from .openapi_schemas import SCHEMAS, ref
from .respond import reply

ERRORS = {
    "400": "Bad input: `details` maps each bad field to its reason",
    "401": "No token, or an unknown or expired one",
    "403": "The caller's role or group does not allow this",
    "404": "Not found, or not visible to the caller",
    "409": "Conflict: held by someone else, already completed, or changed at the same time",
    "413": "The request or an attachment is too large",
    "415": "Wrong content type",
    "422": "Well-formed but refused by a rule",
    "429": "Too many attempts from this client",
    "500": "Unexpected failure (logged; no details are given)",
}
BEARER = [{"bearerAuth": []}]


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: dict | None = None) -> dict:
    """A success response, with a JSON body when `schema` is given."""
    answer = {"description": description}
    if schema is not None:
        answer["content"] = _json(schema)
    return answer


def op(summary: str, tag: str, responses: dict, *, errors=(), auth: bool = True, params=(),
       body: dict | None = None, description: str | None = None) -> dict:
    """One operation; `errors` are status codes answered with the Error schema."""
    codes = ("400", "401", *errors, "500") if auth else ("400", *errors, "500")
    operation = {"summary": summary, "tags": [tag], "operationId": None,
                 "responses": {**responses, **{c: {"$ref": f"#/components/responses/E{c}"} for c in codes}}}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body:
        operation["requestBody"] = {"required": True, "content": body}
    operation["security"] = BEARER if auth else []
    return operation


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    """A required path parameter (an id unless `schema` says otherwise)."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def query(name: str, description: str, schema: dict) -> dict:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PAGE = [query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
        query("cursor", "the `next` of the page before (opaque)", {"type": "string", "maxLength": 500})]
CASE_ID = path_param("case_id", "the case's id")
TASK_ID = path_param("task_id", "the task's id")
RECEIPT = path_param("receipt", "the receipt code given at filing", {"type": "string", "maxLength": 100})
JSON_OR_MULTIPART = {**_json(ref("CaseInput")),
                     "multipart/form-data": {"schema": ref("ReportMultipart")}}


def paths() -> dict:
    """Every endpoint of the blueprint, by path and method."""
    return {
        "/auth/token": {
            "post": op("Exchange a username and password for a bearer token", "auth",
                       {"200": ok("A token valid for 12 hours", ref("Token"))}, errors=("403", "415", "429"),
                       auth=False, body=_json(ref("TokenRequest")),
                       description="401 on bad credentials (error `code_required` when the user has a second "
                                   "factor and `otp` is missing); 403 `second_factor_required` when the user's "
                                   "role needs a second factor not yet set up; 429 with Retry-After after too "
                                   "many failures for the account or from this address."),
            "delete": op("Revoke the caller's token", "auth", {"204": ok("Revoked; the token no longer works")}),
        },
        "/me": {"get": op("Who the token belongs to", "auth", {"200": ok("The caller", ref("Actor"))})},
        "/process-types": {
            "get": op("The latest version of each complaint type", "process types",
                      {"200": ok("Types", {"type": "array", "items": ref("ProcessType")})}),
            "post": op("Deploy a new version of a complaint type (admin, process owner)", "process types",
                       {"201": ok("Deployed", ref("Deployed"))}, errors=("403", "413", "415"),
                       body={"multipart/form-data": {"schema": ref("Deployment")}},
                       description="400 lists every problem of the diagram (parse, unknown service "
                                   "operator, missing form, user task without lane, unsafe script)."),
        },
        "/process-types/{key}": {"get": op(
            "One complaint type", "process types", {"200": ok("The type", ref("ProcessType"))}, errors=("404",),
            params=[path_param("key", "the type key", {"type": "string"})])},
        "/process-types/{key}/validate": {"post": op(
            "Check a diagram and its files as a deploy would, storing nothing (admin, process owner)", "process types",
            {"200": ok("Every problem at once (none: ok)", ref("Validation"))}, errors=("403", "413", "415"),
            body={"multipart/form-data": {"schema": ref("Deployment")}},
            params=[path_param("key", "the type key", {"type": "string"})])},
        "/cases": {
            "post": op("File a case on a complainant's behalf", "cases", {"201": ok("Filed", ref("CaseFiled"))},
                       errors=("403", "404", "413", "415", "422"), body=JSON_OR_MULTIPART),
            "get": op("Cases the caller may see", "cases", {"200": ok("One page", ref("CasePage"))}, params=[
                query("type", "a type key", {"type": "string"}),
                query("status", "case status", SCHEMAS["CaseSummary"]["properties"]["status"]),
                query("overdue", "1: only open cases past a deadline", {"type": "string", "enum": ["0", "1"]}),
                query("q", "search number and category", {"type": "string", "maxLength": 200}),
                query("page", "from 1 (offset paging; prefer `cursor`)", {"type": "integer", "minimum": 1, "default": 1}),
                query("per_page", "the older name of `limit`", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
                *PAGE,
            ], description="Newest first; `q` matches number and category literally (% and _ are no wildcards)."),
        },
        "/cases/{case_id}": {"get": op("One case (confidential fields masked as the caller's role requires)",
                                       "cases", {"200": ok("The case", ref("CaseDetail"))}, errors=("404",),
                                       params=[CASE_ID])},
        "/cases/{case_id}/history": {"get": op(
            "The case's audit events in order", "cases", {"200": ok("One page of events", ref("History"))},
            errors=("404",), params=[CASE_ID, query("view", "timeline: told for people (see .../timeline)",
                                                    {"type": "string", "enum": ["events", "timeline"]}), *PAGE])},
        "/cases/{case_id}/path": {"get": op("Completed and active elements, flows taken, each element's events",
                                            "cases", {"200": ok("Element ids", ref("CasePath"))},
                                            errors=("400", "403", "404"),
                                            params=[CASE_ID, {"name": "reason", "in": "query", "required": False,
                                                              "schema": {"type": "string"},
                                                              "description": "opens a sealed case (audited)"}])},
        "/cases/{case_id}/attachments/{attachment_id}": {"get": op(
            "Download an attachment of the case", "cases",
            {"200": {"description": "The file, as a download", "content": {"application/octet-stream": {
                "schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}}},
            errors=("404",), params=[CASE_ID, path_param("attachment_id", "the attachment's id")])},
        "/tasks": {"get": op("The caller's inbox, overdue and soonest due first", "tasks",
                             {"200": ok("One page of tasks (no form schemas)", ref("TaskPage"))}, params=[
                                 query("scope", "mine: held by the caller; available: free tasks the caller may take",
                                       {"type": "string", "enum": ["mine", "available"], "default": "mine"}), *PAGE])},
        "/tasks/stuck": {"get": op(
            "Open tasks nobody eligible may take, longest stuck first (admin)", "tasks",
            {"200": ok("One page", ref("StuckTaskPage"))}, errors=("403",), params=PAGE)},
        "/tasks/{task_id}/reassign": {"post": op(
            "Give a task to a user or a group, with a reason (admin; audited)", "tasks",
            {"200": ok("Reassigned", ref("Reassigned"))}, errors=("403", "404", "409", "415", "422"),
            params=[TASK_ID], body=_json(ref("ReassignInput")),
            description="400 when the user or group is unknown or the user is recused; 422 when nobody in the "
                        "group may take it, or the user is outside a confidential case's circle.")},
        "/tasks/{task_id}": {"get": op("One task with its case", "tasks", {"200": ok("The task", ref("TaskDetail"))},
                                       errors=("404",), params=[TASK_ID])},
        "/tasks/{task_id}/claim": {"post": op(
            "Claim the task", "tasks", {"200": ok("Claimed", ref("Task"))}, errors=("403", "404", "409"),
            params=[TASK_ID], description="409 if someone else holds it; 403 if not a candidate or recused.")},
        "/tasks/{task_id}/unclaim": {"post": op(
            "Hand the task back (holder or supervisor)", "tasks", {"200": ok("Free again", ref("Task"))},
            errors=("403", "404", "409"), params=[TASK_ID])},
        "/tasks/{task_id}/complete": {"post": op(
            "Complete a task the caller holds", "tasks", {"200": ok("The case moved on", ref("Completed"))},
            errors=("404", "409", "415", "422"), params=[TASK_ID], body=_json(ref("CompleteInput")),
            description="400 lists the invalid fields (the task stays open); 409 if not held by the caller "
                        "or already completed.")},
        "/public/types": {"get": op("Complaint types open to the public, with their intake forms", "public",
                                    {"200": ok("Types", {"type": "array", "items": ref("ProcessType")})},
                                    auth=False)},
        "/public/reports": {"post": op(
            "File a complaint or report (no account)", "public", {"201": ok("Filed; the receipt is shown once",
                                                                         ref("ReportFiled"))},
            errors=("404", "413", "415", "422"), auth=False,
            body={**_json(ref("ReportInput")), "multipart/form-data": {"schema": ref("ReportMultipart")}})},
        "/public/reports/{receipt}": {"get": op(
            "The case as its complainant may see it", "public", {"200": ok("The case", ref("PublicCase"))},
            errors=("404", "429"), auth=False, params=[RECEIPT])},
        "/public/reports/{receipt}/messages": {"post": op(
            "Write to the organisation about the case (answers open requests)", "public",
            {"201": ok("Sent", ref("MessagePosted"))}, errors=("404", "413", "415", "429"), auth=False,
            params=[RECEIPT],
            body={**_json(ref("MessageInput")), "multipart/form-data": {"schema": ref("MessageMultipart")}})},
        "/audit/verify": {"get": op("Check the audit log's hash chain (auditor)", "audit",
                                    {"200": ok("Result", ref("AuditVerify"))}, errors=("403",))},
        "/audit/events": {"get": op(
            "The audit log across cases and admin acts, newest first (auditor)", "audit",
            {"200": ok("One page of events", ref("AuditEventPage"))}, errors=("403",), params=[
                query("actor", "who acted (username, system, scheduler, complainant)", {"type": "string"}),
                query("kind", "the event kind, e.g. task_completed", {"type": "string"}),
                query("case", "a case id", {"type": "integer", "minimum": 1}),
                query("from", "ISO date or instant (inclusive)", {"type": "string"}),
                query("to", "ISO date (that day included) or instant (inclusive)", {"type": "string"}),
                *PAGE],
            description="Confidential identity values are masked; a sealed case's details are withheld. "
                        "Each page read is itself an audit event.")},
        "/openapi.json": {"get": op("This document", "meta",
                                    {"200": ok("OpenAPI 3.1", {"type": "object"})}, auth=False)},
    }


def document() -> dict:
    """The whole OpenAPI document (built per request: cheap, and no import-time state)."""
    from . import clocks, confidentiality, directory, insight, openapi_audit, task_operations, versions

    all_paths = paths()
    for module in (clocks, confidentiality, directory, insight, versions, openapi_audit, task_operations):
        for path, methods in module.openapi_paths().items():  # a path may gain a method in another module
            all_paths.setdefault(path, {}).update(methods)
    for path, methods in all_paths.items():
        for method, operation in methods.items():
            operation["operationId"] = method + path.replace("/", "_").replace("{", "").replace("}", "").replace(
                "-", "_").replace(".", "_")
    return {
        "openapi": "3.1.0",
        "info": {"title": "complaintflow API", "version": "1.0.0",
                 "description": "Complaints, tender complaints and internal reports: filing, cases, the "
                                "inbox and the complainant's receipt. Errors are always the Error object."},
        "servers": [{"url": bp.url_prefix}],
        "paths": all_paths,
        "components": {
            "schemas": {**SCHEMAS, **openapi_audit.SCHEMAS},
            "responses": {f"E{code}": {"description": text, "content": _json(ref("Error"))}
                          for code, text in ERRORS.items()},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "POST /api/v1/auth/token gives a token"}},
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """This API described as OpenAPI 3.1."""
    return reply(document())
