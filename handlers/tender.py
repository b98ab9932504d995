"""Tender complaints (招标投标投诉): filing limits, acceptance checks, correction and suspension.

Basis: 《招标投标法实施条例》Art. 60-62 (10 days from knowing, objection first for documents,
opening and evaluation results, acceptance decided within 3 working days, decision within 30
working days), 七部委11号令 Art. 12 (non-acceptance grounds), 财政部94号令 Art. 37 and seed 004
(malicious complaints: three or more baseless complaints in a year). The checks only *flag*: a
complaint is never refused at the door, the clerk decides and gives reasons.
"""
from __future__ import annotations

import calendar
from datetime import datetime

from engine.handler_api import FieldRefused, HandlerContext, HandlerRegistry

from .deadlines import during, iso, parse_day, parse_instant, show
from .messages import case_label, message
from .numbering import number_case

FILING_DAYS = 10
ACCEPTANCE_DAYS = 3
CORRECTION_DAYS = 5
DECISION_DAYS = 30
DECISION_REMIND_DAYS = 5
SUSPENSION_DAYS = 30
BASELESS_OUTCOMES = ("rejected", "dismissed_malicious")
BASELESS_LIMIT = 3
INVESTIGATORS = "tender_investigators"

# Matters that need an objection (异议) to the tenderer first (实施条例 Art. 22, 44, 54, 60).
OBJECTION_FIRST = ("tender_documents", "bid_opening", "evaluation_result")
# Who has standing for which matter: documents — prospective bidders and other interested
# parties (Art. 22); opening — bidders (Art. 44); evaluation result — bidders and other interested
# parties (Art. 54).
STANDING = {
    "tender_documents": ("bidder", "prospective_bidder", "interested_party"),
    "bid_opening": ("bidder",),
    "evaluation_result": ("bidder", "interested_party"),
    "other": ("bidder", "prospective_bidder", "interested_party"),
}
FLAG_NOTES = {
    "late": "超过投诉期限（知道或应当知道之日起10日）/ filed after the 10-day limit",
    "objection_missing": "依法应先提出异议而未提出 / no prior objection to the tenderer",
    "not_interested_party": "投诉人可能不具备投诉资格 / complainant may lack standing for this matter",
    "repeat_baseless": "投诉人12个月内已有3次以上投诉经查失实 / 3+ baseless complaints in 12 months",
    "duplicate": "同一投诉人就同一项目的投诉已处理 / same complainant and project already decided",
}


def filing_deadline(ctx: HandlerContext) -> datetime | None:
    """10 calendar days after the complainant knew, not counting the wait for the objection
    reply: when an objection was answered, the period runs from the reply date (Art. 60)."""
    start = parse_day(ctx.data.get("known_date"))
    if start is None:
        return None
    reply = parse_day(ctx.data.get("objection_reply_date")) if ctx.data.get("objection_filed") else None
    if reply and reply > start:
        start = reply
    return ctx.lookups.add_calendar_days(during(start), FILING_DAYS)


def register_tender(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.register` (params: `prefix`): number, `filing_deadline`, `acceptance_due`."""
    effects = number_case(ctx, params.get("prefix", "TC"))
    number = effects["case"]["number"]
    acceptance_due = ctx.lookups.add_working_days(ctx.now, ACCEPTANCE_DAYS)
    deadlines = {"acceptance_due": iso(acceptance_due)}
    limit = filing_deadline(ctx)
    if limit:
        deadlines["filing_deadline"] = iso(limit)
    body = (f"您的投诉书已收到，编号 {number}。我们将在 {show(acceptance_due)} 前审查决定是否受理，并书面告知。"
            f"\nYour complaint {number} has been received; we will decide by {show(acceptance_due)} whether to accept it.")
    return {"case": effects["case"], "deadlines": deadlines, "messages": [message("acknowledgement", body)],
            "data": {**effects["data"], "received_at": iso(ctx.now), "correction_requests": 0,
                     "suspension_active": False}}


def _months_ago(now: datetime, months: int) -> datetime:
    """The same day `months` earlier (the month's last day when that day does not exist)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return now.replace(year=year, month=month + 1, day=min(now.day, last))


def precheck(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.precheck`: flags for the clerk in `data.flags`, never a refusal."""
    data, flags = ctx.data, []
    received = parse_instant(data.get("received_at")) or ctx.now
    limit = parse_instant(data.get("filing_deadline"))
    if limit and received > limit:
        flags.append("late")
    matter = data.get("matter_type") or "other"
    if matter in OBJECTION_FIRST and not data.get("objection_filed"):
        flags.append("objection_missing")
    if data.get("complainant_role") not in STANDING.get(matter, STANDING["other"]):
        flags.append("not_interested_party")
    history = ctx.lookups.complainant_history(str(data.get("complainant_name") or ""), "tender_complaint")
    earlier = [h for h in history if h.get("number") != ctx.number]
    since = _months_ago(ctx.now, 12)
    baseless = [h for h in earlier if h.get("outcome") in BASELESS_OUTCOMES
                and (parse_instant(h.get("decided_at")) or datetime.min.replace(tzinfo=ctx.now.tzinfo)) >= since]
    if len(baseless) >= BASELESS_LIMIT:
        flags.append("repeat_baseless")
    code = str(data.get("project_code") or "").strip().lower()
    if code and any(str(h.get("project_code") or "").strip().lower() == code
                    and (h.get("outcome") or h.get("decided_at")) for h in earlier):
        flags.append("duplicate")
    effects: dict = {"data": {"flags": flags, "flag_notes": {f: FLAG_NOTES[f] for f in flags}},
                     "audit": [{"kind": "precheck", "detail": {"flags": flags}}]}
    if flags:
        effects["notifications"] = [{"to_group": "tender_clerk", "subject": f"受理前核查提示 / precheck flags: {', '.join(flags)}",
                                     "body": "\n".join(FLAG_NOTES[f] for f in flags)}]
    return effects


def request_correction(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.request_correction`: the complainant is asked once, with 5 working days."""
    if int(ctx.data.get("correction_requests") or 0) >= 1:
        raise ValueError("补正只能要求一次，请作出受理或不予受理决定 / a correction may be requested only once")
    what = str(ctx.data.get("reason") or "").strip()
    if not what:
        raise ValueError("say what must be corrected (reason)")
    due = ctx.lookups.add_working_days(ctx.now, CORRECTION_DAYS)
    body = (f"您的投诉（编号 {case_label(ctx)}）内容不全，请于 {show(due)} 前通过回执页面补正：{what}。逾期未补正的，不予受理。"
            f"\nPlease complete your complaint {case_label(ctx)} by {show(due)} through the receipt page: {what}. "
            f"Without a correction by then it will not be accepted.")
    return {"messages": [message("request", body)], "deadlines": {"correction_due": iso(due)},
            "data": {"correction_requests": 1}}


def correction_received(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.correction_received`: the acceptance period starts again on receipt."""
    due = ctx.lookups.add_working_days(ctx.now, ACCEPTANCE_DAYS)
    return {"deadlines": {"acceptance_due": iso(due)}, "data": {"correction_received_at": iso(ctx.now)},
            "notifications": [{"to_group": "tender_clerk", "subject": "投诉人已补正 / correction received",
                               "body": f"案件 {case_label(ctx)}"}]}


def accept_tender(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.accept`: `decision_due` 30 working days from acceptance, reminder 5 before."""
    due = ctx.lookups.add_working_days(ctx.now, DECISION_DAYS)
    body = (f"您的投诉（编号 {case_label(ctx)}）已受理，我们将在 {show(due)} 前作出书面处理决定"
            f"（检验、检测、鉴定、专家评审所需时间不计算在内）。"
            f"\nYour complaint {case_label(ctx)} is accepted; a written decision will follow by {show(due)} "
            f"(time for testing, appraisal or expert review not counted).")
    return {"deadlines": {"decision_due": iso(due),
                          "decision_remind_at": iso(ctx.lookups.working_days_before(due, DECISION_REMIND_DAYS))},
            "data": {"accepted_at": iso(ctx.now)}, "messages": [message("notice", body)]}


def record_suspension(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.record_suspension`: a suspension (暂停招标投标活动) starts now and lasts
    30 days at most; the decision ends it earlier."""
    if not ctx.data.get("suspend_tender"):
        return {"data": {"suspension_active": False}}
    ends = ctx.lookups.add_calendar_days(ctx.now, SUSPENSION_DAYS)
    return {"data": {"suspension_active": True, "suspended_at": iso(ctx.now)},
            "deadlines": {"suspension_ends_at": iso(ends)},
            "audit": [{"kind": "tender_suspended", "detail": {"until": iso(ends)}}]}


def lift_suspension(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.lift_suspension`: the 30 days ran out before the decision."""
    return {"data": {"suspension_active": False, "suspension_ended_at": iso(ctx.now),
                     "suspension_end_reason": "expired"},
            "notifications": [{"to_group": "tender_head", "subject": "暂停期满，招标投标活动恢复 / suspension expired",
                               "body": f"案件 {case_label(ctx)}"}],
            "audit": [{"kind": "tender_suspension_ended", "detail": {"reason": "expired"}}]}


def check_investigators(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.check_investigators`: two people investigate; the second must be another
    member of the investigators' group who is not recused."""
    second = str(ctx.data.get("second_investigator") or "").strip()
    holder = ctx.data.get("investigation_completed_by")  # set by the engine when it records who completed a task
    if holder and second == holder:
        raise FieldRefused("second_investigator", "第二调查人不能是您本人，请选择另一位调查人员。",
                           "The second investigator must be someone else than you.")
    team = params.get("team") or INVESTIGATORS
    if second not in ctx.lookups.group_members(team):
        raise FieldRefused("second_investigator", f"{second or '?'} 不是调查组成员。",
                           f"{second or '?'} is not a member of the investigators' group.")
    if second in set(ctx.data.get("recused_users") or []):
        raise FieldRefused("second_investigator", f"{second} 应回避本案，请另选一位调查人员。",
                           f"{second} is recused from this case; choose someone else.")
    return {"data": {"second_investigator": second}, "audit": [{"kind": "second_investigator", "detail": {"user": second}}]}


def register(registry: HandlerRegistry) -> None:
    registry.register("tender.register", register_tender)
    registry.register("tender.precheck", precheck)
    registry.register("tender.request_correction", request_correction)
    registry.register("tender.correction_received", correction_received)
    registry.register("tender.accept", accept_tender)
    registry.register("tender.record_suspension", record_suspension)
    registry.register("tender.lift_suspension", lift_suspension)
    registry.register("tender.check_investigators", check_investigators)
