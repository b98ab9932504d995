"""The inbox over the API: list, read, claim, hand back and complete human tasks."""
from __future__ import annotations

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import Fields, json_body, query_choice, query_page
from .respond import NO_STORE, reply

TASK = "/tasks/<id:task_id>"


@bp.get("/tasks")
@staff_required()
def list_tasks(actor):
    """`scope=mine` (held by the caller, the default) or `scope=available` (free, the caller may
    take); paged by `limit` and `cursor`, most urgent first; no form schemas in the list."""
    details: dict[str, str] = {}
    scope = query_choice("scope", ("mine", "available"), details, default="mine")
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().list_tasks(actor, scope, **page))


@bp.get("/tasks/stuck")
@staff_required("admin")
def stuck_tasks(actor):
    """Admins: open tasks nobody eligible may take (paged by `limit` and `cursor`)."""
    details: dict[str, str] = {}
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().stuck_tasks(actor, **page))


@bp.post(f"{TASK}/reassign")
@staff_required("admin")
def reassign_task(actor, task_id: int):
    """Admins: `{"to_user"}` or `{"to_group"}` with a `reason`."""
    fields = Fields(json_body())
    to_user = fields.string("to_user", required=False, max_length=80)
    to_group = fields.string("to_group", required=False, max_length=80)
    reason = fields.string("reason", max_length=250)
    fields.check()
    return reply(engine().reassign_task(actor, task_id, to_user=to_user, to_group=to_group, reason=reason))


@bp.get(TASK)
@staff_required()
def get_task(actor, task_id: int):
    """One task with its form and its case (404 when the case is hidden from the caller)."""
    return reply(engine().get_task(actor, task_id), 200, NO_STORE)


@bp.post(f"{TASK}/claim")
@staff_required()
def claim_task(actor, task_id: int):
    """Take the task: 409 if someone else holds it, 403 if the caller may not take it."""
    return reply(engine().claim_task(actor, task_id))


@bp.post(f"{TASK}/unclaim")
@staff_required()
def unclaim_task(actor, task_id: int):
    """Hand the task back to its group (the holder, or a supervisor)."""
    return reply(engine().unclaim_task(actor, task_id))


@bp.post(f"{TASK}/complete")
@staff_required()
def complete_task(actor, task_id: int):
    """`{"data": {...}}` from the task's form; the case moves on."""
    fields = Fields(json_body())
    data = fields.object("data", default={})
    fields.check()
    return reply(engine().complete_task(actor, task_id, data))
