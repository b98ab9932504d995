"""The written documents a tender complainant receives: non-acceptance, transfer, decision.

实施条例 Art. 61-62 and 11号令 Art. 12, 22-24 require the authority to answer in writing with
reasons; a decision must tell the parties how to challenge it (行政复议法 Art. 20: 60 days;
行政诉讼法 Art. 46: 6 months). Texts are composed here so every case gets the same wording.
"""
from __future__ import annotations

from engine.handler_api import HandlerContext, HandlerRegistry

from .deadlines import iso, parse_instant
from .messages import case_label, message

REMEDIES = ("投诉人对本决定不服的，可以自收到本决定书之日起六十日内依法申请行政复议，"
            "或者自收到之日起六个月内依法向人民法院提起行政诉讼。"
            "\nIf you disagree with this decision you may apply for administrative review (行政复议) within "
            "60 days of receiving it, or bring an administrative lawsuit (行政诉讼) within 6 months.")
OUTCOMES = {
    "upheld": ("投诉事项成立。", "The complaint is upheld."),
    "rejected": ("投诉缺乏事实根据或者法律依据，驳回投诉。", "The complaint lacks a basis in fact or law and is rejected."),
    "dismissed_malicious": ("投诉人捏造事实、伪造材料或以非法手段取得证明材料进行投诉，驳回投诉，并依法记录。",
                            "The complaint rests on fabricated facts or unlawfully obtained material; it is "
                            "dismissed and recorded."),
}
NOTICE_KINDS = ("non_acceptance", "transfer", "no_correction")


def _text(value: object) -> str:
    return str(value or "").strip()


def tender_notice(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.notice` (params: `kind` = non_acceptance | transfer | no_correction):
    the written notice closing a complaint that is not accepted, with its reasons."""
    kind = params.get("kind")
    if kind not in NOTICE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(NOTICE_KINDS)}")
    number, reason = case_label(ctx), _text(ctx.data.get("reason"))
    if kind == "non_acceptance":
        body = (f"不予受理通知书（编号 {number}）\n经审查，您的投诉不符合受理条件，决定不予受理。理由：{reason}"
                f"\n依据：《招标投标法实施条例》第六十一条、《工程建设项目招标投标活动投诉处理办法》第十二条。\n{REMEDIES}"
                f"\nNotice of non-acceptance ({number}). Reason: {reason}")
    elif kind == "transfer":
        to = _text(ctx.data.get("transfer_to"))
        if not to:
            raise ValueError("a transfer needs the competent authority (transfer_to)")
        body = (f"告知书（编号 {number}）\n您的投诉不属于本部门受理范围，请向有权处理的{to}提出投诉。"
                + (f"理由：{reason}" if reason else "")
                + f"\nYour complaint {number} is outside our competence; please file it with {to}.")
    else:
        body = (f"不予受理通知书（编号 {number}）\n您未在规定期限内补正投诉材料，决定不予受理。\n{REMEDIES}"
                f"\nNotice of non-acceptance ({number}): the complaint was not completed in time.")
    return {"messages": [message("notice", body)], "data": {"closing_notice": kind, "closed_at": iso(ctx.now)}}


def decision_letter(ctx: HandlerContext, params: dict) -> dict:
    """Operator `tender.decision_letter`: the 处理决定书 posted to the complainant; it also ends a
    running suspension and marks a rejected or malicious complaint as baseless for later prechecks."""
    data = ctx.data
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    zh, en = OUTCOMES[outcome]
    parts = [f"投诉处理决定书（编号 {case_label(ctx)}）",
             f"投诉人：{_text(data.get('complainant_name'))}",
             f"被投诉人：{_text(data.get('respondent'))}",
             f"项目：{_text(data.get('project_name'))}（{_text(data.get('project_code'))}）",
             f"投诉请求：{_text(data.get('requests'))}",
             f"处理意见：{_text(data.get('decision_text'))}",
             f"处理决定：{zh}"]
    if _text(data.get("measures")):
        parts.append(f"处理措施：{_text(data.get('measures'))}")
    parts += [REMEDIES, f"Decision on complaint {case_label(ctx)}: {en}"]
    effects: dict = {"messages": [message("decision", "\n".join(parts))],
                     "data": {"decided_at": iso(ctx.now), "baseless": outcome in ("rejected", "dismissed_malicious")},
                     "audit": [{"kind": "tender_decided", "detail": {"outcome": outcome}}]}
    # The 30-day lapse runs on a parallel path whose data never reaches this one, so compare times.
    ends_at = parse_instant(data.get("suspension_ends_at"))
    if data.get("suspension_active") and (ends_at is None or ctx.now < ends_at):
        effects["data"].update(suspension_active=False, suspension_ended_at=iso(ctx.now), suspension_end_reason="decision")
    return effects


def register(registry: HandlerRegistry) -> None:
    registry.register("tender.notice", tender_notice)
    registry.register("tender.decision_letter", decision_letter)
