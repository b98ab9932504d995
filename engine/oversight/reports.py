"""The reports (issue 9, point 6): cases over time and by the diagram's report dimensions, on-time
rate per deadline, handling time, follow-up satisfaction, reopened cases and repeat complainants,
for a period — the dashboard and the June / December half-year and year summaries.

Every number is one aggregated SQL statement over the period's cases of one type (grouped results
capped at MAX_GROUPS); percentiles are nearest-rank, read with ORDER BY ... OFFSET. Which case data
fields are the dimensions comes from the type's diagram (latest version), never from code:

- process `reportDimensions`: comma-separated data fields to count cases by (e.g. category, channel);
- process `reportSatisfactionField`: the data field holding the follow-up verdict;
- process `reportReopenedField`: the data field counting how often a case was reopened;
- process `complainantHistoryField` (already used on the case page): who complained, for repeats;
- process `reportReaders`: groups, besides admins, auditors and process owners, who read the reports.

The forms that declare the dimension and satisfaction fields travel with the numbers (`forms`:
field -> JSON Schema, the intake form first), so a page can name fields and values in its reader's
language.
"""
from __future__ import annotations

import math
from datetime import datetime

from lxml import etree
from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.errors import Forbidden, InvalidInput
from engine.models import Case, ProcessDefinition, ProcessType, StaffGroup, Task
from engine.diagrams.type_rules import BPMN, properties

READER_ROLES = ("admin", "auditor", "process_owner")
MAX_GROUPS = 50
MAX_TYPES = 50


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def type_settings(session: Session) -> dict[str, dict]:
    """Each type's report properties, read from its latest version's diagram."""
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.process_id, ProcessDefinition.files,
               ProcessDefinition.summary)
        .join(ProcessType, and_(ProcessType.key == ProcessDefinition.key,
                                ProcessType.latest_version == ProcessDefinition.version))
        .order_by(ProcessDefinition.key).limit(MAX_TYPES))
    out = {}
    for key, name, process_id, files, summary in rows:
        props: dict = {}
        for filename, content in sorted((files or {}).items()):
            if not filename.lower().endswith((".bpmn", ".bpmn20.xml")):
                continue
            root = etree.fromstring(content.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
            for process in root.iterfind(f"{{{BPMN}}}process"):
                if process.get("id") == process_id:
                    props = properties(process)
        out[key] = {"name": name, "dimensions": _list(props.get("reportDimensions")),
                    "satisfaction": props.get("reportSatisfactionField") or None,
                    "reopened": props.get("reportReopenedField") or None,
                    "complainant": props.get("complainantHistoryField") or None,
                    "readers": _list(props.get("reportReaders"))}
        named = out[key]["dimensions"] + [out[key]["satisfaction"]] * bool(out[key]["satisfaction"])
        out[key]["forms"] = _forms_of(summary or {}, named)
        _group_choices(session, summary or {}, named, out[key]["forms"])
    return out


GROUP_FIELD_TITLE = "承办部门 / Handling department"


def _group_choices(session: Session, summary: dict, fields: list[str], forms: dict) -> None:
    """A report field no form declares but a lane takes its group from (`groupVariable`, e.g. the
    department a routing decision chose) holds group keys: describe it as a choice of the groups,
    named as the groups are ("中文 / English"), so pages show names, not keys."""
    by_variable = [f for f in fields if f not in forms and f in set((summary.get("lane_variables") or {}).values())]
    if not by_variable:
        return
    groups = session.execute(select(StaffGroup.name, StaffGroup.name_zh, StaffGroup.name_en)
                             .order_by(StaffGroup.name).limit(MAX_GROUPS * 10)).all()
    choices = [{"const": name, "title": f"{zh or name} / {en or zh or name}"} for name, zh, en in groups]
    for field in by_variable:
        forms[field] = {"properties": {field: {"type": "string", "title": GROUP_FIELD_TITLE, "oneOf": choices}}}


def _forms_of(summary: dict, fields: list[str]) -> dict[str, dict]:
    """field -> the first form declaring it: the intake form, then the type's other forms by name."""
    forms = [summary.get("intake_form") or {}] + [f for _, f in sorted((summary.get("forms") or {}).items())]
    found = {}
    for field in fields:
        schema = next((f for f in forms if isinstance(f, dict) and field in (f.get("properties") or {})), None)
        if schema is not None:
            found[field] = schema
    return found


def _month(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def _hours(session: Session, start, end):
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def _rank(n: int, p: float) -> int:
    return max(0, math.ceil(p * n) - 1)


def _field(name: str):
    return Case.data[name].as_string()


def report(session: Session, actor: Actor, start: datetime, end: datetime) -> dict:
    """The numbers of [start, end) for every type the actor may read reports of."""
    if start >= end:
        raise InvalidInput("the period ends before it starts", {"to": "after from"})
    settings = type_settings(session)
    if not actor.has_role(*READER_ROLES):
        settings = {k: s for k, s in settings.items() if set(s["readers"]) & set(actor.groups)}
        if not settings:
            raise Forbidden("the reports are for admins, auditors, process owners and the groups a type names")
    types = []
    for key, s in settings.items():
        in_period = and_(Case.type_key == key, Case.created_at >= start, Case.created_at < end)
        total = session.scalar(select(func.count()).select_from(Case).where(in_period)) or 0
        month = _month(session, Case.created_at)
        by_month = [{"month": m, "cases": n} for m, n in session.execute(
            select(month, func.count()).where(in_period).group_by(month).order_by(month).limit(MAX_GROUPS))]
        dimensions = {}
        for field in s["dimensions"]:
            value = _field(field)
            dimensions[field] = [{"value": v, "cases": n} for v, n in session.execute(
                select(value, func.count()).where(in_period).group_by(value)
                .order_by(func.count().desc(), value).limit(MAX_GROUPS))]
        types.append({"key": key, "name": s["name"], "cases": total, "by_month": by_month,
                      "dimensions": dimensions, "on_time": _on_time(session, in_period),
                      "handling": _handling(session, in_period),
                      "satisfaction": _counts(session, in_period, s["satisfaction"]),
                      "reopened": _reopened(session, in_period, s["reopened"]),
                      "repeat_complainants": _repeats(session, in_period, s["complainant"]),
                      "settings": {k: s[k] for k in ("dimensions", "satisfaction", "reopened", "complainant")},
                      "forms": s["forms"]})
    return {"from": start.isoformat(), "to": end.isoformat(), "types": types}


def _on_time(session: Session, in_period) -> list[dict]:
    """Per task that carries a deadline: completed tasks, and how many were done by it."""
    met = func.sum(when((Task.completed_at <= Task.due_at, 1), else_=0))
    rows = session.execute(
        select(Task.element_id, func.min(Task.name), func.count(), met)
        .join(Case, Case.id == Task.case_id).where(in_period, Task.due_at.is_not(None), Task.completed_at.is_not(None))
        .group_by(Task.element_id).order_by(Task.element_id).limit(MAX_GROUPS))
    return [{"element_id": e, "name": name, "completed": n, "on_time": int(m or 0),
             "rate": round((m or 0) / n, 4) if n else None} for e, name, n, m in rows]


def _handling(session: Session, in_period) -> dict:
    """Hours from filing to closing of the period's finished cases: count, median, p90."""
    finished = and_(in_period, Case.closed_at.is_not(None))
    n = session.scalar(select(func.count()).select_from(Case).where(finished)) or 0
    out = {"closed": n, "median_hours": None, "p90_hours": None}
    hours = _hours(session, Case.created_at, Case.closed_at)
    for name, p in (("median_hours", 0.5), ("p90_hours", 0.9)):
        if n:
            value = session.scalar(select(hours).where(finished).order_by(hours).offset(_rank(n, p)).limit(1))
            out[name] = round(float(value), 2)
    return out


def _counts(session: Session, in_period, field: str | None) -> list[dict] | None:
    if not field:
        return None
    value = _field(field)
    rows = session.execute(select(value, func.count()).where(in_period, value.is_not(None))
                           .group_by(value).order_by(value).limit(MAX_GROUPS))
    return [{"value": v, "cases": n} for v, n in rows]


def _reopened(session: Session, in_period, field: str | None) -> int | None:
    if not field:
        return None
    return session.scalar(select(func.count()).select_from(Case)
                          .where(in_period, Case.data[field].as_integer() > 0)) or 0


def _repeats(session: Session, in_period, field: str | None) -> dict | None:
    """Complainants (by the type's complainantHistoryField) with more than one case in the period."""
    if not field:
        return None
    value = _field(field)
    repeated = (select(value.label("who"), func.count().label("n")).where(in_period, value.is_not(None))
                .group_by(value).having(func.count() > 1).subquery())
    people, cases = session.execute(select(func.count(), func.coalesce(func.sum(repeated.c.n), 0))).one()
    return {"complainants": people, "cases": int(cases)}


def case_conditions(session: Session, type_key: str | None, behind: dict) -> list:
    """SQL conditions for the cases behind a report number (the case list's `behind` filter):
    `filed_from` / `filed_to` (datetimes, [from, to)), `closed`, and `field` = `value` where the
    field is one the type's diagram names for its reports (`value` ">0": a positive count)."""
    conditions = []
    if behind.get("filed_from") is not None:
        conditions.append(Case.created_at >= behind["filed_from"])
    if behind.get("filed_to") is not None:
        conditions.append(Case.created_at < behind["filed_to"])
    if behind.get("closed"):
        conditions.append(Case.closed_at.is_not(None))
    field = behind.get("field")
    if field:
        s = type_settings(session).get(type_key or "")
        named = set(s["dimensions"]) | {s["satisfaction"], s["reopened"], s["complainant"]} - {None} if s else set()
        if field not in named:
            raise InvalidInput("filter by a field the type's reports name", {"field": "not a report field of the type"})
        value = behind.get("value")
        if value == ">0":
            conditions.append(Case.data[field].as_integer() > 0)
        elif value in (None, ""):
            conditions.append(_field(field).is_(None))
        else:
            conditions.append(_field(field) == value)
    return conditions
