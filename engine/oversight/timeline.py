"""A case's history told for people: the audit events of one case as a timeline.

The same rows as `disclosure.history`, read for a person rather than a machine: steps named as
the case's own diagram names them (not by id), a completed form's changes as the form labels its
fields (old -> new, a choice as the form shows it), who acted by name, the time in the reader's
zone on one line. The engine's own steps (elements passed, service calls, cancelled timers) are
left out unless asked for, and the several confidential reads one page view leaves are told as
one. Identity values of a confidential case stay masked for every role, as in the raw history.
Paged by `seq` like every list; the engine steps are left out in SQL, so a page costs the same
however many of them a case has.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, not_, or_, select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.confidential import disclosure
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.clocks.clock import aware
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.models import AuditEvent, User
from engine.runtime import element_names

LANGUAGES = ("zh_CN", "en")
ENGINE_STEPS = ("element_completed", "task_cancelled")
ENGINE_PREFIX = "service:"
READ = "confidential_read"
ONE_VIEW = timedelta(minutes=10)  # reads by one person this close together are one page view


def is_engine_step(kind: str) -> bool:
    return kind in ENGINE_STEPS or kind.startswith(ENGINE_PREFIX)


def _engine_step_rows():
    """The SQL condition `is_engine_step` is."""
    return or_(AuditEvent.kind.in_(ENGINE_STEPS), AuditEvent.kind.like(f"{ENGINE_PREFIX}%"))


def reader_zone(name: str | None, actor: Actor) -> ZoneInfo:
    """The zone asked for, else the reader's own; 400 for a zone this machine does not know."""
    try:
        return ZoneInfo(name or actor.timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("unknown time zone", {"tz": "an IANA zone such as Asia/Shanghai"}) from None


def reader_language(lang: str | None, actor: Actor) -> str:
    if lang is None:
        return actor.locale if actor.locale in LANGUAGES else LANGUAGES[0]
    if lang not in LANGUAGES:
        raise InvalidInput("unknown language", {"lang": " or ".join(LANGUAGES)})
    return lang


def in_language(text: str | None, lang: str) -> str | None:
    """A diagram name written "中文 / English" in the reader's half (the whole name otherwise)."""
    if not text or " / " not in text:
        return text
    zh, en = (part.strip() for part in text.split(" / ", 1))
    return en if lang == "en" else zh


def _label(labels, lang: str, fallback: str):
    if isinstance(labels, dict):
        return labels.get(lang) or labels.get("zh_CN") or labels.get("en") or fallback
    return fallback


def timeline(ctx: EngineContext, session: Session, actor: Actor, case_id: int, *, lang: str | None = None,
             tz: str | None = None, engine_steps: bool = False, opened: bool = False,
             limit: int | None = None, cursor: str | None = None) -> dict:
    """One page of the case's timeline, oldest first: {"number", "items", "next", "total",
    "lang", "timezone", "engine_steps", "engine_steps_hidden"}. `opened`: reached through a
    sealed-case opening, which logs itself."""
    n = paging.check_limit(limit)
    lang, zone = reader_language(lang, actor), reader_zone(tz, actor)
    list_name = f"timeline:{case_id}:{int(engine_steps)}"
    after = paging.decode(list_name, cursor, (int,))
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    disclosure.guard_sealed(ctx, session, actor, case, opened)
    if not opened:
        disclosure.log_read(session, ctx, actor, case, "history")
    audit.write_pending(session)
    matching = select(AuditEvent).where(AuditEvent.case_id == case.id)
    if not engine_steps:
        matching = matching.where(not_(_engine_step_rows()))
    page = matching.order_by(AuditEvent.seq)
    if after is not None:
        page = page.where(AuditEvent.seq > after[0])
    rows = list(session.scalars(page.limit(n + 1)))
    shown = rows[:n]
    total, estimate = paging.capped_count(session, [matching.with_only_columns(AuditEvent.seq)])
    hidden = 0 if engine_steps else session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id, _engine_step_rows()))
    secrets = disclosure.secrets_of(ctx, case) if case.confidential else []
    names = element_names(ctx.definitions.get(session, case.definition_id).spec)
    people = _display_names(session, {e.actor for e in shown})
    items = _collapse_reads([_told(e, lang, zone, names, people, secrets) for e in shown])
    nxt = paging.encode(list_name, (shown[-1].seq,)) if len(rows) > n else None
    return {"number": case.number, "lang": lang, "timezone": zone.key, "engine_steps": engine_steps,
            "engine_steps_hidden": hidden, **paging.answer(items, nxt, total, estimate)}


def _display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return {u: d for u, d in session.execute(select(User.username, User.display_name)
                                             .where(User.username.in_(usernames))) if d}


def _told(event: AuditEvent, lang: str, zone: ZoneInfo, names: dict, people: dict, secrets: list[str]) -> dict:
    detail = audit.masked(json.loads(event.detail), secrets) if secrets else json.loads(event.detail)
    local = aware(event.at).astimezone(zone)
    element = event.element_id
    item = {"seq": event.seq, "seqs": [event.seq], "at": local.isoformat(), "when": local.strftime("%Y-%m-%d %H:%M"),
            "actor": event.actor, "actor_name": people.get(event.actor, event.actor), "kind": event.kind,
            "element_id": element, "element_name": in_language(names.get(element, element), lang) if element else None,
            "engine_step": is_engine_step(event.kind), "changes": [], "note": None, "count": 1, "detail": detail}
    if isinstance(detail, dict):
        item["changes"] = [_change(c, lang) for c in detail.get("changes") or [] if isinstance(c, dict)]
        item["note"] = next((detail[k] for k in ("reason", "comment", "body", "note") if isinstance(detail.get(k), str)),
                            None)
    return item


def _change(change: dict, lang: str) -> dict:
    field = str(change.get("field", ""))
    return {"field": field, "label": _label(change.get("label"), lang, field),
            "old": _label(change.get("old_label"), lang, change.get("old")),
            "new": _label(change.get("new_label"), lang, change.get("new"))}


def _collapse_reads(items: list[dict]) -> list[dict]:
    """Consecutive confidential reads by one person within ONE_VIEW of each other: one entry,
    counting them and naming what was read."""
    out: list[dict] = []
    for item in items:
        last = out[-1] if out else None
        if (item["kind"] == READ and last is not None and last["kind"] == READ and last["actor"] == item["actor"]
                and _gap(last, item) <= ONE_VIEW):
            last["count"] += 1
            last["seqs"].append(item["seq"])
            last["read"] = sorted(set(last["read"]) | set(_what(item)))
            last["last_at"] = item["at"]
            continue
        if item["kind"] == READ:
            item["read"] = _what(item)
        out.append(item)
    return out


def _what(item: dict) -> list[str]:
    what = item["detail"].get("what") if isinstance(item["detail"], dict) else None
    return [what] if isinstance(what, str) else []


def _gap(first: dict, second: dict) -> timedelta:
    return datetime.fromisoformat(second["at"]) - datetime.fromisoformat(first.get("last_at") or first["at"])


def whole_timeline(ctx: EngineContext, session: Session, case, lang: str, zone: ZoneInfo) -> list[dict]:
    """Every people's entry of one case (no engine steps), for an export or an opening, which are
    one document; the caller has checked and logged the access."""
    audit.write_pending(session)
    rows = list(session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, not_(_engine_step_rows())).order_by(AuditEvent.seq)))
    secrets = disclosure.secrets_of(ctx, case) if case.confidential else []
    names = element_names(ctx.definitions.get(session, case.definition_id).spec)
    people = _display_names(session, {e.actor for e in rows})
    return _collapse_reads([_told(e, lang, zone, names, people, secrets) for e in rows])


def local_text(instant: str | None, zone: ZoneInfo) -> str | None:
    """An ISO instant as "YYYY-MM-DD HH:MM" in the zone (None stays None)."""
    if not instant:
        return None
    return aware(datetime.fromisoformat(instant)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
