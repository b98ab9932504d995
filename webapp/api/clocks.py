"""JSON API endpoints: case clocks (pause, resume, extensions), notifications, the holiday table
(see openapi_paths for their description). Each view parses, makes one engine call, replies."""
from __future__ import annotations

from datetime import date

from flask import request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import Fields, json_body, query_flag, query_page
from .respond import reply

CLOCK = "/cases/<id:case_id>/clock"


@bp.get(CLOCK)
@staff_required()
def get_clock(actor, case_id: int):
    """Deadlines, provisional marks, pauses and extension requests of a case."""
    return reply(engine().case_clock(actor, case_id))


@bp.post(f"{CLOCK}/pause")
@staff_required()
def pause_clock(actor, case_id: int):
    """`{"kind": "correction"|"expert_review"|"other", "reason": text}`."""
    fields = Fields(json_body())
    kind, reason = fields.string("kind", max_length=30), fields.string("reason", max_length=2000)
    fields.check()
    return reply(engine().pause_clock(actor, case_id, kind, reason))


@bp.post(f"{CLOCK}/resume")
@staff_required()
def resume_clock(actor, case_id: int):
    """Restart the clock; pending deadlines move by the paused time."""
    return reply(engine().resume_clock(actor, case_id))


@bp.post(f"{CLOCK}/extensions")
@staff_required()
def request_extension(actor, case_id: int):
    """`{"working_days": n, "reason": text}`; the supervisor decides."""
    body = json_body()
    fields = Fields(body)
    reason = fields.string("reason", max_length=2000)
    days = body.get("working_days")
    if not isinstance(days, int) or isinstance(days, bool):
        fields.details["working_days"] = "must be a whole number of working days"
    fields.check()
    return reply(engine().request_extension(actor, case_id, days, reason))


@bp.post("/extensions/<id:request_id>/decision")
@staff_required()
def decide_extension(actor, request_id: int):
    """`{"approved": bool, "comment": text}` (the supervisor)."""
    fields = Fields(json_body())
    approved = fields.boolean("approved", required=True)
    comment = fields.string("comment", required=False, max_length=2000) or ""
    fields.check()
    return reply(engine().decide_extension(actor, request_id, approved, comment))


@bp.get("/notifications")
@staff_required()
def list_notifications(actor):
    """Reminders, escalations and notices for the caller and their groups, newest first;
    `unread=1` filters; paged by `limit` and `cursor`."""
    details: dict[str, str] = {}
    unread = query_flag("unread", details) if "unread" in request.args else False
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().list_notifications(actor, unread_only=unread, **page))


@bp.post("/notifications/<id:notification_id>/read")
@staff_required()
def read_notification(actor, notification_id: int):
    """Mark a notice read."""
    return reply(engine().mark_notification_read(actor, notification_id))


@bp.get("/calendar/<int(min=2000, max=2100):year>")
@staff_required()
def calendar_year(actor, year: int):
    """A year's holidays and working weekends and the years still to import (admin)."""
    return reply(engine().calendar_year(actor, year))


@bp.post("/calendar/<int(min=2000, max=2100):year>/import")
@staff_required()
def import_calendar_year(actor, year: int):
    """`{"schedule": "YYYY-MM-DD[..YYYY-MM-DD] holiday|working [name]" lines}` or `{}` for the
    chinese_calendar data; provisional deadlines of open cases are recounted (admin)."""
    fields = Fields(json_body())
    schedule = fields.string("schedule", required=False, max_length=20000)
    fields.check()
    return reply(engine().calendar_import_year(actor, year, schedule))


@bp.put("/calendar/days/<day>")
@staff_required()
def set_calendar_day(actor, day: str):
    """`{"working": bool, "name": text}`: an admin's holiday or adjusted working day."""
    fields = Fields(json_body())
    working = fields.boolean("working")
    name = fields.string("name", required=False, max_length=100) or ""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        fields.details["day"] = "YYYY-MM-DD"
    fields.check()
    return reply(engine().calendar_set_day(actor, parsed, working, name))


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    from .openapi import PAGE, _json, ok, op, path_param, ref

    obj = {"type": "object"}
    case = path_param("case_id", "The case")
    text = {"type": "string"}
    return {
        "/cases/{case_id}/clock": {"get": op("A case's clock: deadlines, provisional marks, pauses, extensions", "clocks",
                                             {"200": ok("The clock", obj)}, errors=("404",), params=[case])},
        "/cases/{case_id}/clock/pause": {"post": op(
            "Pause the case clock with a reason", "clocks", {"200": ok("The clock", obj)}, errors=("403", "404", "409"),
            params=[case], body=_json({"type": "object", "required": ["kind", "reason"], "properties": {
                "kind": {"type": "string", "enum": ["correction", "expert_review", "other"]}, "reason": text}}))},
        "/cases/{case_id}/clock/resume": {"post": op(
            "Resume the case clock; pending deadlines move by the paused time", "clocks",
            {"200": ok("The clock", obj)}, errors=("403", "404", "409"), params=[case])},
        "/cases/{case_id}/clock/extensions": {"post": op(
            "Ask for an extension (decided by the supervisor, capped)", "clocks", {"200": ok("The clock", obj)},
            errors=("403", "404", "409"), params=[case],
            body=_json({"type": "object", "required": ["working_days", "reason"], "properties": {
                "working_days": {"type": "integer", "minimum": 1}, "reason": text}}))},
        "/extensions/{request_id}/decision": {"post": op(
            "Approve or refuse an extension request (supervisor)", "clocks", {"200": ok("The clock", obj)},
            errors=("403", "404", "409"), params=[path_param("request_id", "The extension request")],
            body=_json({"type": "object", "required": ["approved"], "properties": {
                "approved": {"type": "boolean"}, "comment": text}}))},
        "/notifications": {"get": op("My notifications (reminders 催办, escalations 督办, notices)", "notifications",
                                     {"200": ok("One page, newest first", ref("NotificationPage"))},
                                     params=[{"name": "unread", "in": "query", "required": False,
                                              "description": "1: only unread", "schema": {"type": "string", "enum": ["0", "1"]}},
                                             *PAGE])},
        "/notifications/{notification_id}/read": {"post": op(
            "Mark a notification read", "notifications", {"200": ok("The notification", obj)}, errors=("404",),
            params=[path_param("notification_id", "The notification")])},
        "/calendar/{year}": {"get": op(
            "A year's holidays and working weekends, years needing import (admin)", "calendar",
            {"200": ok("The year", obj)}, errors=("403",),
            params=[path_param("year", "The year", {"type": "integer", "minimum": 2000, "maximum": 2100})])},
        "/calendar/{year}/import": {"post": op(
            "Import a year's official schedule and recount provisional deadlines (admin)", "calendar",
            {"200": ok("Days imported and cases recounted", obj)}, errors=("403",),
            params=[path_param("year", "The year", {"type": "integer", "minimum": 2000, "maximum": 2100})],
            body=_json({"type": "object", "properties": {"schedule": text}}))},
        "/calendar/days/{day}": {"put": op(
            "Set one day as a holiday or a working day (admin)", "calendar", {"200": ok("Cases recounted", obj)},
            errors=("403",), params=[path_param("day", "YYYY-MM-DD", {"type": "string", "format": "date"})],
            body=_json({"type": "object", "properties": {"working": {"type": "boolean"}, "name": text}}))},
    }
