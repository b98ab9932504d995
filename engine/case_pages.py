"""Reads that show a case whole, composed from the modules below: the task page (a task with
its case), a sealed case opened with a reason, a case exported for the file, the path a case took.

Imports point one way: this module uses `cases`, `tasks` and `disclosure`; none of them uses it.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.confidential import access, disclosure
from engine.oversight import audit, diagram_views
from engine.accounts import users
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.cases import case_detail
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound
from engine.tasks import _load, _may_take, task_with_form


def get_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    """A task with its form (staff choices filled in) and its case as the actor may see it."""
    found = _load(ctx, session, actor, task_id)
    task, case = found.task, found.case
    out = task_with_form(ctx, session, found)
    out["case"] = case_detail(ctx, session, actor, case.id)
    users.group_labels(session, [out])
    out["may_claim"] = task.state == "ready" and task.assignee is None and _may_take(actor, task)
    return out


def path(ctx: EngineContext, session: Session, actor: Actor, case_id: int, reason: str | None = None) -> dict:
    """The elements the case has passed and those it waits in, the flows it took and each
    element's events (see diagram_views.case_path)."""
    return diagram_views.case_path(ctx, session, actor, case_id, reason)


def open_sealed(ctx: EngineContext, session: Session, actor: Actor, case_id: int, reason) -> dict:
    """Auditor or committee, with a reason: the sealed case in full (identity still masked) and its
    history. Each opening is an audit event."""
    reason = disclosure.stated_reason(reason)
    case = load_visible_case(session, actor, case_id)
    if case.status != disclosure.SEALED:
        raise InvalidInput("this case is not sealed; read it directly", {"case": "not sealed"})
    if not access.may_open_sealed(actor, ctx.definitions.get(session, case.definition_id).summary):
        raise NotFound("no such case")
    audit.record(session, at=ctx.now(), actor=actor.username, kind="sealed_case_opened", case_id=case.id,
                 detail={"reason": reason})
    detail = case_detail(ctx, session, actor, case.id, opened=True)
    return {"case": detail, "events": disclosure.whole_history(ctx, session, case),
            "opened_by": actor.username, "reason": reason}


def export_case(ctx: EngineContext, session: Session, actor: Actor, case_id: int, reason=None,
                fmt: str = "json") -> dict:
    """The case and its history as one document for the file. A sealed case needs the opening
    rules (auditor or committee, a reason) and its export carries no identity at all."""
    case = load_visible_case(session, actor, case_id)
    sealed = case.status == disclosure.SEALED
    if sealed or case.confidential:
        reason = disclosure.stated_reason(reason)
    disclosure.guard_sealed(ctx, session, actor, case, opened=bool(reason))
    audit.record(session, at=ctx.now(), actor=actor.username, kind="case_exported", case_id=case.id,
                 detail={"format": fmt, **({"reason": reason} if reason else {})})
    detail = case_detail(ctx, session, actor, case.id, opened=True, omit_identity=sealed)
    events = disclosure.whole_history(ctx, session, case)
    return {"case": detail, "events": events, "identity_omitted": sealed or detail.get("personal_masked", False),
            "exported_by": actor.username, "exported_at": ctx.now().isoformat()}
