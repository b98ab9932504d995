"""The audit log: append-only, hash-chained, verifiable.

Each event stores the SHA-256 of the previous event and of its own canonical content, so
editing or deleting any row breaks the chain at that row. Appends take the chain head row's
lock (`counter` 'audit_head'), so concurrent transactions on PostgreSQL never fork the chain.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from .clock import aware, to_iso
from .models import AuditEvent, Counter

GENESIS = "0" * 64
HEAD = "audit_head"


def _digest(prev_hash: str, seq: int, case_id: int | None, at: datetime, actor: str, kind: str,
            element_id: str | None, detail: str) -> str:
    at_utc = aware(at).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps([prev_hash, seq, case_id, at_utc, actor, kind, element_id, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def record(session: Session, *, at: datetime, actor: str, kind: str, case_id: int | None = None,
           element_id: str | None = None, detail: dict | None = None) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    head = session.scalars(select(Counter).where(Counter.name == HEAD).with_for_update()).first()
    if head is None:
        head = Counter(name=HEAD, value=0, text=GENESIS)
        session.add(head)
        session.flush()
    seq = head.value + 1
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    digest = _digest(head.text, seq, case_id, at, actor, kind, element_id, text)
    event = AuditEvent(seq=seq, case_id=case_id, at=at, actor=actor, kind=kind, element_id=element_id,
                       detail=text, prev_hash=head.text, hash=digest)
    head.value, head.text = seq, digest
    session.add(event)
    session.flush()
    return event


def verify(session: Session) -> dict:
    """Walk the chain: {"ok", "events", "first_bad_seq"}."""
    prev, expected_seq, count = GENESIS, 1, 0
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        count += 1
        good = (ev.seq == expected_seq and ev.prev_hash == prev and
                ev.hash == _digest(prev, ev.seq, ev.case_id, ev.at, ev.actor, ev.kind, ev.element_id, ev.detail))
        if not good:
            return {"ok": False, "events": count, "first_bad_seq": ev.seq}
        prev, expected_seq = ev.hash, ev.seq + 1
    head = session.get(Counter, HEAD)
    if head is not None and (head.value != expected_seq - 1 or head.text != prev):
        return {"ok": False, "events": count, "first_bad_seq": expected_seq}
    return {"ok": True, "events": count, "first_bad_seq": None}


def case_events(session: Session, case_id: int) -> list[dict]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))
    return [{"seq": e.seq, "at": to_iso(aware(e.at)), "actor": e.actor, "kind": e.kind,
             "element_id": e.element_id, "detail": json.loads(e.detail)} for e in rows]
