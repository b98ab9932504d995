"""The audit log for auditors: its integrity check, and its events across cases and admin acts."""
from __future__ import annotations

from flask import request, send_file

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import query_choice, query_int, query_moment, query_page
from .respond import NO_STORE, reply
from ..exports import AUDIT_COLUMNS, csv_file


@bp.get("/audit/verify")
@staff_required("auditor")
def verify_audit(actor):
    """Walk the hash chain: `{"ok", "events", "first_bad_seq", "problem", "message"}`; `problem`
    is edited, deleted or inserted (what happened to the first bad row), null when intact."""
    return reply(engine().verify_audit())


@bp.get("/audit/events")
@staff_required("auditor")
def audit_events(actor):
    """The log newest first, filtered by `actor`, `kind`, `case` (id), `from` and `to` (ISO
    date or instant, inclusive; a bare `to` date includes that whole day), paged by `limit` and `cursor`."""
    filters = _filters()
    return reply(engine().audit_events(actor, **filters), 200, NO_STORE)


def _filters() -> dict:
    details: dict[str, str] = {}
    filters = {"actor": (request.args.get("actor") or "").strip()[:80] or None,
               "kind": (request.args.get("kind") or "").strip()[:80] or None,
               "case_id": query_int("case", 0, 1, None, details) or None,
               "since": query_moment("from", details),
               "until": query_moment("to", details, end_of_day=True),
               **query_page(details)}
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return filters


@bp.get("/audit/export")
@staff_required("auditor")
def export_audit_log(actor):
    """Every event matching the filters of /audit/events as CSV (`format=csv`), newest first,
    masked as the list is; the export is itself an audit event."""
    details: dict[str, str] = {}
    query_choice("format", ("csv",), details, "csv")
    if details:
        raise bad_input(details, "some query parameters are invalid")
    filters = {k: v for k, v in _filters().items() if k not in ("limit", "cursor")}
    write, opened = csv_file(AUDIT_COLUMNS)
    engine().export_audit_log(actor, write, **filters)
    response = send_file(opened(), mimetype="text/csv", as_attachment=True, download_name="audit-log.csv")
    response.headers.update(NO_STORE)
    return response
