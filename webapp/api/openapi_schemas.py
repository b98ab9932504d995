"""The component schemas of the OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""
from __future__ import annotations

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
WHEN = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"}
MAYBE_WHEN = {"type": ["string", "null"], "format": "date-time"}
MAYBE_STR = {"type": ["string", "null"]}
ANY_OBJECT = {"type": "object", "additionalProperties": True}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required=None, **extra) -> dict:
    """An object schema; every property is required unless `required` lists fewer."""
    schema = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(required if required is not None else properties)
    return schema


def array(items: dict) -> dict:
    """An array schema."""
    return {"type": "array", "items": items}


def page_of(items: dict, **extra) -> dict:
    """One page of a list (API.md, issues #5–#9): items, the cursor of the next page, a total."""
    return obj({"items": array(items),
                "next": {"type": ["string", "null"], "description": "opaque cursor of the next page; null on the last"},
                "total": {"type": "integer", "description": "rows matching; at most 10,000 when an estimate"},
                "total_is_estimate": {"type": "boolean", "description": "true: `total` is an estimate (more than 10,000 "
                                                                     "match, or a large inbox counted from its index)"},
                **extra}, ["items", "next", "total"])


ATTACHMENT_IN = obj({
    "filename": STR,
    "content_type": {"type": "string", "default": "application/octet-stream"},
    "data_base64": {"type": "string", "contentEncoding": "base64"},
}, ["filename", "data_base64"])

TASK = obj({
    "id": INT, "case_id": INT, "case_number": MAYBE_STR, "type": STR, "type_name": STR, "name": STR,
    "element_id": STR, "lane": MAYBE_STR, "candidate_group": MAYBE_STR, "assignee": MAYBE_STR,
    "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
    "created_at": WHEN, "due_at": MAYBE_WHEN, "overdue": BOOL, "due_soon": BOOL,
    "completed_at": MAYBE_WHEN, "completed_by": MAYBE_STR,
    "form": {"type": ["object", "null"], "description": "the task's form as JSON Schema (never in lists)"},
    "provisional": {"type": "boolean", "description": "lists: the due time rests on a provisional calendar"},
    "paused": {"type": "boolean", "description": "lists: the case's clock is paused"},
}, ["id", "case_id", "case_number", "type", "name", "element_id", "lane", "assignee", "created_at",
    "due_at"])

CASE_STATUS = {"type": "string", "enum": ["open", "closed", "rejected", "transferred", "pending", "sealed"]}

CASE_SUMMARY = obj({
    "id": INT, "number": MAYBE_STR, "type": STR, "type_name": STR, "status": CASE_STATUS,
    "category": MAYBE_STR, "confidential": BOOL, "created_at": WHEN, "closed_at": MAYBE_WHEN,
    "next_due": MAYBE_WHEN, "overdue": BOOL,
})

CASE_DETAIL = {"allOf": [ref("CaseSummary"), obj({
    "version": {"type": "integer", "description": "the process definition version the case runs on"},
    "data": ANY_OBJECT,
    "deadlines": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
    "open_tasks": array(ref("Task")),
    "messages": array(obj({"id": INT, "at": WHEN, "direction": STR, "kind": STR, "body": STR,
                           "author": MAYBE_STR}, ["id", "at", "kind", "body"])),
    "attachments": array(obj({"id": INT, "filename": STR, "content_type": STR, "size": INT})),
    "failure": MAYBE_STR,
    "personal_masked": BOOL,
    "deadline_labels": {"type": "object", "description": "deadline name -> {\"zh_CN\", \"en\"} labels from the "
                        "type's diagram (deadlineLabel_zh / deadlineLabel_en)",
                        "additionalProperties": obj({"zh_CN": STR, "en": STR}, [])},
    "may_reveal_identity": {"type": "boolean", "description": "a confidential case whose type's identityRevealers "
                            "include one of the caller's groups"},
}, ["version", "data", "deadlines", "open_tasks"])]}

SCHEMAS = {
    "Error": obj({
        "error": {"type": "string", "description": "a stable machine word, e.g. invalid_input, conflict"},
        "message": {"type": "string", "description": "a human sentence"},
        "details": {"description": "for 400: each bad field mapped to its reason (a deploy: a list of problems)"},
    }),
    "TokenRequest": obj({"username": STR, "password": {"type": "string", "format": "password"},
                         "otp": {"type": "string", "pattern": "^[0-9]{6}$",
                                 "description": "the authenticator app's current code (users with a second factor)"}},
                        ["username", "password"]),
    "Token": obj({"token": STR, "token_type": {"const": "Bearer"}, "username": STR}, ["token"]),
    "Actor": obj({"username": STR, "display_name": STR, "roles": array(STR), "groups": array(STR),
                  "timezone": STR, "locale": STR}, ["username", "roles", "groups"]),
    "ProcessType": obj({"key": STR, "name": STR, "version": INT, "process_id": STR, "public": BOOL,
                        "anonymous_allowed": BOOL, "intake_form": ANY_OBJECT},
                       ["key", "name", "version", "process_id", "public"]),
    "Deployment": obj({
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,40}$"}, "name": STR,
        "public": {"type": "boolean", "default": False},
        "files": array({"type": "string", "contentMediaType": "application/octet-stream",
                        "description": ".bpmn, .dmn or .json (form) file"}),
        "comment": {"type": "string", "maxLength": 2000, "description": "the version's comment"},
        "confirm_replace": {"type": "string", "enum": ["0", "1"],
                            "description": "1: a different process may replace the type (else 409 with what changes)"},
        "lane_groups": {"type": "string", "contentMediaType": "application/json",
                        "description": 'JSON object lane name -> group key, e.g. {"Finance Team": "finance"}; '
                                       "overrides the lane's `group` property"},
        "main_process": {"type": "string", "description": "the process id that runs, when the files hold several"},
    }, ["key", "name", "files"]),
    "Deployed": obj({"key": STR, "version": INT}),
    "Validation": obj({"ok": {"type": "boolean"}, "problems": array(obj(
        {"file": STR, "element": MAYBE_STR, "name": MAYBE_STR, "line": {"type": ["integer", "null"]}, "message": STR}))},
        ["ok", "problems"]),
    "AttachmentIn": ATTACHMENT_IN,
    "CaseInput": obj({"type": STR, "data": ANY_OBJECT, "anonymous": {"type": "boolean", "default": False},
                      "attachments": array(ref("AttachmentIn"))}, ["type", "data"]),
    "CaseFiled": obj({"id": INT, "number": MAYBE_STR, "status": CASE_STATUS,
                      "receipt": {"type": ["string", "null"], "description": "the complainant's code, shown once"}},
                     ["id", "number", "status"]),
    "CaseSummary": CASE_SUMMARY,
    "CasePage": page_of(ref("CaseSummary"), page=INT, per_page=INT),
    "TaskPage": page_of(ref("Task")),
    "StuckTask": obj({"id": INT, "case_id": INT, "case_number": MAYBE_STR, "type": STR, "type_name": STR,
                      "name": STR, "element_id": STR, "lane": MAYBE_STR, "candidate_group": MAYBE_STR,
                      "candidates": array(STR), "assignee": MAYBE_STR, "confidential": {"type": "boolean"},
                      "created_at": STR, "due_at": MAYBE_STR, "stuck_since": STR}),
    "StuckTaskPage": page_of(ref("StuckTask")),
    "ReassignInput": obj({"to_user": STR, "to_group": STR, "reason": {"type": "string", "minLength": 2,
                                                                       "maxLength": 250}}, ["reason"],
                         description="exactly one of to_user and to_group"),
    "Reassigned": obj({"id": INT, "case_id": INT, "case_number": MAYBE_STR, "name": STR,
                       "candidate_group": MAYBE_STR, "candidates": array(STR), "assignee": MAYBE_STR}),
    "NotificationPage": page_of(obj({
        "id": INT, "kind": {"type": "string", "enum": ["reminder", "escalation", "notice"]}, "case_id": {"type": ["integer", "null"]},
        "case_number": MAYBE_STR, "to_user": MAYBE_STR, "to_group": MAYBE_STR, "subject": STR, "body": STR,
        "created_at": WHEN, "read_at": MAYBE_WHEN})),
    "AuditEventPage": page_of(obj({
        "seq": INT, "at": WHEN, "actor": STR, "kind": STR, "case_id": {"type": ["integer", "null"]},
        "case_number": MAYBE_STR, "confidential": BOOL, "element_id": MAYBE_STR, "detail": ANY_OBJECT})),
    "CaseDetail": CASE_DETAIL,
    "History": page_of(obj({
        "seq": INT, "at": WHEN, "actor": STR, "kind": STR, "element_id": MAYBE_STR, "detail": ANY_OBJECT}),
        number=MAYBE_STR),
    "CasePath": obj({"completed": array(STR), "active": array(STR), "flows": array(STR),
                     "events": {"type": "object", "description": "element id -> [{at, actor, kind, detail}]",
                                "additionalProperties": array(ANY_OBJECT)},
                     "number": MAYBE_STR, "type": STR, "version": {"type": "integer"}, "status": STR}),
    "Task": TASK,
    "TaskDetail": {"allOf": [ref("Task"), obj({"case": ref("CaseDetail"), "may_claim": BOOL})]},
    "CompleteInput": obj({"data": ANY_OBJECT}, []),
    "Completed": obj({"case_status": CASE_STATUS, "case_number": MAYBE_STR, "next_tasks": array(ref("Task"))},
                     ["case_status", "next_tasks"]),
    "ReportInput": obj({"type": STR, "data": ANY_OBJECT, "anonymous": {"type": "boolean", "default": False},
                        "attachments": array(ref("AttachmentIn"))}, ["type", "data"]),
    "ReportMultipart": obj({
        "payload": {"type": "string", "contentMediaType": "application/json",
                    "description": "the ReportInput object as JSON text"},
        "attachments": array({"type": "string", "contentMediaType": "application/octet-stream"}),
    }, ["payload"]),
    "ReportFiled": obj({"number": MAYBE_STR, "receipt": STR, "status": CASE_STATUS}, ["number", "receipt"]),
    "PublicCase": obj({
        "number": MAYBE_STR, "type": STR, "type_name": STR, "status": CASE_STATUS, "created_at": WHEN,
        "messages": array(obj({"id": INT, "at": WHEN, "kind": STR,
                               "from": {"type": "string", "enum": ["complainant", "organisation"]},
                               "body": STR}, ["at", "kind", "from", "body"])),
        "requests": array(obj({"id": INT, "at": WHEN, "body": STR, "answered": BOOL})),
    }, ["number", "status", "messages", "requests"]),
    "MessageInput": obj({"body": {"type": "string", "minLength": 1, "maxLength": 10000},
                         "attachments": array(ref("AttachmentIn"))}, ["body"]),
    "MessageMultipart": obj({"body": STR, "attachments": array(
        {"type": "string", "contentMediaType": "application/octet-stream"})}, ["body"]),
    "MessagePosted": obj({"id": INT, "at": WHEN}),
    "AuditVerify": obj({"ok": BOOL, "events": INT, "first_bad_seq": {"type": ["integer", "null"]},
                        "problem": {"type": ["string", "null"], "enum": ["edited", "deleted", "inserted", None],
                                    "description": "what happened to the first bad row"},
                        "message": MAYBE_STR}),
}
