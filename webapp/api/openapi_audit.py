"""OpenAPI path items and schemas for the case timeline, the exports and the audit log's export
(issue 9), merged into /api/v1/openapi.json."""
from __future__ import annotations

from .openapi_schemas import ANY_OBJECT, BOOL, INT, MAYBE_STR, STR, array, obj, page_of

CHANGE = obj({"field": STR, "label": STR, "old": {}, "new": {}})
SCHEMAS = {
    "Timeline": page_of(obj({
        "seq": INT, "seqs": array(INT), "at": {"type": "string", "format": "date-time",
                                              "description": "in the reader's zone, with its offset"},
        "when": {"type": "string", "description": "YYYY-MM-DD HH:MM in the reader's zone"},
        "actor": STR, "actor_name": STR, "kind": STR, "title": STR, "text": STR,
        "element_id": MAYBE_STR, "element_name": MAYBE_STR, "engine_step": BOOL, "changes": array(CHANGE),
        "note": MAYBE_STR, "count": INT, "read": array(STR), "detail": ANY_OBJECT,
    }, ["seq", "at", "when", "actor", "actor_name", "kind", "title", "text", "element_name", "engine_step",
        "changes", "count"]), number=MAYBE_STR, lang=STR, timezone=STR, engine_steps=BOOL, engine_steps_hidden=INT),
    "CaseFile": obj({
        "case": ANY_OBJECT, "facts": array(obj({"field": STR, "label": STR, "value": {}})),
        "decisions": array(obj({"step": MAYBE_STR, "by": STR, "when": STR, "changes": array(CHANGE)})),
        "letters": array(ANY_OBJECT), "timeline": array(ANY_OBJECT), "events": array(ANY_OBJECT),
        "identity_omitted": BOOL, "exported_by": STR, "exported_at": STR, "lang": STR, "timezone": STR,
    }, ["case", "facts", "decisions", "letters", "timeline", "identity_omitted", "exported_by", "exported_at"]),
}


def openapi_paths() -> dict:
    from .openapi import PAGE, ok, op, path_param, query, ref

    case = path_param("case_id", "the case's id")
    lang = query("lang", "the reader's language (default: the caller's own)", {"type": "string", "enum": ["zh_CN", "en"]})
    tz = query("tz", "an IANA time zone (default: the caller's own)", {"type": "string", "maxLength": 64})
    steps = query("steps", "1: include the engine's own steps", {"type": "string", "enum": ["0", "1"]})
    filters = [query("type", "a type key", {"type": "string"}),
               query("status", "case status", {"type": "string"}),
               query("overdue", "1: only open cases past a deadline", {"type": "string", "enum": ["0", "1"]}),
               query("q", "search number and category", {"type": "string", "maxLength": 200})]
    log_filters = [query("actor", "who acted", {"type": "string"}), query("kind", "the event kind", {"type": "string"}),
                   query("case", "a case id", {"type": "integer", "minimum": 1}),
                   query("from", "ISO date or instant (inclusive)", {"type": "string"}),
                   query("to", "ISO date (that day included) or instant (inclusive)", {"type": "string"})]
    pdf = {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}
    return {
        "/cases/{case_id}/timeline": {"get": op(
            "The case's history told for people, oldest first", "cases", {"200": ok("One page", ref("Timeline"))},
            errors=("403", "404"), params=[case, lang, tz, steps, *PAGE],
            description="Steps by their diagram names, completed forms' changes with the form's labels (old -> "
                        "new), times in the reader's zone; engine steps only with steps=1; several "
                        "confidential reads of one page view told once (`count`, `read`). Identity values of "
                        "a confidential case are masked. Also GET /cases/{case_id}/history?view=timeline.")},
        "/cases/{case_id}/export": {"get": op(
            "The case file: facts, decisions, letters, timeline (JSON or the printable PDF)", "cases",
            {"200": {"description": "The case file", "content": {
                "application/json": {"schema": ref("CaseFile")}, **pdf}}},
            errors=("403", "404"), params=[
                case, query("format", "json (default) or pdf", {"type": "string", "enum": ["json", "pdf"]}),
                query("reason", "why (required for confidential and sealed cases)", {"type": "string", "maxLength": 500}),
                lang, tz],
            description="Identity masked as the caller's role requires (left out for a sealed case); every "
                        "export is an audit event `case_exported` naming the format and reason.")},
        "/cases/export": {"get": op(
            "The case list with the list's filters as CSV or XLSX", "cases",
            {"200": {"description": "Every matching case the caller may see, newest first", "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}}},
            params=[query("format", "csv (default) or xlsx", {"type": "string", "enum": ["csv", "xlsx"]}),
                    *filters, query("lang", "language of the headings", {"type": "string", "enum": ["zh_CN", "en"]})],
            description="Read page by page (keyset), never all at once; an audit event `cases_exported` "
                        "names the filters, format and count.")},
        "/audit/export": {"get": op(
            "The audit log's matching events as CSV (auditor)", "audit",
            {"200": {"description": "Newest first, masked as /audit/events", "content": {
                "text/csv": {"schema": {"type": "string"}}}}},
            errors=("403",), params=[query("format", "csv", {"type": "string", "enum": ["csv"]}), *log_filters],
            description="The export is itself an audit event `audit_log_exported`.")},
    }
