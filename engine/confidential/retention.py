"""Retention: a closed case's personal data is erased after its type's period.

The case itself stays (number, dates, outcome, the path it took, the audit chain) so statistics
and audits still work; what goes is who complained or reported and how to reach them: the sealed
personal fields, the naming fields kept in the data, the complainant's own messages and files,
the mail addresses, and the receipt (the mailbox closes). The erasure event records a SHA-256 of
what was erased, never the values; earlier events that quoted them are redacted, and since the
chain covers each detail's hash (see engine.oversight.audit) it still verifies.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import search
from engine.oversight import audit
from engine.diagrams import definitions
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Attachment, Case, CaseMessage, Notification, OutboxMail, TypeSetting

ERASED = "[已删除 / erased]"
# Data fields that name people although they are not sealed (names of complainants and the accused).
NAMING_FIELDS = ("complainant_name", "contact_person", "accused_name", "accused_username", "accused_staff")
MAX_DAYS = 36500


def settings(session: Session) -> list[dict]:
    """Every type with its retention period (None: kept until an admin sets one)."""
    rows = {r.key: r for r in session.scalars(select(TypeSetting))}
    return [{"type": d.key, "name": d.name, "retention_days": getattr(rows.get(d.key), "retention_days", None)}
            for d in definitions.latest_of_each(session)]


def set_retention(session: Session, actor: Actor, now: datetime, type_key: str, days) -> dict:
    """An admin sets how many days after closing a type's personal data is kept (None: no limit)."""
    if not actor.has_role("admin"):
        raise Forbidden("only admins set retention periods")
    definitions.latest(session, type_key)  # NotFound for an unknown type
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS):
        raise InvalidInput("bad retention period", {"retention_days": f"whole days from 1 to {MAX_DAYS}, or null"})
    row = session.get(TypeSetting, type_key) or TypeSetting(key=type_key)
    row.retention_days, row.updated_by, row.updated_at = days, actor.username, now
    session.add(row)
    audit.record(session, at=now, actor=actor.username, kind="retention_set",
                 detail={"type": type_key, "retention_days": days})
    return {"type": type_key, "retention_days": days}


def erase_due(ctx: EngineContext, session: Session, as_of: datetime) -> list[str]:
    """Erase personal data of every closed case past its type's period; returns their numbers."""
    erased = []
    for setting in session.scalars(select(TypeSetting).where(TypeSetting.retention_days.is_not(None))):
        cutoff = as_of - timedelta(days=setting.retention_days)
        due = session.scalars(select(Case).where(
            Case.type_key == setting.key, Case.status != "open", Case.closed_at.is_not(None),
            Case.closed_at <= cutoff, Case.personal_erased_at.is_(None)).order_by(Case.id))
        for case in due:
            erase_case(ctx, session, case, as_of)
            erased.append(case.number or str(case.id))
    return erased


def erase_case(ctx: EngineContext, session: Session, case: Case, now: datetime) -> None:
    """Remove one case's personal data everywhere it is kept, and record a digest of it."""
    if case.personal_erased_at is not None:
        raise NotFound("already erased")
    personal = ctx.cipher.open(case.personal_sealed) if case.personal_sealed else {}
    data = dict(case.data or {})
    naming = {k: data[k] for k in NAMING_FIELDS if isinstance(data.get(k), str) and data[k].strip()}
    values = [*personal.values(), *naming.values()]
    secrets = sorted({v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= 2}, key=len, reverse=True)
    digest = hashlib.sha256(json.dumps({**personal, **naming}, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    for key in naming:
        data[key] = ERASED
    case.data = scrub(data, secrets)
    case.workflow_json = json.dumps(scrub(json.loads(case.workflow_json), secrets))
    case.personal_sealed, case.receipt_lookup, case.receipt_hash = None, None, None
    case.personal_erased_at = now
    search.forget_personal(session, case.id, secrets)
    messages = list(session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)))
    for m in messages:
        m.body = ERASED if m.direction == "from_complainant" else scrub(m.body, secrets)
    files = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    for f in files:
        f.data, f.filename = b"", "erased"
    for mail in session.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id)):
        mail.recipient_sealed, mail.body = ctx.cipher.seal({}), scrub(mail.body, secrets)
    for note in session.scalars(select(Notification).where(Notification.case_id == case.id)):
        note.subject, note.body = scrub(note.subject, secrets), scrub(note.body, secrets)
    redacted = audit.redact(session, case.id, secrets, ERASED, now)
    audit.record(session, at=now, actor="system", kind=audit.ERASURE, case_id=case.id,
                 detail={"fields": sorted({*personal, *naming}), "sha256": digest, "messages": len(messages),
                         "attachments": len(files), "redacted_events": redacted})


def scrub(value, secrets: list[str]):
    """`value` with every secret text erased (strings inside dicts and lists too; keys untouched)."""
    return audit.masked(value, secrets, ERASED)
