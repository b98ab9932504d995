"""Cases for staff: file one on a complainant's behalf, list, read, history, path, attachments."""
from __future__ import annotations

import io

from flask import request, send_file

from ..exports import case_pdf, list_file
from ..timeline_text import entry_text, event_label, in_language
from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import filing, query_choice, query_flag, query_int, query_page
from .respond import NO_STORE, reply

CASE_STATUSES = ("open", "closed", "rejected", "transferred", "pending", "sealed")
SAFE_INLINE = ("application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain")


@bp.post("/cases")
@staff_required()
def file_case(actor):
    """`{"type", "data", "attachments", "anonymous"}` (JSON, or multipart `payload` + files)."""
    type_key, data, files, anonymous = filing()
    filed = engine().file_case(actor, type_key, data, files, anonymous=anonymous)
    answer = {"id": filed["id"], "number": filed["number"], "status": filed["status"],
              "receipt": filed.get("receipt")}
    return reply(answer, 201, {"Location": f"{bp.url_prefix}/cases/{filed['id']}", **NO_STORE})


@bp.get("/cases")
@staff_required()
def list_cases(actor):
    """Filters `type`, `status`, `overdue=1`, `q`; paged by `cursor` and `limit` (at most 100), or
    by `page` and `per_page` as before."""
    details: dict[str, str] = {}
    status = query_choice("status", CASE_STATUSES, details)
    overdue = query_flag("overdue", details)
    page = query_int("page", 1, 1, 100000, details)
    paged = query_page(details)
    per_page = query_int("per_page", paged["limit"], 1, 100, details)  # the old name of `limit`
    type_key = request.args.get("type") or None
    q = request.args.get("q") or None
    if type_key and len(type_key) > 100:
        details["type"] = "at most 100 characters"
    if q and len(q) > 200:
        details["q"] = "at most 200 characters"
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().list_cases(actor, type=type_key, status=status, overdue=overdue, q=q,
                                     page=page, per_page=per_page, cursor=paged["cursor"]))


@bp.get("/cases/<id:case_id>")
@staff_required()
def get_case(actor, case_id: int):
    """The case as the caller may see it (404 when hidden)."""
    return reply(engine().get_case(actor, case_id), 200, NO_STORE)


@bp.get("/cases/<id:case_id>/history")
@staff_required()
def case_history(actor, case_id: int):
    """The case's audit events in order, paged by `limit` and `cursor`; `view=timeline` tells
    them for people (as GET .../timeline)."""
    details: dict[str, str] = {}
    view = query_choice("view", ("events", "timeline"), details, "events")
    if view == "timeline":
        return _timeline(actor, case_id)
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().case_history(actor, case_id, **page), 200, NO_STORE)


@bp.get("/cases/<id:case_id>/timeline")
@staff_required()
def case_timeline(actor, case_id: int):
    """The case's history told for people, oldest first: `lang` (zh_CN or en) and `tz` (IANA
    zone) default to the caller's own; engine steps only with `steps=1`; paged by `limit`, `cursor`."""
    return _timeline(actor, case_id)


def _timeline(actor, case_id: int):
    details: dict[str, str] = {}
    page = query_page(details)
    lang = query_choice("lang", ("zh_CN", "en"), details)
    steps = query_flag("steps", details)
    tz = (request.args.get("tz") or "").strip()[:64] or None
    if details:
        raise bad_input(details, "some query parameters are invalid")
    answer = engine().case_timeline(actor, case_id, lang=lang, tz=tz, engine_steps=steps, **page)
    with in_language(answer["lang"]):
        for item in answer["items"]:
            item["title"] = event_label(item["kind"])
            item["text"] = entry_text(item)
    return reply(answer, 200, NO_STORE)


@bp.get("/cases/<id:case_id>/export")
@staff_required()
def export_case_file(actor, case_id: int):
    """The case file: `format=json` (default) or `pdf` (the printable 处理单); `reason` is
    required for confidential and sealed cases; `lang`, `tz` as for the timeline. Audited."""
    details: dict[str, str] = {}
    fmt = query_choice("format", ("json", "pdf"), details, "json")
    lang = query_choice("lang", ("zh_CN", "en"), details)
    tz = (request.args.get("tz") or "").strip()[:64] or None
    reason = (request.args.get("reason") or "").strip()[:600] or None
    if details:
        raise bad_input(details, "some query parameters are invalid")
    document = engine().export_case_file(actor, case_id, fmt, reason, lang=lang, tz=tz)
    if fmt == "json":
        return reply(document, 200, NO_STORE)
    response = send_file(io.BytesIO(case_pdf(document, document["lang"])), mimetype="application/pdf",
                         as_attachment=True, download_name=f"{document['case'].get('number') or case_id}.pdf")
    response.headers.update(NO_STORE)
    return response


@bp.get("/cases/export")
@staff_required()
def export_case_list(actor):
    """The case list with the list's filters (`type`, `status`, `overdue`, `q`) as `format=csv`
    (default) or `xlsx`, headings in `lang`; every matching case, read page by page. Audited."""
    details: dict[str, str] = {}
    fmt = query_choice("format", ("csv", "xlsx"), details, "csv")
    lang = query_choice("lang", ("zh_CN", "en"), details, actor.locale if actor.locale in ("zh_CN", "en") else "zh_CN")
    filters = {"type": (request.args.get("type") or "")[:100] or None,
               "status": query_choice("status", CASE_STATUSES, details),
               "overdue": query_flag("overdue", details), "q": (request.args.get("q") or "")[:200] or None}
    if details:
        raise bad_input(details, "some query parameters are invalid")
    with in_language(lang):
        write, opened = list_file(fmt)
        engine().export_case_list(actor, fmt, filters, write)
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = send_file(opened(), mimetype=mimetype, as_attachment=True, download_name=f"cases.{fmt}")
    response.headers.update(NO_STORE)
    return response


@bp.get("/cases/<id:case_id>/path")
@staff_required()
def case_path(actor, case_id: int):
    """Completed and active element ids, the sequence flows taken and each element's events; a
    sealed case with `reason` (5 to 500 characters) is opened (audited), as on its page."""
    reason = request.args.get("reason")
    if reason is not None and len(reason) > 500:
        raise bad_input({"reason": "5 to 500 characters"}, "some query parameters are invalid")
    answer = engine().case_path(actor, case_id, reason)
    answer.pop("xml", None)  # the diagram itself is GET /process-types/<key>/versions/<n>
    return reply(answer, 200, NO_STORE)


@bp.get("/cases/<id:case_id>/attachments/<id:attachment_id>")
@staff_required()
def case_attachment(actor, case_id: int, attachment_id: int):
    """An uploaded file, always as a download (never rendered on this site's origin)."""
    found = engine().get_attachment(actor, case_id, attachment_id)
    content_type = found.get("content_type") or "application/octet-stream"
    if content_type.split(";")[0].strip().lower() not in SAFE_INLINE:
        content_type = "application/octet-stream"
    response = send_file(io.BytesIO(found["data"]), mimetype=content_type, as_attachment=True,
                         download_name=found.get("filename") or "attachment")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.update(NO_STORE)
    return response
