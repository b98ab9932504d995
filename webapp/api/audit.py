"""The audit log for auditors: its integrity check, and its events across cases and admin acts."""
from __future__ import annotations

from flask import request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import query_int, query_moment, query_page
from .respond import NO_STORE, reply


@bp.get("/audit/verify")
@staff_required("auditor")
def verify_audit(actor):
    """Walk the hash chain: `{"ok", "events", "first_bad_seq"}`."""
    return reply(engine().verify_audit())


@bp.get("/audit/events")
@staff_required("auditor")
def audit_events(actor):
    """The log newest first, filtered by `actor`, `kind`, `case` (id), `from` and `to` (ISO
    date or instant, inclusive; a bare `to` date includes that whole day), paged by `limit` and `cursor`."""
    details: dict[str, str] = {}
    filters = {"actor": (request.args.get("actor") or "").strip()[:80] or None,
               "kind": (request.args.get("kind") or "").strip()[:80] or None,
               "case_id": query_int("case", 0, 1, None, details) or None,
               "since": query_moment("from", details),
               "until": query_moment("to", details, end_of_day=True),
               **query_page(details)}
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().audit_events(actor, **filters), 200, NO_STORE)
