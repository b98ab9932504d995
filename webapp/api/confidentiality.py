"""JSON API endpoints: conflicts of interest, self-recusal, identity reveal, sealed cases,
exports and retention (see openapi_paths for their description)."""
from __future__ import annotations

from datetime import datetime

from flask import request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .openapi import path_param, query
from .openapi_schemas import ANY_OBJECT, BOOL, INT, MAYBE_STR, MAYBE_WHEN, STR, array, obj
from .parsing import Fields, json_body, moment_of
from .respond import NO_STORE, reply

CASE = "/cases/<id:case_id>"


def parse_moment(fields: Fields, name: str, end_of_day: bool = False) -> datetime | None:
    """An ISO date or datetime of the JSON body (see parsing.moment_of)."""
    text = fields.string(name, required=False, max_length=40)
    return moment_of(text, name, fields.details, end_of_day) if text else None


@bp.get("/conflicts")
@staff_required()
def list_conflicts(actor):
    """The caller's declared conflicts (admins and auditors: anyone's, `?username=`)."""
    username = request.args.get("username") or None
    if username and len(username) > 80:
        raise bad_input({"username": "at most 80 characters"})
    return reply(engine().list_conflicts(actor, username))


@bp.post("/conflicts")
@staff_required()
def declare_conflict(actor):
    """Declare a conflict (`username` other than the caller's: admins only)."""
    fields = Fields(json_body())
    party = fields.string("party", max_length=200)
    relation = fields.string("relation", max_length=200)
    kind = fields.string("party_kind", required=False, max_length=20) or "person"
    username = fields.string("username", required=False, max_length=80)
    valid_from = parse_moment(fields, "valid_from")
    valid_to = parse_moment(fields, "valid_to", end_of_day=True)
    fields.check()
    declared = engine().declare_conflict(actor, party, relation, kind, username, valid_from, valid_to)
    return reply(declared, 201)


@bp.post("/conflicts/<id:conflict_id>/end")
@staff_required()
def end_conflict(actor, conflict_id: int):
    """The conflict no longer holds from now on (recusals already made stay)."""
    return reply(engine().end_conflict(actor, conflict_id))


@bp.post("/tasks/<id:task_id>/recuse")
@staff_required()
def recuse_from_task(actor, task_id: int):
    """`{"reason"}`: step aside from the task's case; the task returns to its group (or goes up)."""
    fields = Fields(json_body())
    reason = fields.string("reason", max_length=250)
    fields.check()
    return reply(engine().recuse_from_task(actor, task_id, reason))


def _reason(required: bool = True) -> str | None:
    fields = Fields(json_body())
    reason = fields.string("reason", required=required, max_length=500)
    fields.check()
    return reason


@bp.post(f"{CASE}/reveal-identity")
@staff_required()
def reveal_identity(actor, case_id: int):
    """`{"reason"}`: the committee learns the reporter's identity; an audit event."""
    return reply(engine().reveal_identity(actor, case_id, _reason()), 200, NO_STORE)


@bp.post(f"{CASE}/open-sealed")
@staff_required()
def open_sealed(actor, case_id: int):
    """`{"reason"}`: an auditor or the committee opens a sealed report; an audit event."""
    return reply(engine().open_sealed_case(actor, case_id, _reason()), 200, NO_STORE)


@bp.post(f"{CASE}/export")
@staff_required()
def export_case(actor, case_id: int):
    """`{"reason"}` (required for confidential and sealed cases): the case and its history."""
    return reply(engine().export_case(actor, case_id, _reason(required=False)), 200, NO_STORE)


@bp.get("/retention")
@staff_required("admin", "auditor")
def retention_settings(actor):
    """Each type's retention period in days (null: kept until one is set)."""
    return reply(engine().retention_settings(actor))


@bp.put("/retention/<key>")
@staff_required("admin")
def set_retention(actor, key: str):
    """`{"retention_days": N or null}` for the type `key`."""
    body = json_body()
    if "retention_days" not in body:
        raise bad_input({"retention_days": "this field is required"})
    return reply(engine().set_retention(actor, key[:80], body["retention_days"]))


CONFLICT = obj({"id": INT, "username": STR, "party": STR, "party_kind": STR, "relation": STR,
                "valid_from": MAYBE_WHEN, "valid_to": MAYBE_WHEN, "recorded_by": STR, "active": BOOL},
               ["id", "username", "party", "party_kind", "relation", "active"])
CONFLICT_IN = obj({"party": STR, "relation": STR,
                   "party_kind": {"type": "string", "enum": ["person", "department", "organisation"]},
                   "username": {"type": "string", "description": "admins only: record for another staff member"},
                   "valid_from": {"type": "string", "description": "ISO date or datetime"},
                   "valid_to": {"type": "string", "description": "ISO date or datetime"}}, ["party", "relation"])
REASON = obj({"reason": {"type": "string", "minLength": 5, "maxLength": 500}})
OPTIONAL_REASON = obj({"reason": {"type": "string", "maxLength": 500}}, [])


def _op(summary: str, answer: dict, errors=(), params=(), body: dict | None = None, code: str = "200") -> dict:
    from .openapi import _json, ok, op

    return op(summary, "confidentiality", {code: ok(summary, answer)}, errors=errors, params=params,
              body=_json(body) if body else None)


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    case_id = path_param("case_id", "the case's id")
    return {
        "/conflicts": {
            "get": _op("Declared conflicts of interest (own; admins and auditors: anyone's)", array(CONFLICT),
                       errors=("403",), params=[query("username", "whose conflicts", {"type": "string"})]),
            "post": _op("Declare a conflict of interest; recuses its holder from filed cases naming the party",
                        CONFLICT,
                        errors=("403",), body=CONFLICT_IN, code="201"),
        },
        "/conflicts/{conflict_id}/end": {"post": _op(
            "End a conflict from now on", CONFLICT, errors=("403", "404"),
            params=[path_param("conflict_id", "the conflict's id")])},
        "/tasks/{task_id}/recuse": {"post": _op(
            "Step aside (回避) from a held task's case with a reason", obj({
                "task": INT, "case_number": MAYBE_STR, "recused": BOOL, "candidate_group": MAYBE_STR,
                "assignee": MAYBE_STR}), errors=("403", "404", "409"),
            params=[path_param("task_id", "the task's id")], body=obj({"reason": STR}))},
        "/cases/{case_id}/reveal-identity": {"post": _op(
            "Reveal a reporter's identity (committee, with a reason; audited)", obj({
                "case_id": INT, "number": MAYBE_STR, "anonymous": BOOL, "erased": BOOL, "identity": ANY_OBJECT}),
            errors=("403", "404"), params=[case_id], body=REASON)},
        "/cases/{case_id}/open-sealed": {"post": _op(
            "Open a sealed report (auditor or committee, with a reason; audited)", obj({
                "case": ANY_OBJECT, "events": array(ANY_OBJECT), "opened_by": STR, "reason": STR}),
            errors=("403", "404"), params=[case_id], body=REASON)},
        "/cases/{case_id}/export": {"post": _op(
            "Export a case with its history (sealed cases: identity omitted, reason required)", obj({
                "case": ANY_OBJECT, "events": array(ANY_OBJECT), "identity_omitted": BOOL, "exported_by": STR,
                "exported_at": STR}), errors=("403", "404"), params=[case_id], body=OPTIONAL_REASON)},
        "/retention": {"get": _op("Retention period of each type's personal data (admin, auditor)", array(obj({
            "type": STR, "name": STR, "retention_days": {"type": ["integer", "null"]}})), errors=("403",))},
        "/retention/{key}": {"put": _op(
            "Set a type's retention period in days after closing (admin)", obj({
                "type": STR, "retention_days": {"type": ["integer", "null"]}}), errors=("403", "404"),
            params=[path_param("key", "the type key", {"type": "string"})],
            body=obj({"retention_days": {"type": ["integer", "null"], "minimum": 1}}))},
    }
