"""Cases: file one, list and read them as the caller may, and the complainant's receipt view."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import paging, receipts, search
from engine.oversight import audit, reports
from engine.diagrams import definitions, type_rules
from engine.accounts import users
from engine.confidential.access import listed_case_ids, load_visible_case, may_reveal_identity, may_see_identity, visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.confidential.disclosure import guard_sealed, log_read
from engine.errors import Forbidden, InvalidInput, NotFound, Rejected, TooLarge
from engine.forms import personal_fields, public_values, unstorable_text, validate_form
from engine.models import Attachment, Case, CaseMessage, ProcessDefinition, Task, data_text
from engine.steps import CaseStep
from engine.tasks import describe_task

MASK = "●●●"
COMPLAINANT_MESSAGE = "complainant_message"  # the BPMN message a diagram catches to hear the complainant
SAFE_FILENAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def file_case(ctx: EngineContext, session: Session, actor: Actor | None, type_key: str, data: dict,
              attachments: list[dict], anonymous: bool) -> dict:
    """Validate the intake, start the case, run it to its first wait, save it all at once."""
    definition = definitions.latest(session, type_key)
    if actor is None and not definition.public:
        raise NotFound(f"no complaint type {type_key!r}")
    summary = definition.summary
    intake = summary.get("intake_form") or {}
    intake_group = summary.get("intake_lane")
    if actor is not None and intake_group and not actor.has_role("admin") and intake_group not in actor.groups:
        raise Forbidden(f"only the {intake_group} group files {definition.key} cases for complainants")
    if not isinstance(data, dict):
        raise InvalidInput("the report data must be an object", {"data": "expected an object"})
    if not isinstance(anonymous, bool) or not isinstance(data.get("anonymous", False), bool):
        raise InvalidInput("anonymous must be true or false", {"anonymous": "must be true or false"})
    if anonymous and not summary.get("anonymous_allowed"):
        raise Rejected("this type of complaint cannot be filed anonymously; a written complaint needs the "
                       "complainant's name and signature. Report misconduct anonymously through the "
                       "internal report channel instead.", {"anonymous": "not allowed for this type"},
                       code="anonymity_not_allowed")
    data = dict(data)
    if actor is None:  # a public filing: the fields it is not asked take the form's x-public value
        for name, value in public_values(intake).items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
    if "anonymous" in (intake.get("properties") or {}):
        data["anonymous"] = bool(anonymous or data.get("anonymous"))
        anonymous = data["anonymous"]
    secret_names = personal_fields(intake)
    if anonymous:
        for name in secret_names:
            data.pop(name, None)
    accepted = validate_form(intake, data, today=ctx.now().astimezone(ctx.zone).date())
    files = _check_attachments(ctx, intake, attachments or [])
    personal = {k: accepted.pop(k) for k in secret_names if k in accepted}

    now = ctx.now()
    case = Case(definition_id=definition.id, type_key=definition.key, status="open", workflow_json="{}",
                data={}, confidential=bool(intake.get("x-confidential")), anonymous=bool(anonymous),
                category=accepted.get("category"), filed_by=actor.username if actor else None,
                first_responsible=actor.username if actor else None,
                personal_sealed=ctx.cipher.seal(personal) if personal else None,
                deadlines={}, created_at=now, updated_at=now)
    receipt, lookup = receipts.new_receipt()
    case.receipt_lookup, case.receipt_hash = lookup, receipts.hash_receipt(receipt, ctx.hash_cost)
    session.add(case)
    session.flush()
    search.index_case(ctx, session, case, intake, accepted, personal)
    for f in files:
        session.add(Attachment(case_id=case.id, uploaded_at=now, **{**f, "data": ctx.cipher.seal_bytes(f["data"])}))
    step = CaseStep(ctx, session, case, definition, actor.username if actor else "complainant", now)
    step.audit("case_filed", {"type": definition.key, "version": definition.version,
                              "channel": accepted.get("channel") or ("staff" if actor else "public"),
                              "attachments": len(files), "anonymous": bool(anonymous)})
    if summary.get("case_prefix"):  # the diagram's casePrefix: numbered as filed (handlers keep it)
        case.number = step.lookups.next_number(summary["case_prefix"])
        accepted["case_number"] = case.number
    step.start(accepted)
    step.finish()
    return {"id": case.id, "number": case.number, "status": case.status, "receipt": receipt}


def attach_task_files(ctx: EngineContext, session: Session, task: dict, form: dict | None, attachments: list[dict],
                      username: str) -> int:
    """Files sent with a task's form (only a form with `x-attachments` takes them), kept encrypted
    on the case and audited; the complainant's view does not list them."""
    if not attachments:
        return 0
    if not (form or {}).get("x-attachments"):
        raise InvalidInput("this task's form takes no files", {"attachments": "this form takes no files"})
    files = _check_attachments(ctx, form, attachments)
    now = ctx.now()
    for f in files:
        session.add(Attachment(case_id=task["case_id"], uploaded_at=now, uploaded_by=username,
                               **{**f, "data": ctx.cipher.seal_bytes(f["data"])}))
    audit.record(session, at=now, actor=username, kind="task_files_attached", case_id=task["case_id"],
                 detail={"task": task["id"], "element_id": task.get("element_id"),
                         "files": [f["filename"] for f in files]})
    return len(files)


def _check_attachments(ctx: EngineContext, intake: dict, attachments: list[dict]) -> list[dict]:
    rule = intake.get("x-attachments") or {}
    minimum = int(rule.get("min", 0))
    if len(attachments) < minimum:
        raise InvalidInput("evidence is missing", {"attachments": f"at least {minimum} file(s) of evidence are required"})
    if len(attachments) > ctx.settings.max_attachments:
        raise InvalidInput("too many files", {"attachments": f"at most {ctx.settings.max_attachments} files"})
    out = []
    for i, item in enumerate(attachments):
        content = item.get("data")
        if not isinstance(content, (bytes, bytearray)) or not item.get("filename"):
            raise InvalidInput("an attachment is malformed", {f"attachments.{i}": "needs a filename and content"})
        if not content:
            raise InvalidInput("an attachment is empty", {f"attachments.{i}": "the file is empty"})
        if len(content) > ctx.settings.max_attachment_bytes:
            raise TooLarge("an attachment is too large", {f"attachments.{i}": "at most 10 MiB per file"})
        name = SAFE_FILENAME.sub("_", str(item["filename"]).split("/")[-1].split("\\")[-1])[:200] or "file"
        out.append({"filename": name, "content_type": str(item.get("content_type") or "application/octet-stream")[:100],
                    "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "data": bytes(content)})
    return out


# --- reading ---------------------------------------------------------------------------------

def summarize(case, type_name: str, now: datetime) -> dict:
    """A case as lists show it (`case`: a case row or a row of the list's columns)."""
    next_due = aware(case.next_due)
    return {"id": case.id, "number": case.number, "type": case.type_key, "type_name": type_name,
            "status": case.status, "category": case.category, "confidential": case.confidential,
            "created_at": to_iso(aware(case.created_at)), "closed_at": to_iso(aware(case.closed_at)),
            "next_due": to_iso(next_due), "overdue": bool(next_due and next_due < now and case.status == "open")}


LIST_COLUMNS = (Case.id, Case.number, Case.type_key, Case.status, Case.category, Case.confidential,
                Case.created_at, Case.closed_at, Case.next_due, ProcessDefinition.name.label("type_name"))


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` taken literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_cases(ctx: EngineContext, session: Session, actor: Actor, type: str | None, status: str | None,
               overdue: bool, q: str | None, page: int | None = None, per_page: int | None = None,
               cursor: str | None = None, behind: dict | None = None) -> dict:
    """Newest first, filtered in SQL. Paged by `cursor` (keyset on id: as fast on the last page
    as on the first) or, for old links, by `page` and `per_page`. `behind`: the cases behind a
    report number (see reports.case_conditions)."""
    now = ctx.now()
    n = paging.check_limit(per_page)
    after = paging.decode("cases", cursor, (int,))
    matching = matching_cases(ctx, session, actor, type, status, overdue, q, now, behind)
    query = listed_columns(matching)
    if after is not None:
        query = query.where(Case.id < after[0])
    elif page and page > 1:
        query = query.offset((page - 1) * n)
    rows = session.execute(query.limit(n + 1)).all()
    if after is None and not (page and page > 1) and len(rows) <= n:
        total, estimate = len(rows), False  # the whole list is on this first page: no count to ask for
    else:
        unfiltered = not (type or status or overdue or (q and q.strip()) or behind)
        listed = listed_case_ids(actor, paging.COUNT_CAP + 1) if unfiltered else None  # the viewer index alone
        total, estimate = paging.capped_count(session, [listed if listed is not None else matching])
    nxt = paging.encode("cases", (rows[n - 1].id,)) if len(rows) > n else None
    return paging.answer([summarize(c, c.type_name, now) for c in rows[:n]], nxt, total, estimate,
                         page=page or 1, per_page=n)


def matching_cases(ctx: EngineContext, session: Session, actor: Actor, type: str | None, status: str | None,
                   overdue: bool, q: str | None, now: datetime, behind: dict | None = None):
    """The ids of the cases the actor may see that match the list's filters (a select); `q` finds
    cases by number, category, subject, description and names (engine.search); `behind`: the
    cases behind a report number (engine.oversight.reports.case_conditions)."""
    matching = select(Case.id).where(visible_cases(actor))
    if type:
        matching = matching.where(Case.type_key == type)
    if status:
        matching = matching.where(Case.status == status)
    if behind:
        matching = matching.where(*reports.case_conditions(session, type, behind))
    if behind:
        matching = matching.where(*reports.case_conditions(session, type, behind))
    if overdue:
        matching = matching.where(Case.status == "open", Case.next_due < now)
    if q and q.strip():
        like = like_pattern(q.strip())
        matching = matching.where(or_(Case.category.ilike(like, escape="\\"), search.matching_cases(ctx, session, q)))
    return matching


def listed_columns(matching):
    """The list's columns of the matching cases, newest first."""
    return (matching.with_only_columns(*LIST_COLUMNS)
            .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id).order_by(Case.id.desc()))


def case_detail(ctx: EngineContext, session: Session, actor: Actor, case_id: int, opened: bool = False,
                omit_identity: bool = False) -> dict:
    """The case as `actor` may see it. `opened`: reached through a sealed-case opening or an export
    (which log themselves); `omit_identity`: personal fields left out, not even masked."""
    case = load_visible_case(session, actor, case_id)
    guard_sealed(ctx, session, actor, case, opened)
    if not opened:
        log_read(session, ctx, actor, case, "case")
    now = ctx.now()
    definition = ctx.definitions.get(session, case.definition_id)
    detail = summarize(case, definition.name, now)
    data = dict(case.data or {})
    intake = definition.summary.get("intake_form") or {}
    names = personal_fields(intake)
    personal = ctx.cipher.open(case.personal_sealed) if case.personal_sealed else {}
    show = may_see_identity(actor, case)
    for name in names:
        if name in personal and not omit_identity:
            data[name] = personal[name] if show else MASK
    tasks = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id))
    messages = session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id))
    files = session.execute(select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size,
                                   Attachment.uploaded_by, Attachment.message_id)  # never the files' bytes
                            .where(Attachment.case_id == case.id).order_by(Attachment.id)).all()
    attachments = [{"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                    "uploaded_by": f.uploaded_by, "message_id": f.message_id} for f in files]
    detail.update({
        "version": definition.version, "definition_version": definition.version, "data": data,
        "deadlines": dict(case.deadlines or {}), "anonymous": case.anonymous,
        "open_tasks": users.group_labels(session, [describe_task(t, case, definition, now) for t in tasks]),
        "messages": [{"id": m.id, "at": to_iso(aware(m.at)), "direction": m.direction, "kind": m.kind,
                      "body": m.body, "author": m.author,
                      "attachments": [a for a in attachments if a["message_id"] == m.id]} for m in messages],
        "attachments": attachments,
        "failure": case.failure, "personal_masked": bool(names) and (omit_identity or not show),
        "sealed": case.status == "sealed", "personal_erased": case.personal_erased_at is not None,
        "deadline_labels": type_rules.deadline_labels(definition.summary),
        "may_reveal_identity": case.confidential and may_reveal_identity(actor, definition.summary),
    })
    field = definition.summary.get("complainant_history_field")
    if field:  # the diagram's complainantHistoryField: earlier cases of the same complainant, for the review
        detail["complainant_history"] = complainant_record(session, actor, case, field)
    return detail


def complainant_record(session: Session, actor: Actor, case: Case, field: str) -> dict:
    """The complainant's earlier cases of this type (same value in `field`) the viewer may see, and
    how many were found baseless in the last 12 months (财政部94号令 Art. 37: repeat baseless complaints)."""
    name = str((case.data or {}).get(field) or "")
    earlier = session.scalars(select(Case).where(
        Case.type_key == case.type_key, Case.id != case.id, visible_cases(actor),
        data_text(field) == name).order_by(Case.created_at.desc())) if name else []
    items = [{"id": c.id, "number": c.number, "status": c.status, "outcome": (c.data or {}).get("outcome"),
              "baseless": bool((c.data or {}).get("baseless")), "project_code": (c.data or {}).get("project_code"),
              "closed_at": to_iso(aware(c.closed_at))} for c in earlier]
    year_ago = aware(case.created_at) - timedelta(days=365)
    recent = [i for i in items
              if i["baseless"] and i["closed_at"] and datetime.fromisoformat(i["closed_at"]) >= year_ago]
    flags = list((case.data or {}).get("flags") or [])
    return {"complainant": name, "cases": items, "baseless_last_12_months": len(recent),
            "repeat_baseless": "repeat_baseless" in flags}


def attachment(ctx: EngineContext, session: Session, actor: Actor, case_id: int, attachment_id: int) -> dict:
    case = load_visible_case(session, actor, case_id)
    guard_sealed(ctx, session, actor, case, False)
    log_read(session, ctx, actor, case, f"attachment {attachment_id}")
    f = session.get(Attachment, attachment_id)
    if f is None or f.case_id != case.id:
        raise NotFound("no such attachment")
    return {"filename": f.filename, "content_type": f.content_type, "data": ctx.cipher.open_bytes(f.data)}


# --- the complainant's view ----------------------------------------------------------------------

def find_by_receipt(ctx: EngineContext, session: Session, receipt: str) -> Case:
    parts = receipts.split(receipt)
    case = None
    if parts:
        case = session.scalars(select(Case).where(Case.receipt_lookup == parts[0])).first()
    if not receipts.check_receipt(receipt, case.receipt_hash if case else None, ctx.hash_cost):
        raise NotFound("no case with this receipt")
    return case


def public_view(ctx: EngineContext, session: Session, receipt: str) -> dict:
    return public_view_of(ctx, session, find_by_receipt(ctx, session, receipt))


def public_view_of(ctx: EngineContext, session: Session, case: Case) -> dict:
    """What the complainant sees of a case whose receipt was already verified."""
    definition = ctx.definitions.get(session, case.definition_id)
    messages = list(session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)))
    from_complainant = {m.id for m in messages if m.direction == "from_complainant"}
    files = session.execute(select(Attachment.filename, Attachment.size, Attachment.message_id)
                            .where(Attachment.case_id == case.id, Attachment.uploaded_by.is_(None))
                            .order_by(Attachment.id)).all()
    sent = {}  # the complainant's own files: those filed with the report and with their messages
    for f in files:
        if f.message_id is None or f.message_id in from_complainant:
            sent.setdefault(f.message_id, []).append({"filename": f.filename, "size": f.size})
    return {
        "files": sent.get(None, []),
        "number": case.number, "type": case.type_key, "type_name": definition.name, "status": case.status,
        "created_at": to_iso(aware(case.created_at)),
        "messages": [{"id": m.id, "at": to_iso(aware(m.at)), "kind": m.kind,
                      "from": "complainant" if m.direction == "from_complainant" else "organisation",
                      "body": m.body, "files": sent.get(m.id, [])} for m in messages if m.kind != "request"],
        "requests": [{"id": m.id, "at": to_iso(aware(m.at)), "body": m.body, "answered": m.answered}
                     for m in messages if m.kind == "request"],
    }


def post_public_message(ctx: EngineContext, session: Session, receipt: str, body: str,
                        attachments: list[dict]) -> dict:
    """The complainant writes: answers open requests, and staff see it on the case."""
    _check_message(body)
    return post_message_to(ctx, session, find_by_receipt(ctx, session, receipt), body, attachments)


def write_to_complainant(ctx: EngineContext, session: Session, actor: Actor, case_id: int, body: str) -> dict:
    """Staff who may see the case write to its complainant or reporter: the message appears on the
    tracking page (and goes to the outbox when an address is known), audited. A sealed case takes
    no messages; on a confidential one the author's name is not shown to the reporter."""
    _check_message(body)
    case = load_visible_case(session, actor, case_id, for_update=True)
    if case.status == "sealed":
        raise NotFound("no such case")
    now = ctx.now()
    step = CaseStep(ctx, session, case, ctx.definitions.get(session, case.definition_id), actor.username, now)
    step.post_to_complainant("message", body.strip(), author=actor.username)
    audit.record(session, at=now, actor=actor.username, kind="message_to_complainant", case_id=case.id,
                 detail={"characters": len(body.strip())})
    return {"case_id": case.id, "at": to_iso(now)}


def _check_message(body) -> None:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("the message is empty", {"body": "this field is required"})
    if unstorable_text(body):
        raise InvalidInput("the message cannot be stored", {"body": unstorable_text(body)})
    if len(body) > 10000:
        raise InvalidInput("the message is too long", {"body": "at most 10000 characters"})


def post_message_to(ctx: EngineContext, session: Session, case: Case, body: str, attachments: list[dict]) -> dict:
    """`post_public_message` for a case whose receipt was already verified."""
    _check_message(body)
    files = _check_attachments(ctx, {}, attachments or [])
    now = ctx.now()
    message = CaseMessage(case_id=case.id, at=now, direction="from_complainant", kind="message", body=body.strip())
    session.add(message)
    session.flush()
    for f in files:
        session.add(Attachment(case_id=case.id, message_id=message.id, uploaded_at=now,
                               **{**f, "data": ctx.cipher.seal_bytes(f["data"])}))
    for request in session.scalars(select(CaseMessage).where(
            CaseMessage.case_id == case.id, CaseMessage.kind == "request", CaseMessage.answered.is_(False))):
        request.answered = True
    audit.record(session, at=now, actor="complainant", kind="complainant_message", case_id=case.id,
                 detail={"message": message.id, "attachments": len(files)})
    if case.status in ("open", "pending"):
        definition = ctx.definitions.get(session, case.definition_id)
        step = CaseStep(ctx, session, case, definition, "complainant", now)
        step.restore()
        if case.status == "pending":  # 暂存待查: new information puts the report back before its triage
            if step.reopen_last_decision({"new_information": body.strip()}):
                step.finish()
        elif step.deliver_message(COMPLAINANT_MESSAGE, {"complainant_message": body.strip()}):
            step.finish()
    return {"id": message.id, "at": to_iso(now)}
