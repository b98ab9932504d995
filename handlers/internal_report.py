"""Internal reports (员工投诉与举报): acknowledgement, time limits and what the reporter is told.

EU Directive 2019/1937 Art. 9: acknowledge receipt (we do it at once, the directive allows 7
days) and give feedback within 3 months. Triage within 2 working days. The texts never name the
accused nor the staff handling the case: the reporter learns the outcome in general terms, and
is reminded that retaliation can be reported through the same receipt.
"""
from __future__ import annotations

from datetime import timedelta

from engine.handler_api import HandlerContext, HandlerRegistry

from .deadlines import add_months, iso, show
from .messages import case_label, message
from .numbering import number_case

TRIAGE_DAYS = 2
FEEDBACK_MONTHS = 3
FEEDBACK_REMIND_BEFORE = timedelta(weeks=2)
ANSWER_DAYS = 10

NOTICES = {
    "out_of_scope": ("您反映的事项不属于本渠道受理范围，请通过其他合适渠道反映。",
                     "The matter you reported is outside this channel's scope; please use the appropriate channel."),
    "pending": ("您反映的事项目前线索不足，暂存待查。如有新的情况或材料，请通过本回执补充，我们将重新审查。",
                "Your report lacks concrete information for now and is stored pending. Add facts or documents "
                "through this receipt and we will look at it again."),
    "accepted": ("您反映的事项已受理，正在组织核查；核查期间请妥善保管回执，我们可能通过回执页面向您了解情况。",
                 "Your report has been accepted and is being looked into; keep your receipt, we may ask you "
                 "questions through the receipt page."),
}
FINDINGS = {
    "yes": ("经调查，反映的问题属实，已依规依纪处理。", "The investigation found the report substantiated; action has been taken."),
    "partly": ("经调查，反映的问题部分属实，已依规依纪处理。", "The investigation found the report partly substantiated; action has been taken."),
    "no": ("经调查，反映的问题不属实。", "The investigation did not substantiate the report."),
}


def register_report(ctx: HandlerContext, params: dict) -> dict:
    """Operator `internal_report.register` (params: `prefix`): number, acknowledgement at once,
    `triage_due` (2 working days), `feedback_due` (3 months) and its reminder 2 weeks before."""
    effects = number_case(ctx, params.get("prefix", "IR"))
    number = effects["case"]["number"]
    feedback_due = add_months(ctx, ctx.now, FEEDBACK_MONTHS)
    deadlines = {
        "triage_due": iso(ctx.lookups.add_working_days(ctx.now, TRIAGE_DAYS)),
        "feedback_due": iso(feedback_due),
        "feedback_remind_at": iso(feedback_due - FEEDBACK_REMIND_BEFORE),
    }
    body = (f"您的举报已收到，编号 {number}。我们将对您的身份严格保密，并在 {show(feedback_due)} 前向您反馈处理情况。"
            f"请妥善保管回执码，它是查询和补充材料的唯一凭证。"
            f"\nYour report {number} has been received. Your identity is protected; we will give you feedback "
            f"by {show(feedback_due)}. Keep your receipt code: it is the only key to your report.")
    return {"case": {**effects["case"], "confidential": True}, "data": {**effects["data"], "received_at": iso(ctx.now)},
            "deadlines": deadlines, "messages": [message("acknowledgement", body)]}


def notify_reporter(ctx: HandlerContext, params: dict) -> dict:
    """Operator `internal_report.notice` (params: `outcome` = out_of_scope | pending | accepted): the
    reporter is told what the triage decided, with the triage's note if one was written."""
    outcome = params.get("outcome")
    if outcome not in NOTICES:
        raise ValueError(f"outcome must be one of {', '.join(NOTICES)}")
    zh, en = NOTICES[outcome]
    note = str(ctx.data.get("note_to_reporter") or "").strip()
    body = f"（编号 {case_label(ctx)}）{zh}" + (f"\n{note}" if note else "") + f"\n{en}"
    return {"messages": [message("notice", body)], "data": {"triage_outcome": outcome}}


def ask_reporter(ctx: HandlerContext, params: dict) -> dict:
    """Operator `internal_report.ask_reporter`: the investigators' question goes to the receipt
    mailbox (the only channel to an anonymous reporter); the case waits `answer_due` for a reply."""
    question = str(ctx.data.get("question") or "").strip()
    due = ctx.lookups.add_working_days(ctx.now, ANSWER_DAYS)
    body = (f"关于您的举报（编号 {case_label(ctx)}），调查人员希望了解：{question}\n请于 {show(due)} 前通过回执页面答复。"
            f"\nAbout your report {case_label(ctx)}, the investigators ask: {question}\nPlease answer through the receipt page "
            f"by {show(due)}.")
    return {"messages": [message("request", body)], "deadlines": {"answer_due": iso(due)},
            "data": {"questions_asked": int(ctx.data.get("questions_asked") or 0) + 1}}


def give_feedback(ctx: HandlerContext, params: dict) -> dict:
    """Operator `internal_report.feedback`: the result in general terms (no names, no measures
    against persons), plus the committee's own words for the reporter when it wrote some."""
    zh, en = FINDINGS.get(ctx.data.get("substantiated"), ("本案已办结。", "The report has been dealt with."))
    summary = str(ctx.data.get("feedback_summary") or "").strip()
    body = (f"您的举报（编号 {case_label(ctx)}）已办结。{zh}" + (f"\n{summary}" if summary else "")
            + "\n感谢您的举报。如因举报受到打击报复，请通过本回执及时反映。"
            + f"\nYour report {case_label(ctx)} is closed. {en} If you face retaliation, tell us through this receipt.")
    audit = [{"kind": "feedback_given", "detail": {"substantiated": ctx.data.get("substantiated"),
                                                  "refer_judicial": bool(ctx.data.get("refer_judicial"))}}]
    return {"messages": [message("reply", body)], "data": {"feedback_at": iso(ctx.now)}, "audit": audit}


def register(registry: HandlerRegistry) -> None:
    registry.register("internal_report.register", register_report)
    registry.register("internal_report.notice", notify_reporter)
    registry.register("internal_report.ask_reporter", ask_reporter)
    registry.register("internal_report.feedback", give_feedback)
