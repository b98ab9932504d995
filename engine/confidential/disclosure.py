"""Who learns what of a confidential case: the read log, sealed openings, identity reveals, exports.

Seed 001 篇10 第十九条: reporters' names, units and addresses are never disclosed, and materials
are not copied at will; 篇9: a closed report is sealed as a confidential file. So every read of a
confidential case is an audit event; a sealed case (封存) opens only for auditors and the groups
its diagram names (`sealedCaseReaders`, e.g. the committee), each time with a stated reason;
revealing a reporter's identity is an act of the diagram's `identityRevealers`, with a reason; an
export of a sealed case leaves identity out altogether.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.confidential.access import load_visible_case, may_open_sealed, may_reveal_identity
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import AuditEvent, Case

SEALED = "sealed"
MIN_REASON, MAX_REASON = 5, 500


def stated_reason(reason) -> str:
    """The reason as given, or InvalidInput: an opening or reveal without a real reason is refused."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not MIN_REASON <= len(text) <= MAX_REASON:
        raise InvalidInput("state why you need this", {"reason": f"{MIN_REASON} to {MAX_REASON} characters"})
    return text


def personal_values(ctx: EngineContext, case: Case) -> dict:
    """The case's sealed personal fields, decrypted ({} when none or erased)."""
    return ctx.cipher.open(case.personal_sealed) if case.personal_sealed else {}


def secrets_of(ctx: EngineContext, case: Case) -> list[str]:
    """The identity values to mask wherever they might appear (history details, exports)."""
    values = {v.strip() for v in personal_values(ctx, case).values() if isinstance(v, str) and len(v.strip()) >= 2}
    return sorted(values, key=len, reverse=True)


def log_read(session: Session, ctx: EngineContext, actor: Actor, case: Case, what: str,
             reason: str | None = None) -> None:
    """Every read of a confidential case leaves a trace: who read what, when (and why, when asked)."""
    if not case.confidential:
        return
    detail = {"what": what, **({"reason": reason} if reason else {})}
    audit.record(session, at=ctx.now(), actor=actor.username, kind="confidential_read", case_id=case.id,
                 detail=detail)


def guard_sealed(ctx: EngineContext, session: Session, actor: Actor, case: Case, opened: bool) -> None:
    """A sealed case reads only through an opening with a reason (403 naming how to open it);
    to anyone who may not open it, it does not exist."""
    if case.status != SEALED or opened:
        return
    if not may_open_sealed(actor, ctx.definitions.get(session, case.definition_id).summary):
        raise NotFound("no such case")
    raise Forbidden("this report is sealed (封存): open it with a stated reason", {"reason": "required"},
                    code="sealed")


def history(ctx: EngineContext, session: Session, actor: Actor, case_id: int, opened: bool = False,
            limit: int | None = None, cursor: str | None = None) -> dict:
    """One page of the case's events in order, identity values masked on confidential cases
    (auditors included); every page read of a confidential case is logged."""
    n = paging.check_limit(limit)
    after = paging.decode(f"history:{case_id}", cursor, (int,))
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    guard_sealed(ctx, session, actor, case, opened)
    if not opened:
        log_read(session, ctx, actor, case, "history")
    events = audit.case_events(session, case.id, _masked_values(ctx, case), after[0] if after else None, n + 1)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))
    nxt = paging.encode(f"history:{case_id}", (events[n - 1]["seq"],)) if len(events) > n else None
    return {"number": case.number, **paging.answer(events[:n], nxt, total, False)}


def whole_history(ctx: EngineContext, session: Session, case: Case) -> list[dict]:
    """Every event of one case, masked as `history` masks them: for an opening or an export,
    which are one document (the caller has checked and logged the access)."""
    return audit.case_events(session, case.id, _masked_values(ctx, case))


def _masked_values(ctx: EngineContext, case: Case) -> list[str]:
    return secrets_of(ctx, case) if case.confidential else []


def reveal_identity(ctx: EngineContext, session: Session, actor: Actor, case_id: int, reason) -> dict:
    """The type's `identityRevealers`, with a reason, learn who filed the report; the reveal is an
    audit event (naming the fields, never their values)."""
    reason = stated_reason(reason)
    case = load_visible_case(session, actor, case_id)
    if not may_reveal_identity(actor, ctx.definitions.get(session, case.definition_id).summary):
        raise Forbidden("only the groups this type names (identityRevealers) may reveal a reporter's identity")
    identity = personal_values(ctx, case)
    audit.record(session, at=ctx.now(), actor=actor.username, kind="identity_revealed", case_id=case.id,
                 detail={"reason": reason, "fields": sorted(identity)})
    return {"case_id": case.id, "number": case.number, "anonymous": case.anonymous,
            "erased": case.personal_erased_at is not None, "identity": identity}
