"""A case's clock: pauses (时限中止), supervisor-approved extensions, recounts on a new calendar.

Every change of a deadline goes through `CaseStep.move_deadlines`, so the case row, the workflow
data, the inbox rows and the waiting timers (SpiffWorkflow's cached due times) move together in
one transaction, and each change is an audit event.

- A pause stops the clock with a reason (waiting for the complainant's correction, expert review,
  testing or appraisal). While it lasts the case's timers do not fire; on resume every deadline
  still pending when the pause began moves by the paused time (see `retime.pause_shift`).
- An extension is asked for by someone working the case and decided by the type's approver
  group, within the type's cap in working days (shared with a diagram's own extension path
  through `extension_days_total`). The rule, and which group keeps a type's clock, are the
  diagram's properties (engine.diagrams.type_rules): a type without an extension rule has no extensions.
- A recount follows an edit of the holiday table or an imported official year: deadlines marked
  provisional are recounted on the calendar as it now stands, and their timers move.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import notifications
from engine.oversight import audit
from engine.clocks import retime
from engine.diagrams import type_rules
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Case, CasePause, ExtensionRequest, Task
from engine.steps import CaseStep

PAUSE_KINDS = ("correction", "expert_review", "other")


def _step(ctx, session: Session, case: Case, actor: str, now: datetime) -> CaseStep:
    step = CaseStep(ctx, session, case, ctx.definitions.get(session, case.definition_id), actor, now)
    step.restore()
    return step


def _summary(ctx, session: Session, case: Case) -> dict:
    return ctx.definitions.get(session, case.definition_id).summary


def may_manage(ctx, session: Session, actor: Actor, case: Case) -> bool:
    """Whoever works an open task of the case, its clock keepers (the diagram's `clockKeeper`,
    of the process or of a lane an open task lies in), or an admin."""
    if actor.has_role("admin"):
        return True
    tasks = list(session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")))
    if type_rules.clock_keepers(_summary(ctx, session, case), [t.lane for t in tasks]) & set(actor.groups):
        return True
    for task in tasks:
        if task.assignee == actor.username or (task.candidates and actor.username in task.candidates) \
                or (not task.candidates and task.candidate_group in actor.groups):
            return True
    return False


def _open_case(ctx, session: Session, actor: Actor, case_id: int) -> Case:
    case = load_visible_case(session, actor, case_id, for_update=True)
    if case.status != "open":
        raise Conflict("the case is closed; its clock no longer runs")
    if not may_manage(ctx, session, actor, case):
        raise Forbidden("only staff working this case, its supervisors or admins manage its clock")
    return case


def pause(ctx, session: Session, actor: Actor, case_id: int, kind: str, reason: str, now: datetime) -> dict:
    case = _open_case(ctx, session, actor, case_id)
    reason = (reason or "").strip()
    if kind not in PAUSE_KINDS or not reason:
        raise InvalidInput("a pause needs a kind and a reason",
                           {k: v for k, v in (("kind", f"one of {', '.join(PAUSE_KINDS)}" if kind not in PAUSE_KINDS else ""),
                                               ("reason", "required" if not reason else "")) if v})
    if case.paused_at is not None:
        raise Conflict("the case clock is already paused")
    session.add(CasePause(case_id=case.id, kind=kind, reason=reason[:2000], started_at=now, started_by=actor.username))
    case.paused_at = now
    audit.record(session, at=now, actor=actor.username, kind="clock_paused", case_id=case.id,
                 detail={"kind": kind, "reason": reason[:200]})
    return clock_view(ctx, session, actor, case, now)


def resume(ctx, session: Session, actor: Actor, case_id: int, now: datetime) -> dict:
    case = _open_case(ctx, session, actor, case_id)
    row = session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.ended_at.is_(None))).first()
    if case.paused_at is None or row is None:
        raise Conflict("the case clock is not paused")
    step = _step(ctx, session, case, actor.username, now)
    changes, bases, paused = retime.pause_shift(step.calendar, case, aware(row.started_at), now)
    step.move_deadlines(changes, bases)
    row.ended_at, row.ended_by = now, actor.username
    case.paused_at = None
    step.audit("clock_resumed", {"paused": paused, "moved": changes})
    step.finish()
    return clock_view(ctx, session, actor, case, now)


def _used_days(session: Session, case: Case) -> int:
    approved = session.scalars(select(ExtensionRequest.working_days).where(
        ExtensionRequest.case_id == case.id, ExtensionRequest.approved.is_(True)))
    return max(int((case.data or {}).get("extension_days_total") or 0), sum(approved))


def request_extension(ctx, session: Session, actor: Actor, case_id: int, days: int, reason: str, now: datetime) -> dict:
    case = _open_case(ctx, session, actor, case_id)
    rule = type_rules.extension_rule(_summary(ctx, session, case))
    if rule is None:
        raise Conflict("this type of case has no extension of its time limit")
    if rule["deadline"] not in (case.deadlines or {}):
        raise Conflict(f"the case has no {rule['deadline']} yet")
    reason = (reason or "").strip()
    left = rule["cap"] - _used_days(session, case)
    if not reason or not isinstance(days, int) or not 1 <= days <= left:
        raise InvalidInput(f"extensions may not exceed {rule['cap']} working days in total; {left} remain",
                           {k: v for k, v in (("working_days", f"1 to {left}" if not isinstance(days, int) or not 1 <= days <= left else ""),
                                               ("reason", "required" if not reason else "")) if v})
    pending = session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == case.id,
                                                             ExtensionRequest.approved.is_(None))).first()
    if pending is not None:
        raise Conflict("an extension request is already waiting for a decision")
    row = ExtensionRequest(case_id=case.id, deadline=rule["deadline"], working_days=days, reason=reason[:2000],
                           requested_by=actor.username, requested_at=now)
    session.add(row)
    session.flush()
    step = _step(ctx, session, case, actor.username, now)
    step.audit("extension_requested", {"request": row.id, "working_days": days, "deadline": rule["deadline"]})
    notifications.deliver(ctx, session, case, {"to_group": rule["approvers"], "kind": "notice",
                                               "subject": "延期申请待审批 / Extension request to decide",
                                               "body": f"{case.number}: +{days}"}, now, actor.username)
    return clock_view(ctx, session, actor, case, now)


def decide_extension(ctx, session: Session, actor: Actor, request_id: int, approved: bool, comment: str,
                     now: datetime) -> dict:
    row = session.get(ExtensionRequest, request_id)
    if row is None:
        raise NotFound("no such extension request")
    case = load_visible_case(session, actor, row.case_id, for_update=True)
    rule = type_rules.extension_rule(_summary(ctx, session, case)) or {}
    if not (actor.has_role("admin") or rule.get("approvers") in actor.groups):
        raise Forbidden("only the supervisor decides extension requests")
    if row.requested_by == actor.username:
        raise Forbidden("nobody approves their own extension request")
    if row.approved is not None:
        raise Conflict("this request has already been decided")
    if case.status != "open":
        raise Conflict("the case is closed")
    step = _step(ctx, session, case, actor.username, now)
    used = _used_days(session, case)
    row.decided_by, row.decided_at, row.approved, row.comment = actor.username, now, bool(approved), (comment or "")[:2000]
    if approved:
        if used + row.working_days > rule["cap"]:
            raise InvalidInput(f"extensions may not exceed {rule['cap']} working days in total; {rule['cap'] - used} remain",
                               {"working_days": f"at most {rule['cap'] - used}"})
        changes, bases = retime.extend(step.calendar, case, row.deadline, row.working_days)
        step.move_deadlines(changes, bases)
        step.run.set_live_data({"extension_days_total": used + row.working_days})
        step.audit("extension_approved", {"request": row.id, "working_days": row.working_days, "moved": changes})
    else:
        step.audit("extension_refused", {"request": row.id})
    step.finish()
    return clock_view(ctx, session, actor, case, now)


def recount_provisional(ctx, now: datetime, actor: str) -> list[str]:
    """Recount every open case's provisional deadlines on the calendar as it stands now (one
    transaction per case, so one broken case does not hold the others back)."""
    with ctx.db.transaction() as session:
        candidates = [cid for cid, names in session.execute(
            select(Case.id, Case.provisional_deadlines).where(Case.status == "open")) if names]
    moved = []
    for case_id in candidates:
        with ctx.db.transaction() as session:
            case = session.get(Case, case_id)
            step = _step(ctx, session, case, actor, now)
            names = set(case.provisional_deadlines or [])
            changes, bases = retime.recount(step.calendar, dict(case.deadlines or {}),
                                            dict(case.deadline_basis or {}), names)
            step.move_deadlines(changes, bases)
            step.audit("deadlines_recounted", {"moved": changes, "still_provisional": case.provisional_deadlines})
            step.finish()
            moved.append(case.number or str(case.id))
    return moved


def clock_view(ctx, session: Session, actor: Actor, case: Case, now: datetime) -> dict:
    """What the case page's clock panel shows."""
    pauses = session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id))
    requests = session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == case.id)
                               .order_by(ExtensionRequest.id))
    summary = _summary(ctx, session, case)
    rule = type_rules.extension_rule(summary)
    return {
        "case_id": case.id, "paused": case.paused_at is not None, "paused_at": to_iso(aware(case.paused_at)),
        "deadlines": dict(case.deadlines or {}), "provisional": list(case.provisional_deadlines or []),
        "deadline_labels": type_rules.deadline_labels(summary),
        "pauses": [{"id": p.id, "kind": p.kind, "reason": p.reason, "started_at": to_iso(aware(p.started_at)),
                    "started_by": p.started_by, "ended_at": to_iso(aware(p.ended_at)), "ended_by": p.ended_by}
                   for p in pauses],
        "extensions": [{"id": r.id, "deadline": r.deadline, "working_days": r.working_days, "reason": r.reason,
                        "requested_by": r.requested_by, "requested_at": to_iso(aware(r.requested_at)),
                        "decided_by": r.decided_by, "decided_at": to_iso(aware(r.decided_at)),
                        "approved": r.approved, "comment": r.comment} for r in requests],
        "extension_rule": ({**rule, "used": _used_days(session, case)} if rule else None),
        "may_manage": case.status == "open" and may_manage(ctx, session, actor, case),
        "may_decide": bool(rule) and (actor.has_role("admin") or rule["approvers"] in actor.groups),
        "pause_kinds": list(PAUSE_KINDS),
    }


def case_clock(ctx, session: Session, actor: Actor, case_id: int, now: datetime) -> dict:
    """The clock view is a read of the case like any other: sealed cases open only with a
    reason, and reads of confidential cases are logged."""
    from engine.confidential import disclosure

    case = load_visible_case(session, actor, case_id)
    disclosure.guard_sealed(ctx, session, actor, case, False)
    disclosure.log_read(session, ctx, actor, case, "clock")
    return clock_view(ctx, session, actor, case, now)
