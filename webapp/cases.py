"""Cases for staff: a filtered list, one case in full, its history and its attachments.

A case the viewer may not see answers 404 exactly like a case that does not exist.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.errors import Forbidden, InvalidInput

from .auth import current_actor, login_required
from .clock import show_clock
from .forms_render import case_facts, option_words, result_sections
from .exports import case_file_labels, case_pdf, list_file
from .i18n import STATUS_LABELS
from .timeline_text import asked_language, asked_zone

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
        page = engine().case_page(current_actor(), case_id, comments_before=request.args.get("comments_before"))
    except InvalidInput:  # a stale or edited comments cursor: the newest comments
        return redirect(url_for("cases.detail", case_id=case_id))
    except Forbidden as error:
        if error.code != "sealed":
            raise
        return render_template("cases/sealed.html", case_id=case_id, open_endpoint="cases.open_sealed"), 403
    return render_case(page)


@bp.route("/cases/<id:case_id>/messages", methods=("POST",))
@login_required
def write_to_complainant(case_id: int):
    """Write to the complainant or reporter (shown on their tracking page); back to the case page."""
    body = request.form.get("body", "")
    result = engine().write_to_complainant(current_actor(), case_id, body)
    if "refused" in result:
        return render_case(result, 400, message_error=_("Please write your message."), message_body=body)
    flash(_("Your message was sent; it shows on the tracking page."), "success")
    return redirect(url_for("cases.detail", case_id=case_id) + "#messages-title", code=303)


def render_case(page: dict, status: int = 200, **forms):
    """The case page from one `ComplaintEngine.case_page*` answer; `revealed` (an identity the
    committee asked for) and `events` (an opened sealed case's history) are shown only in the
    answer to that request, never stored. `forms`: what a refused form on the page keeps
    (`message_error`/`message_body`, `comment_error`/`comment_body`/`comment_visibility`)."""
    case = page["case"]
    facts, _recorded = case_facts(case.get("data"), page.get("intake_form") or {})
    sections, recorded = result_sections(case.get("data"), page.get("forms"), page.get("intake_form"))
    show_clock(case["id"], page.get("clock"))
    return render_template("cases/detail.html", case=case, facts=facts, recorded=recorded, sections=sections,
                           revealed=page.get("revealed"), opened_events=page.get("timeline"),
                           comments=page.get("comments"), option_words=option_words(page.get("forms")),
                           **forms), status


@bp.route("/cases/<id:case_id>/open-sealed", methods=("POST",))
@login_required
def open_sealed(case_id: int):
    """An auditor or the committee opens a sealed report with a reason (audited)."""
    try:
        opened = engine().case_page_opened(current_actor(), case_id, request.form.get("reason", ""),
                                           lang=asked_language(), tz=asked_zone())
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
    """The case's history told for people, oldest first, in the reader's language and zone; the
    engine's own steps are shown only with `steps=1`."""
    cursor = request.args.get("after") or None
    steps = request.args.get("steps") == "1"
    try:
        page = engine().case_timeline_page(current_actor(), case_id, lang=asked_language(), tz=asked_zone(),
                                           engine_steps=steps, limit=100, cursor=cursor)
    except InvalidInput:  # a stale or edited cursor: the first page
        return redirect(url_for("cases.history", case_id=case_id, **({"steps": "1"} if steps else {})))
    return render_template("cases/history.html", case=page["case"], timeline=page["timeline"], cursor=cursor,
                           steps=steps)


def _export_reason() -> str | None:
    return (request.form.get("reason") or request.args.get("reason") or "").strip() or None


def _case_file(case_id: int, fmt: str) -> dict:
    return engine().export_case_file(current_actor(), case_id, fmt, _export_reason(),
                                     lang=asked_language(), tz=asked_zone())


@bp.route("/cases/<id:case_id>/print", methods=("GET", "POST"))
@login_required
def print_file(case_id: int):
    """The case file as a print-styled page (the 处理单 layout); an export, so it is audited."""
    try:
        document = _case_file(case_id, "html")
    except InvalidInput as error:
        flash(_("The case file was not made: %(reason)s", reason=error.message), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    return render_template("cases/print.html", doc=document, labels=case_file_labels())


@bp.route("/cases/<id:case_id>/export.<any(pdf, json):fmt>", methods=("GET", "POST"))
@login_required
def export_file(case_id: int, fmt: str):
    """The case file as PDF or JSON, downloaded; audited."""
    try:
        document = _case_file(case_id, fmt)
    except InvalidInput as error:
        flash(_("The case file was not made: %(reason)s", reason=error.message), "error")
        return redirect(url_for("cases.detail", case_id=case_id))
    name = f"{document['case'].get('number') or case_id}.{fmt}"
    if fmt == "pdf":
        body, mimetype = case_pdf(document, document["lang"]), "application/pdf"
    else:
        body, mimetype = json.dumps(document, ensure_ascii=False, indent=1).encode(), "application/json"
    response = send_file(BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/export.<any(csv, xlsx):fmt>")
@login_required
def export_list(fmt: str):
    """The case list with the current filters as CSV or XLSX; audited."""
    filters = {k: v for k, v in list_filters().items() if k in ("type", "status", "overdue", "q")}
    write, opened = list_file(fmt)
    engine().export_case_list(current_actor(), fmt, filters, write)
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = send_file(opened(), mimetype=mimetype, as_attachment=True, download_name=f"cases.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<id:case_id>/attachments/<id:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int):
    """Download an attachment (always as a download, never rendered inline)."""
    found = engine().get_attachment(current_actor(), case_id, attachment_id)
    return send_file(BytesIO(found["data"]), mimetype="application/octet-stream", as_attachment=True,
                     download_name=found["filename"])
