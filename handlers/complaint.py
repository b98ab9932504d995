"""The customer-complaint steps that are rules rather than people's judgement (PROCESSES.md §1).

首问负责制 (seed 001: "谁受理谁负责"): whoever files a complaint answers it, so the reply task
goes back to that staff member; public filings fall to the intake group. Time limits: the
acceptance decision within 1 working day, resolution within 5 working days of acceptance (10 for
a complex case, extensions approved by the supervisor up to 30 working days in all), the reply
within 3 working days of approval. An unsatisfied customer at the follow-up call (回访) gets the
case reopened once; a second "unsatisfied" is recorded and the case closes.
"""
from __future__ import annotations

from engine.handler_api import HandlerContext, HandlerRegistry

from .deadlines import iso, just_before, parse_instant, show
from .messages import case_label, message
from .numbering import number_case

ACK_DAYS = 1
RESOLVE_DAYS = 5
RESOLVE_DAYS_COMPLEX = 10
REPLY_DAYS = 3
MAX_EXTENSION_DAYS = 30
REOPEN_LIMIT = 1


def _resolve_deadlines(ctx: HandlerContext) -> dict:
    days = RESOLVE_DAYS_COMPLEX if ctx.data.get("complex") else RESOLVE_DAYS
    due = ctx.lookups.add_working_days(ctx.now, days)
    return {"resolve_due": iso(due), "resolve_remind_at": iso(ctx.lookups.working_days_before(due, 1))}


def register_complaint(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.register` (params: `prefix`): number, first-responsible, `ack_due`."""
    effects = number_case(ctx, params.get("prefix", "CP"))
    number = effects["case"]["number"]
    first = ctx.filed_by or None
    ack_due = ctx.lookups.add_working_days(ctx.now, ACK_DAYS)
    data = {**effects["data"], "first_responsible": first, "received_at": iso(ctx.now), "reopened": 0,
            "extension_days_total": 0, "request_extension": False}
    if first:
        data["task_candidates"] = {**(ctx.data.get("task_candidates") or {}), "reply": [first]}
    case = {**effects["case"], "first_responsible": first}
    if ctx.data.get("category"):
        case["category"] = ctx.data["category"]
    body = (f"您的投诉已收到，编号 {number}。我们将在 {show(ack_due)} 前决定是否受理并告知您。"
            f"\nWe have received your complaint {number} and will tell you by {show(ack_due)} whether we accept it.")
    return {"case": case, "data": data, "deadlines": {"ack_due": iso(ack_due)},
            "messages": [message("acknowledgement", body)]}


def accept_complaint(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.accept`: the resolution clock starts at acceptance (after routing, so
    the case row also learns its department)."""
    deadlines = _resolve_deadlines(ctx)
    due = parse_instant(deadlines["resolve_due"])
    case = {k: ctx.data[k] for k in ("department", "category") if ctx.data.get(k)}
    body = (f"您的投诉（编号 {case_label(ctx)}）已受理，我们将在 {show(due)} 前处理完毕并答复您。"
            f"\nYour complaint {case_label(ctx)} has been accepted; we will resolve it by {show(due)}.")
    return {"deadlines": deadlines, "case": case, "data": {"accepted_at": iso(ctx.now)},
            "messages": [message("notice", body)]}


def extend_resolution(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.extend`: the supervisor's answer to the department's extension request.

    The total of all extensions is capped at 30 working days; a supervisor approving more gets a
    clear refusal (the engine answers 422) saying how many days remain."""
    data: dict = {"request_extension": False, "approved_days": None}
    if not ctx.data.get("extension_approved"):
        return {"data": data, "audit": [{"kind": "extension_refused", "detail": {}}]}
    days = int(ctx.data.get("approved_days") or ctx.data.get("extension_days") or 0)
    used = int(ctx.data.get("extension_days_total") or 0)
    if days <= 0:
        raise ValueError("an approved extension needs a number of working days")
    if used + days > MAX_EXTENSION_DAYS:
        raise ValueError(f"延期合计不得超过{MAX_EXTENSION_DAYS}个工作日，本案还可延期{MAX_EXTENSION_DAYS - used}个工作日 / "
                         f"extensions may not exceed {MAX_EXTENSION_DAYS} working days in total; "
                         f"{MAX_EXTENSION_DAYS - used} remain")
    current = parse_instant(ctx.data.get("resolve_due")) or ctx.now
    due = ctx.lookups.add_working_days(just_before(current), days)
    data["extension_days_total"] = used + days
    return {"data": data,
            "deadlines": {"resolve_due": iso(due), "resolve_remind_at": iso(ctx.lookups.working_days_before(due, 1))},
            "audit": [{"kind": "deadline_extended", "detail": {"days": days, "resolve_due": iso(due)}}]}


def schedule_reply(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.schedule_reply`: the reply is due 3 working days after approval."""
    due = ctx.lookups.add_working_days(ctx.now, REPLY_DAYS)
    return {"deadlines": {"reply_due": iso(due)}, "data": {"approved_at": iso(ctx.now)}}


def reopen_complaint(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.reopen`: an unsatisfied customer sends the case back to the department
    once, with a fresh resolution period (the old one has passed, and its timer would fire at once)."""
    reopened = int(ctx.data.get("reopened") or 0) + 1
    department = ctx.data.get("department") or "dept_service"
    note = {"to_group": department, "subject": "回访不满意，案件重新办理 / Customer unsatisfied: case reopened",
            "body": str(ctx.data.get("comment") or "")}
    return {"data": {"reopened": reopened, "request_extension": False}, "deadlines": _resolve_deadlines(ctx),
            "notifications": [note], "audit": [{"kind": "reopened", "detail": {"times": reopened}}]}


def close_complaint(ctx: HandlerContext, params: dict) -> dict:
    """Operator `complaint.close`: record how the customer felt at the end and thank them."""
    body = (f"您的投诉（编号 {case_label(ctx)}）已办结，感谢您的监督。"
            f"\nYour complaint {case_label(ctx)} is closed. Thank you for telling us.")
    detail = {"satisfaction": ctx.data.get("satisfaction"), "reopened": ctx.data.get("reopened", 0)}
    return {"data": {"closed_at": iso(ctx.now)}, "messages": [message("notice", body)],
            "audit": [{"kind": "complaint_closed", "detail": detail}]}


def register(registry: HandlerRegistry) -> None:
    registry.register("complaint.register", register_complaint)
    registry.register("complaint.accept", accept_complaint)
    registry.register("complaint.extend", extend_resolution)
    registry.register("complaint.schedule_reply", schedule_reply)
    registry.register("complaint.reopen", reopen_complaint)
    registry.register("complaint.close", close_complaint)
