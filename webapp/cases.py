"""Cases for staff: a filtered list, one case in full, its history and its attachments.

A case the viewer may not see answers 404 exactly like a case that does not exist.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.errors import Forbidden, InvalidInput

from .auth import current_actor, login_required
from .clock import show_clock
from .forms_render import case_facts
from .i18n import STATUS_LABELS

bp = Blueprint("cases", __name__)

PER_PAGE = 20


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def list_filters() -> dict:
    """The list's filters and position from the query string, cleaned."""
    page = request.args.get("page", "1")
    return {
        "type": request.args.get("type") or None,
        "status": request.args.get("status") if request.args.get("status") in STATUS_LABELS else None,
        "overdue": request.args.get("overdue") in ("1", "on", "true"),
        "q": (request.args.get("q") or "").strip()[:100] or None,
        "page": min(max(int(page), 1), 100000) if page.isdigit() and len(page) < 10 else 1,
        "cursor": request.args.get("after") or None,
        "behind": report_filter(),
    }


BEHIND_ARGS = ("filed_from", "filed_to", "closed", "field", "value")


def report_filter() -> dict | None:
    """The cases behind a report number (links from /reports): filed in a period of local days,
    closed, a report field's value. None without those arguments."""
    if not any(request.args.get(name) for name in BEHIND_ARGS):
        return None
    zone = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")
    behind: dict = {"closed": request.args.get("closed") == "1",
                    "field": (request.args.get("field") or "")[:80] or None, "value": (request.args.get("value") or "")[:200]}
    for name, shift in (("filed_from", 0), ("filed_to", 1)):
        try:
            day = date.fromisoformat((request.args.get(name) or "")[:10])
        except ValueError:
            continue
        behind[name] = datetime.combine(day + timedelta(days=shift), time.min, zone)
    return behind


@bp.route("/cases")
@login_required
def index():
    """The cases the viewer may see, newest first, filtered by type, status, overdue and a search
    term; "Next" pages on by cursor (`after`), old `page` links still work."""
    filters = list_filters()
    try:
        result = engine().list_cases(current_actor(), per_page=PER_PAGE, **filters)
    except InvalidInput as error:  # a stale or edited cursor: the first page with the same filters
        dropped = ("after", "page") if not (error.details or {}).get("field") else ("after", "page", *BEHIND_ARGS)
        if "field" in (error.details or {}):
            flash(_("That report filter does not apply: %(reason)s", reason=error.message), "error")
        return redirect(url_for("cases.index", **{k: v for k, v in request.args.items() if k not in dropped}))
    return render_template("cases/list.html", result=result, filters=filters,
                           types=engine().list_process_types(), statuses=STATUS_LABELS)


@bp.route("/cases/<id:case_id>")
@login_required
def detail(case_id: int):
    """One case: facts, deadlines, open tasks, messages and attachments (a sealed one: the form to open it)."""
    try:
        page = engine().case_page(current_actor(), case_id)
    except Forbidden as error:
        if error.code != "sealed":
            raise
        return render_template("cases/sealed.html", case_id=case_id), 403
    return render_case(page)


def render_case(page: dict, status: int = 200):
    """The case page from one `ComplaintEngine.case_page*` answer; `revealed` (an identity the
    committee asked for) and `events` (an opened sealed case's history) are shown only in the
    answer to that request, never stored."""
    case = page["case"]
    facts, recorded = case_facts(case.get("data"), page.get("intake_form") or {})
    show_clock(case["id"], page.get("clock"))
    return render_template("cases/detail.html", case=case, facts=facts, recorded=recorded,
                           revealed=page.get("revealed"), opened_events=page.get("events")), status


@bp.route("/cases/<id:case_id>/open-sealed", methods=("POST",))
@login_required
def open_sealed(case_id: int):
    """An auditor or the committee opens a sealed report with a reason (audited)."""
    try:
        opened = engine().case_page_opened(current_actor(), case_id, request.form.get("reason", ""))
    except InvalidInput as error:
        flash(_("The case was not opened: %(reason)s", reason=error.message), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    return render_case(opened)


@bp.route("/cases/<id:case_id>/reveal-identity", methods=("POST",))
@login_required
def reveal_identity(case_id: int):
    """The committee sees the reporter's identity, with a reason (audited)."""
    try:
        page = engine().case_page_revealing(current_actor(), case_id, request.form.get("reason", ""))
    except InvalidInput as error:
        flash(_("The identity was not revealed: %(reason)s", reason=error.message), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    return render_case(page)


@bp.route("/cases/<id:case_id>/history")
@login_required
def history(case_id: int):
    """Every event of the case in order: who, when, what."""
    cursor = request.args.get("after") or None
    try:
        page = engine().case_history_page(current_actor(), case_id, limit=100, cursor=cursor)
    except InvalidInput:  # a stale or edited cursor: the first page
        return redirect(url_for("cases.history", case_id=case_id))
    return render_template("cases/history.html", case=page["case"], events=page["events"], cursor=cursor,
                           next_cursor=page["next"])


@bp.route("/cases/<id:case_id>/attachments/<id:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int):
    """Download an attachment (always as a download, never rendered inline)."""
    found = engine().get_attachment(current_actor(), case_id, attachment_id)
    return send_file(BytesIO(found["data"]), mimetype="application/octet-stream", as_attachment=True,
                     download_name=found["filename"])
