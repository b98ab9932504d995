"""JSON API for handing work on (issue 11): 转办 transfer, 委派 delegate and hand back, 退回 send
back, 抄送 copy in. Each view parses the body and makes one engine call."""
from __future__ import annotations

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .openapi import PAGE, path_param, query
from .openapi_schemas import ANY_OBJECT, BOOL, INT, MAYBE_STR, STR, array, obj, ref
from .parsing import Fields, json_body, query_int, query_page
from .respond import NO_STORE, reply

TASK = "/tasks/<id:task_id>"


def _to_and(text_field: str, required: bool = True) -> tuple[str | None, str | None]:
    fields = Fields(json_body())
    to = fields.string("to", max_length=200)
    text = fields.string(text_field, required=required, max_length=2000)
    fields.check()
    return to, text


@bp.post(f"{TASK}/transfer")
@staff_required()
def transfer_task(actor, task_id: int):
    """`{"to", "reason"}` 转办: the task becomes `to`'s (the holder, or a supervisor)."""
    to, reason = _to_and("reason")
    return reply(engine().transfer_task(actor, task_id, to, reason))


@bp.post(f"{TASK}/delegate")
@staff_required()
def delegate_task(actor, task_id: int):
    """`{"to", "reason"}` 委派: `to` works the task and hands it back to the holder."""
    to, reason = _to_and("reason")
    return reply(engine().delegate_task(actor, task_id, to, reason))


@bp.post(f"{TASK}/hand-back")
@staff_required()
def hand_back_task(actor, task_id: int):
    """`{"note"}`: the delegate returns the worked task to the holder who delegated it."""
    fields = Fields(json_body())
    note = fields.string("note", max_length=2000)
    fields.check()
    return reply(engine().hand_back_task(actor, task_id, note))


@bp.post(f"{TASK}/send-back")
@staff_required()
def send_back_task(actor, task_id: int):
    """`{"to": element id, "reason"}` 退回 to an earlier step the diagram marks returnable."""
    to, reason = _to_and("reason")
    return reply(engine().send_back_task(actor, task_id, to, reason))


@bp.post("/cases/<id:case_id>/cc")
@staff_required()
def copy_case(actor, case_id: int):
    """`{"to": [usernames], "note"}` 抄送: read-only, notified."""
    body = json_body()
    fields = Fields(body)
    note = fields.string("note", required=False, max_length=2000)
    to = _usernames(body, fields, 20)
    return reply(engine().copy_case(actor, case_id, to, note or ""), 201)


def _usernames(body: dict, fields: Fields, limit: int) -> list:
    to = body.get("to")
    if not isinstance(to, list) or not to or not all(isinstance(n, str) for n in to):
        fields.details["to"] = "a list of usernames"
    elif len(to) > limit:
        fields.details["to"] = f"at most {limit} usernames"
    fields.check()
    return to


@bp.post(f"{TASK}/signers")
@staff_required()
def add_signers(actor, task_id: int):
    """`{"to": [usernames], "note"}` 加签: each gets a sign-off; the task completes when all signed."""
    body = json_body()
    fields = Fields(body)
    note = fields.string("note", required=False, max_length=2000)
    to = _usernames(body, fields, 10)
    return reply(engine().add_signers(actor, task_id, to, note or ""), 201)


@bp.delete(f"{TASK}/signers/<username>")
@staff_required()
def remove_signer(actor, task_id: int, username: str):
    """减签: withdraw a pending sign-off."""
    if len(username) > 80:
        raise bad_input({"username": "at most 80 characters"})
    return reply(engine().remove_signer(actor, task_id, username))


@bp.post(f"{TASK}/sign")
@staff_required()
def sign_off(actor, task_id: int):
    """`{"agree": bool, "opinion"}`: the colleague asked signs their sign-off task."""
    fields = Fields(json_body())
    agree = fields.boolean("agree", required=True)
    opinion = fields.string("opinion", max_length=2000)
    fields.check()
    return reply(engine().sign_off(actor, task_id, agree, opinion))


@bp.get("/cases/<id:case_id>/comments")
@staff_required()
def list_comments(actor, case_id: int):
    """The case's comments, oldest first, paged (`task_id`: only that task's)."""
    details: dict[str, str] = {}
    page = query_page(details)
    task_id = query_int("task_id", 0, 1, None, details) or None
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().case_comments(actor, case_id, task_id=task_id, **page))


@bp.post("/cases/<id:case_id>/comments")
@staff_required()
def add_comment(actor, case_id: int):
    """`{"body", "visibility": "internal" or "complainant", "task_id"?}`; @mentions are notified."""
    body = json_body()
    fields = Fields(body)
    text = fields.string("body", max_length=5000)
    visibility = fields.string("visibility", required=False, max_length=20) or "internal"
    task_id = body.get("task_id")
    if task_id is not None and (not isinstance(task_id, int) or isinstance(task_id, bool) or task_id < 1):
        fields.details["task_id"] = "a task id"
    fields.check()
    return reply(engine().add_comment(actor, case_id, text, visibility, task_id), 201)


@bp.get("/workload")
@staff_required()
def workload(actor):
    """Open and overdue tasks per person and per group (supervisors, admins); `assignee`: their
    most urgent open tasks too (reassign them with POST /tasks/<id>/transfer)."""
    from flask import request

    person = request.args.get("assignee") or None
    if person and len(person) > 80:
        raise bad_input({"assignee": "at most 80 characters"})
    return reply(engine().workload(actor, person))


@bp.get("/deputies/<username>")
@staff_required()
def get_deputy(actor, username: str):
    """The user's deputy and period (the user, or an admin)."""
    return reply(engine().get_deputy(actor, username[:80]))


@bp.put("/deputies/<username>")
@staff_required()
def set_deputy(actor, username: str):
    """`{"deputy", "from", "until"}` (ISO dates or datetimes; `deputy` null clears it)."""
    from .confidentiality import parse_moment

    body = json_body()
    fields = Fields(body)
    deputy = fields.string("deputy", required=False, max_length=80) if body.get("deputy") is not None else None
    starts = parse_moment(fields, "from")
    ends = parse_moment(fields, "until", end_of_day=True)
    fields.check()
    return reply(engine().set_deputy(actor, username[:80], deputy, starts, ends))


@bp.get("/filters")
@staff_required()
def list_filters(actor):
    """The caller's saved inbox filters, each with its count of open tasks."""
    return reply(engine().saved_filters(actor))


@bp.post("/filters")
@staff_required()
def save_filter(actor):
    """`{"name", "criteria": {"type", "category", "status", "due", "assignee", "text"}}`."""
    body = json_body()
    fields = Fields(body)
    name = fields.string("name", max_length=100)
    criteria = fields.object("criteria", required=True)
    fields.check()
    return reply(engine().save_filter(actor, name, criteria), 201)


@bp.delete("/filters/<id:filter_id>")
@staff_required()
def delete_filter(actor, filter_id: int):
    engine().delete_filter(actor, filter_id)
    return reply({"deleted": filter_id})


@bp.get("/filters/<id:filter_id>/tasks")
@staff_required()
def filter_tasks(actor, filter_id: int):
    """One page of the open tasks the saved filter matches."""
    details: dict[str, str] = {}
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().filter_tasks(actor, filter_id, **page))


@bp.post(f"{TASK}/follow-up")
@staff_required()
def set_follow_up(actor, task_id: int):
    """`{"at": ISO date or datetime, or null}`: the holder's follow-up date."""
    from .confidentiality import parse_moment

    fields = Fields(json_body())
    at = parse_moment(fields, "at")
    fields.check()
    return reply(engine().set_follow_up(actor, task_id, at))


@bp.get("/cases/<id:case_id>/handling-form")
@staff_required()
def handling_form(actor, case_id: int):
    """The case's handling form: facts and each step's handler, result and time (audited);
    `?format=pdf` answers the printable PDF."""
    from flask import current_app, request

    form = engine().handling_form(actor, case_id)
    if request.args.get("format") == "pdf":
        from ..i18n import localtime
        from ..print_pdf import handling_form_pdf
        from ..task_operations import _facts

        pdf = handling_form_pdf(form, _facts(form), lambda v: localtime(v) if v else "")
        return current_app.response_class(pdf, mimetype="application/pdf", headers={"Cache-Control": "no-store"})
    form.pop("intake_form", None)
    return reply(form, 200, NO_STORE)


HANDED = {"allOf": [ref("Task"), obj({"delegated_by": MAYBE_STR}, [])]}
SIGNERS = obj({"task": INT, "signers": array(obj({"id": INT, "username": MAYBE_STR, "state": STR,
                                                  "signed_at": MAYBE_STR}))})
COMMENT = obj({"id": INT, "case_id": INT, "task_id": {"type": ["integer", "null"]}, "author": STR, "body": STR,
               "visibility": STR, "mentions": array(STR), "created_at": STR})
DEPUTY = obj({"username": STR, "deputy": MAYBE_STR, "from": MAYBE_STR, "until": MAYBE_STR, "active": BOOL})
CRITERIA = obj({"type": STR, "category": STR, "status": STR,
                 "due": {"type": "string", "enum": ["overdue", "due_soon", "follow_up"]},
                 "assignee": {"type": "string", "description": "me, unassigned or a username"}, "text": STR}, [])
FILTER = obj({"id": INT, "name": STR, "criteria": CRITERIA, "count": INT, "count_is_estimate": BOOL}, ["id", "name"])
TO_REASON = obj({"to": {"type": "string", "description": "a username in the case's circle"},
                 "reason": {"type": "string", "minLength": 2, "maxLength": 500}})


def _op(summary: str, answer: dict, body: dict, params: list, code: str = "200", errors=("403", "404", "409")) -> dict:
    from .openapi import _json, ok, op

    return op(summary, "task operations", {code: ok(summary, answer)}, errors=errors, params=params,
              body=_json(body) if body else None)


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    task_id = [path_param("task_id", "the task's id")]
    who = path_param("username", "the absent user", {"type": "string", "maxLength": 80})
    return {
        "/tasks/{task_id}/transfer": {"post": _op(
            "转办 Transfer a task to a colleague in the case's circle (holder or supervisor; the recused "
            "are refused with 403)", HANDED, TO_REASON, task_id)},
        "/tasks/{task_id}/delegate": {"post": _op(
            "委派 Delegate a held task; it comes back to the holder to complete", HANDED, TO_REASON, task_id)},
        "/tasks/{task_id}/hand-back": {"post": _op(
            "Hand a delegated task back to its holder", HANDED,
            obj({"note": {"type": "string", "maxLength": 2000}}), task_id)},
        "/tasks/{task_id}/send-back": {"post": _op(
            "退回 Send the case back to an earlier step marked returnable in the diagram", obj({
                "case_number": MAYBE_STR, "case_status": STR, "sent_back_to": STR,
                "next_tasks": array(obj({"id": INT, "element_id": STR, "name": STR, "assignee": MAYBE_STR,
                                         "candidate_group": MAYBE_STR}, ["id", "element_id"]))}),
            obj({"to": {"type": "string", "description": "the element id of the earlier step"},
                 "reason": {"type": "string", "minLength": 2, "maxLength": 500}}), task_id,
            errors=("403", "404", "409", "422"))},
        "/tasks/{task_id}/signers": {"post": _op(
            "加签 Ask colleagues in the case's circle to sign off before the task completes", SIGNERS,
            obj({"to": array(STR), "note": {"type": "string", "maxLength": 2000}}, ["to"]), task_id, code="201")},
        "/tasks/{task_id}/signers/{username}": {"delete": _op(
            "减签 Withdraw a pending sign-off", SIGNERS, None,
            [*task_id, path_param("username", "the signer's username", {"type": "string", "maxLength": 80})])},
        "/tasks/{task_id}/sign": {"post": _op(
            "Sign off a sign-off task (the colleague asked), agreeing or not", {"allOf": [SIGNERS, obj({
                "sign_off": INT, "agree": BOOL})]},
            obj({"agree": BOOL, "opinion": {"type": "string", "maxLength": 2000}}, ["agree", "opinion"]), task_id)},
        "/cases/{case_id}/comments": {
            "get": _op("A case's comments, oldest first (paged)", {"type": "object", "properties": {
                "items": array(COMMENT), "next": MAYBE_STR, "total": INT}}, None,
                [path_param("case_id", "the case's id"), *PAGE,
                 query("task_id", "only this task's comments", {"type": "integer", "minimum": 1})], errors=("404",)),
            "post": _op("Comment on a case or one of its tasks; @username mentions in the case's circle are "
                        "notified; `complainant` comments also show on the tracking page (public types only)",
                        COMMENT, obj({"body": {"type": "string", "maxLength": 5000},
                                      "visibility": {"type": "string", "enum": ["internal", "complainant"]},
                                      "task_id": INT}, ["body"]),
                        [path_param("case_id", "the case's id")], code="201", errors=("403", "404"))},
        "/workload": {"get": _op(
            "Open and overdue tasks per person and per group, over the cases the reader may see "
            "(supervisors, admins); reassign with POST /tasks/{task_id}/transfer", obj({
                "as_of": STR, "people": array(obj({"username": STR, "display_name": STR, "open": INT,
                                                   "overdue": INT})),
                "groups": array(obj({"group": STR, "open": INT, "unclaimed": INT, "overdue": INT})),
                "tasks_of": STR, "tasks": array(ANY_OBJECT)}, ["as_of", "people", "groups"]), None,
            [query("assignee", "also list this person's open tasks (up to 50, most urgent first)",
                   {"type": "string", "maxLength": 80})], errors=("403",))},
        "/deputies/{username}": {
            "get": _op("A user's deputy (代理人) and period (the user, admins)", DEPUTY, None, [who],
                       errors=("403", "404")),
            "put": _op("Name a deputy for a period (null clears): tasks held by or offered by name to the "
                       "absent user reach the deputy (audited) and return after", DEPUTY, obj({
                           "deputy": MAYBE_STR, "from": {"type": "string", "description": "ISO date or datetime"},
                           "until": {"type": "string", "description": "ISO date or datetime"}}, ["deputy"]),
                       [who], errors=("403", "404"))},
        "/filters": {
            "get": _op("The caller's saved inbox filters with their counts", obj({
                "items": array(FILTER), "next": MAYBE_STR, "total": INT}), None, [], errors=()),
            "post": _op("Save an inbox filter", FILTER, obj({"name": STR, "criteria": CRITERIA}, ["name", "criteria"]),
                        [], code="201", errors=())},
        "/filters/{filter_id}": {"delete": _op("Delete a saved filter", obj({"deleted": INT}), None,
                                               [path_param("filter_id", "the filter's id")], errors=("404",))},
        "/filters/{filter_id}/tasks": {"get": _op(
            "The open tasks a saved filter matches (paged)", obj({"items": array(ANY_OBJECT), "next": MAYBE_STR,
                                                                  "total": INT, "filter": FILTER}), None,
            [path_param("filter_id", "the filter's id"), *PAGE], errors=("404",))},
        "/tasks/{task_id}/follow-up": {"post": _op(
            "Set (or clear, null) the holder's follow-up date on a task", obj({"task": INT, "follow_up_at": MAYBE_STR}),
            obj({"at": {"type": ["string", "null"], "description": "ISO date or datetime"}}, []), task_id)},
        "/cases/{case_id}/handling-form": {"get": _op(
            "The case's handling form (处理表): facts, each step's handler, result and time; ?format=pdf for "
            "the PDF (audited)", obj({"case": ANY_OBJECT, "steps": array(obj({
                "kind": STR, "element_id": MAYBE_STR, "step": STR, "handler": STR, "handler_name": STR, "at": STR,
                "result": ANY_OBJECT})), "printed_by": STR, "printed_at": STR}), None,
            [path_param("case_id", "the case's id"),
             query("format", "pdf for the printable PDF", {"type": "string", "enum": ["json", "pdf"]})],
            errors=("404",))},
        "/cases/{case_id}/cc": {"post": _op(
            "抄送 Copy a case to colleagues (read-only, notified; a confidential report only within its "
            "access list)", obj({"case_id": INT, "case_number": MAYBE_STR, "copied_to": array(STR)}),
            obj({"to": array(STR), "note": {"type": "string", "maxLength": 2000}}, ["to"]),
            [path_param("case_id", "the case's id")], code="201", errors=("403", "404"))},
    }
