"""Exports for the file: one case as a document (facts, decisions, letters, timeline) and a case
list with the list's filters, each an audit event naming who exported what.

A case file is what `case_pages.export_case` gives (the case as the exporter may see it, identity
masked or, for a sealed case, left out) told for people: the intake facts with the form's labels,
each completed step as a decision (its fields old -> new), the letters to and from the
complainant, and the timeline. Laying it out (print page, PDF) is the web layer's business.

A case list is read in keyset pages of PAGE rows inside the one transaction and handed to the
caller's writer page by page, so a list of a hundred thousand cases never sits in memory at once.
"""
from __future__ import annotations

from typing import Callable, Iterator

from sqlalchemy.orm import Session

from engine import case_pages
from engine.oversight import audit, timeline
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.cases import listed_columns, matching_cases, summarize
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.models import Case

CASE_FORMATS = ("json", "pdf", "html")
LIST_FORMATS = ("csv", "xlsx")
PAGE = 500


def case_file(ctx: EngineContext, session: Session, actor: Actor, case_id: int, *, fmt: str, reason=None,
              lang: str | None = None, tz: str | None = None) -> dict:
    """The case file: {"case", "facts", "decisions", "letters", "timeline", "events",
    "identity_omitted", "exported_by", "exported_at", "lang", "timezone"}; audited as
    `case_exported` with the format."""
    if fmt not in CASE_FORMATS:
        raise InvalidInput("unknown export format", {"format": " or ".join(CASE_FORMATS)})
    lang, zone = timeline.reader_language(lang, actor), timeline.reader_zone(tz, actor)
    exported = case_pages.export_case(ctx, session, actor, case_id, reason, fmt=fmt)
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    definition = ctx.definitions.get(session, case.definition_id)
    told = timeline.whole_timeline(ctx, session, case, lang, zone)
    decisions = [{"step": t["element_name"], "by": t["actor_name"], "when": t["when"], "changes": t["changes"]}
                 for t in told if t["kind"] == "task_completed"]
    exported["case"]["type_name"] = timeline.in_language(exported["case"].get("type_name"), lang)
    letters = [m for m in exported["case"].get("messages") or []]
    for letter in letters:
        letter["when"] = timeline.local_text(letter["at"], zone)
    return {**exported, "facts": _facts(exported["case"].get("data") or {},
                                        definition.summary.get("intake_form") or {}, lang),
            "decisions": decisions, "letters": letters, "timeline": told, "lang": lang, "timezone": zone.key,
            "exported_when": timeline.local_text(exported["exported_at"], zone),
            "filed_when": timeline.local_text(exported["case"].get("created_at"), zone)}


def _facts(data: dict, form: dict, lang: str) -> list[dict]:
    """The intake form's fields the case has, in the form's order, with its labels and choices."""
    props = form.get("properties") or {}
    labels = form.get("x-labels") or {}
    out = []
    for name, prop in props.items():
        value = data.get(name)
        if value in (None, "", []) or not isinstance(prop, dict):
            continue
        label = timeline._label(labels.get(name), lang, prop.get("title") or name)
        choices = prop.get("x-labels") if prop.get("enum") else None
        if isinstance(choices, dict) and isinstance(value, str):
            value = timeline._label(choices.get(value), lang, value)
        out.append({"field": name, "label": label, "value": value})
    return out


def case_list(ctx: EngineContext, session: Session, actor: Actor, *, fmt: str, filters: dict,
              write: Callable[[Iterator[list[dict]]], None]) -> int:
    """Hand the filtered list to `write` as an iterator of pages (newest first); returns how
    many cases went out and records `cases_exported` with the filters, format and count."""
    if fmt not in LIST_FORMATS:
        raise InvalidInput("unknown export format", {"format": " or ".join(LIST_FORMATS)})
    now = ctx.now()
    matching = matching_cases(ctx, session, actor, filters.get("type"), filters.get("status"), bool(filters.get("overdue")),
                              filters.get("q"), now)
    query = listed_columns(matching)
    counted = [0]

    def pages() -> Iterator[list[dict]]:
        last = None
        while True:
            page = query if last is None else query.where(Case.id < last)
            rows = session.execute(page.limit(PAGE)).all()
            if not rows:
                return
            counted[0] += len(rows)
            last = rows[-1].id
            yield [summarize(row, row.type_name, now) for row in rows]
            if len(rows) < PAGE:
                return

    write(pages())
    audit.record(session, at=now, actor=actor.username, kind="cases_exported",
                 detail={"format": fmt, "filters": {k: v for k, v in filters.items() if v}, "count": counted[0]})
    return counted[0]
