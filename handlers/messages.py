"""What the complainant reads on the receipt page, and the reminders staff get.

Handlers only *compose* text: the engine posts it to the receipt page and, when it holds an
e-mail address (encrypted, never in the workflow data), to the outbox. Complainant texts are in
Chinese first with an English line, because the public page serves both languages and a stored
message cannot be re-translated later.
"""
from __future__ import annotations

from engine.handler_api import HandlerContext, HandlerRegistry

from .deadlines import parse_instant, show

MESSAGE_KINDS = ("acknowledgement", "notice", "reply", "request", "decision")


def message(kind: str, body: str) -> dict:
    """One message for the complainant; refuses an unknown kind or an empty text."""
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"message kind must be one of {', '.join(MESSAGE_KINDS)}, not {kind!r}")
    if not isinstance(body, str) or not body.strip():
        raise ValueError("a message to the complainant cannot be empty")
    return {"kind": kind, "body": body.strip()}


def case_label(ctx: HandlerContext) -> str:
    return ctx.number or ctx.data.get("case_number") or ""


def post(ctx: HandlerContext, params: dict) -> dict:
    """Operator `messages.post` (params: `kind`, `body`): e.g. the reply a clerk wrote."""
    return {"messages": [message(str(params.get("kind") or "notice"), params.get("body") or "")]}


def transfer_notice(ctx: HandlerContext, params: dict) -> dict:
    """Operator `messages.transfer_notice` (params: `transfer_to`, `reason`): the complainant
    must learn where the matter went, or a transfer looks like a silent refusal."""
    to = str(params.get("transfer_to") or "").strip()
    if not to:
        raise ValueError("a transfer needs the body it is transferred to (transfer_to)")
    reason = str(params.get("reason") or "").strip()
    body = (f"您的投诉（编号 {case_label(ctx)}）不属于本单位处理范围，已转交{to}处理，请与其联系。"
            + (f"理由：{reason}" if reason else "")
            + f"\nYour complaint {case_label(ctx)} has been transferred to {to}, which is competent to handle it."
            + (f" Reason: {reason}" if reason else ""))
    return {"messages": [message("notice", body)], "data": {"transferred_to": to}}


def remind(ctx: HandlerContext, params: dict) -> dict:
    """Operator `messages.remind`: a staff notice (催办 before a deadline, 督办 at it).

    params: `to_group` (group name), `subject`, optional `body`, optional `due_field` (the
    deadline the notice is about), optional `kind` (`reminder` 催办, the default, or `escalation`
    督办), optional `task` (element id: when the case restricts that task to named users, they are
    told instead of the whole group; otherwise the engine tells whoever holds the task then, and
    the group when nobody has claimed it)."""
    kind = str(params.get("kind") or "reminder")
    if kind not in ("reminder", "escalation"):
        raise ValueError("a reminder's kind is reminder (催办) or escalation (督办)")
    subject = str(params.get("subject") or "催办 / Reminder").strip()
    due = parse_instant(ctx.data.get(params.get("due_field") or ""))
    lines = [f"案件 {case_label(ctx)}：{subject}"]
    if due:
        lines.append(f"期限 / due: {show(due)}")
    if params.get("body"):
        lines.append(str(params["body"]))
    body = "\n".join(lines)
    users = (ctx.data.get("task_candidates") or {}).get(params.get("task") or "") or []
    if users:
        notes = [{"to_user": u, "subject": subject, "body": body, "kind": kind} for u in users]
    else:
        group = str(params.get("to_group") or "").strip()
        if not group:
            raise ValueError("a reminder needs a group (to_group) or a task with named candidates")
        notes = [{"to_group": group, "subject": subject, "body": body, "kind": kind}]
        if params.get("task"):
            notes[0]["task"] = str(params["task"])
    return {"notifications": notes, "audit": [{"kind": kind, "detail": {"subject": subject}}]}


def register(registry: HandlerRegistry) -> None:
    registry.register("messages.post", post)
    registry.register("messages.transfer_notice", transfer_notice)
    registry.register("messages.remind", remind)
