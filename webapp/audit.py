"""The audit page for auditors: the log across all cases and admin acts, filtered by who, what
kind, which case and a period, paged by cursor, exported as CSV; and the button that checks the
hash chain and names the first edited, deleted or inserted row."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput

from .api.parsing import moment_of
from .auth import current_actor, roles_required
from .exports import AUDIT_COLUMNS, csv_file
from .timeline_text import EVENT_LABELS

bp = Blueprint("audit", __name__)

PER_PAGE = 50


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def _filters() -> tuple[dict, dict]:
    """(the filters as the engine takes them, the problems by field) from the query string."""
    args, problems = request.args, {}
    case = (args.get("case") or "").strip()
    if case and not (case.isdigit() and len(case) < 10):
        problems["case"] = _("a case id is a whole number")
    filters = {"actor": (args.get("actor") or "").strip()[:80] or None,
               "kind": (args.get("kind") or "").strip()[:80] or None,
               "case_id": int(case) if case and "case" not in problems else None,
               "since": moment_of(args.get("from") or "", "from", problems) if (args.get("from") or "").strip() else None,
               "until": (moment_of(args.get("to") or "", "to", problems, end_of_day=True)
                         if (args.get("to") or "").strip() else None)}
    return filters, problems


@bp.route("/audit")
@roles_required("auditor")
def index():
    """One page of the log, newest first, with the filters in the query string."""
    filters, problems = _filters()
    cursor = request.args.get("after") or None
    result = {"items": [], "next": None, "total": 0}
    if not problems:
        try:
            result = engine().audit_events(current_actor(), **filters, limit=PER_PAGE, cursor=cursor)
        except InvalidInput:  # a stale or edited cursor: the first page with the same filters
            return redirect(url_for("audit.index", **{k: v for k, v in request.args.items() if k != "after"}))
    kinds = sorted(EVENT_LABELS, key=lambda k: str(EVENT_LABELS[k]))
    return render_template("audit/index.html", result=result, args=request.args, problems=problems,
                           kinds=[(k, str(EVENT_LABELS[k])) for k in kinds], cursor=cursor, verdict=None), \
        400 if problems else 200


@bp.route("/audit/verify", methods=("POST",))
@roles_required("auditor")
def verify():
    """Walk the chain now and say whether it is intact, or which row is the first bad one."""
    verdict = engine().verify_audit()
    return render_template("audit/index.html", result=None, args={}, problems={}, kinds=[], cursor=None,
                           verdict=verdict)


@bp.route("/audit/export.csv")
@roles_required("auditor")
def export():
    """Every event matching the filters as CSV (newest first); the export is itself logged."""
    filters, problems = _filters()
    if problems:
        return redirect(url_for("audit.index", **request.args))
    write, opened = csv_file(AUDIT_COLUMNS)
    engine().export_audit_log(current_actor(), write, **filters)
    return send_file(opened(), mimetype="text/csv", as_attachment=True, download_name="audit-log.csv")
