"""The audit log across all cases and admin acts, for auditors: one page at a time, newest first.

Filtered in SQL (who acted, what kind, which case, a period) on indexed columns and paged by
`seq` (a cursor names the last event shown), so a page costs the same with a thousand events as
with ten million. Shown as `disclosure.history` shows one case's events: identity values of a
confidential case masked; the details of a sealed case withheld (it opens with a reason, on its
own page). Reading the log is itself an event, naming the filters and the confidential cases the
page showed (seed 001: every read of a report leaves a trace).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.confidential.disclosure import SEALED, secrets_of
from engine.errors import Forbidden
from engine.models import AuditEvent, Case

WITHHELD = {"withheld": "sealed case: open it with a reason to read its events"}


def _matching(actor: str | None, kind: str | None, case_id: int | None, since: datetime | None,
              until: datetime | None):
    matching = select(AuditEvent.seq)
    if actor:
        matching = matching.where(AuditEvent.actor == actor)
    if kind:
        matching = matching.where(AuditEvent.kind == kind)
    if case_id is not None:
        matching = matching.where(AuditEvent.case_id == case_id)
    if since is not None:
        matching = matching.where(AuditEvent.at >= since)
    if until is not None:
        matching = matching.where(AuditEvent.at <= until)
    return matching


def _filters_named(actor, kind, case_id, since, until) -> dict:
    return {k: v for k, v in (("actor", actor), ("kind", kind), ("case", case_id),
                              ("from", to_iso(since)), ("to", to_iso(until))) if v}


EXPORT_PAGE = 500


def export_events(ctx: EngineContext, session: Session, reader: Actor, write: Callable[[Iterator[list[dict]]], None],
                  *, actor: str | None = None, kind: str | None = None, case_id: int | None = None,
                  since: datetime | None = None, until: datetime | None = None) -> int:
    """Every event matching the filters, newest first, handed to `write` as an iterator of pages
    of EXPORT_PAGE (masked as the page shows them); recorded as `audit_log_exported`."""
    if not reader.has_role("auditor"):
        raise Forbidden("the audit log is for auditors")
    query = _matching(actor, kind, case_id, since, until).with_only_columns(AuditEvent).order_by(AuditEvent.seq.desc())
    counted = [0]

    def pages() -> Iterator[list[dict]]:
        before = None
        while True:
            rows = list(session.scalars((query if before is None else query.where(AuditEvent.seq < before))
                                        .limit(EXPORT_PAGE)))
            if not rows:
                return
            counted[0] += len(rows)
            before = rows[-1].seq
            yield _shown_as_auditors_may(ctx, session, rows)
            if len(rows) < EXPORT_PAGE:
                return

    audit.write_pending(session)
    write(pages())
    audit.record(session, at=ctx.now(), actor=reader.username, kind="audit_log_exported",
                 detail={"filters": _filters_named(actor, kind, case_id, since, until), "count": counted[0]})
    return counted[0]


def events_page(ctx: EngineContext, session: Session, reader: Actor, *, actor: str | None = None,
                kind: str | None = None, case_id: int | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int | None = None, cursor: str | None = None) -> dict:
    """One page of events matching the filters (each optional; `since` and `until`
    inclusive), newest first: {"items", "next", "total"}."""
    if not reader.has_role("auditor"):
        raise Forbidden("the audit log is for auditors")
    n = paging.check_limit(limit)
    before = paging.decode("audit", cursor, (int,))
    matching = _matching(actor, kind, case_id, since, until)
    page = matching.with_only_columns(AuditEvent).order_by(AuditEvent.seq.desc())
    if before is not None:
        page = page.where(AuditEvent.seq < before[0])
    rows = list(session.scalars(page.limit(n + 1)))
    total, estimate = paging.capped_count(session, [matching])
    shown = rows[:n]
    items = _shown_as_auditors_may(ctx, session, shown)
    nxt = paging.encode("audit", (shown[-1].seq,)) if len(rows) > n else None
    confidential = sorted({i["case_id"] for i in items if i["confidential"]})
    audit.record(session, at=ctx.now(), actor=reader.username, kind="audit_log_read",
                 detail={"filters": _filters_named(actor, kind, case_id, since, until),
                         "confidential_cases": confidential})
    return paging.answer(items, nxt, total, estimate)


def _shown_as_auditors_may(ctx: EngineContext, session: Session, events: list[AuditEvent]) -> list[dict]:
    """The events with confidential identity masked and sealed cases' details withheld; the
    page's cases are read in one statement (at most one row per event on the page)."""
    case_ids = {e.case_id for e in events if e.case_id is not None}
    cases = {c.id: c for c in session.execute(
        select(Case.id, Case.number, Case.status, Case.confidential, Case.personal_sealed)
        .where(Case.id.in_(case_ids)))} if case_ids else {}
    secrets = {cid: secrets_of(ctx, c) for cid, c in cases.items() if c.confidential}
    out = []
    for e in events:
        case = cases.get(e.case_id)
        detail = json.loads(e.detail)
        if case is not None and case.status == SEALED:
            detail = WITHHELD
        elif case is not None and case.confidential:
            detail = audit.masked(detail, secrets[case.id])
        out.append({"seq": e.seq, "at": to_iso(aware(e.at)), "actor": e.actor, "kind": e.kind,
                    "case_id": e.case_id, "case_number": case.number if case else None,
                    "element_id": e.element_id, "detail": detail, "confidential": bool(case and case.confidential)})
    return out
