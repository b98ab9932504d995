"""A case drawn on its own version of the diagram, and a version's heatmap (issue 9, points 3 and 4).

The path comes from the case's workflow (completed and waiting elements, the steps between them)
and its audit events grouped by element; the heatmap only from stored rows — the audit events of
completed elements and the inbox rows' created/completed times — with indexed, aggregated queries,
never by replaying workflows. Percentiles are nearest-rank: the p-th of n sorted waits is the one
at rank ceil(p * n).
"""
from __future__ import annotations

import math
from datetime import datetime

from lxml import etree
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.confidential import disclosure
from engine.confidential.access import load_visible_case, may_open_sealed
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, NotFound
from engine.models import AuditEvent, Case, ProcessDefinition, Task
from engine.runtime import CaseRun

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
MAX_PATH_EVENTS = 2000  # a case's events drawn on its path (a case has tens; the cap bounds the read)
HEATMAP_ROLES = ("auditor", "process_owner", "admin")


def diagram_of(session: Session, definition_id: int, process_id: str) -> tuple[str, dict]:
    """The deployed BPMN text that holds the main process, and every sequence flow of the
    deployment by (source, target) -> [flow ids]."""
    files = session.scalar(select(ProcessDefinition.files).where(ProcessDefinition.id == definition_id)) or {}
    bpmn = {n: c for n, c in sorted(files.items()) if n.lower().endswith((".bpmn", ".bpmn20.xml"))}
    main = next((c for c in bpmn.values() if f'id="{process_id}"' in c), next(iter(bpmn.values()), ""))
    flows: dict[tuple[str, str], list[str]] = {}
    for content in bpmn.values():
        root = etree.fromstring(content.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        for flow in root.iter(f"{BPMN}sequenceFlow"):
            flows.setdefault((flow.get("sourceRef"), flow.get("targetRef")), []).append(flow.get("id"))
    return main, flows


def element_names(xml: str) -> dict[str, str]:
    """Element id -> its name in the diagram (the id when it has none)."""
    if not xml:
        return {}
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    return {n.get("id"): n.get("name") or n.get("id") for n in root.iter() if isinstance(n.tag, str)
            and n.tag.startswith(BPMN) and n.get("id")}


def case_path(ctx: EngineContext, session: Session, actor: Actor, case_id: int, reason: str | None = None) -> dict:
    """{"completed", "active", "flows", "events", "number", "version", "xml"}: the case on its own
    version. A sealed case reads only when opened with a reason (audited), as its page does."""
    case = load_visible_case(session, actor, case_id)
    definition = ctx.definitions.get(session, case.definition_id)
    opened = False
    if case.status == disclosure.SEALED and reason is not None:
        reason = disclosure.stated_reason(reason)
        if not may_open_sealed(actor, definition.summary):
            raise NotFound("no such case")
        audit.record(session, at=ctx.now(), actor=actor.username, kind="sealed_case_opened", case_id=case.id,
                     detail={"reason": reason, "what": "path"})
        opened = True
    disclosure.guard_sealed(ctx, session, actor, case, opened)
    if not opened:
        disclosure.log_read(session, ctx, actor, case, "path")
    run = CaseRun.restore(definition.spec, case.workflow_json, lambda *a: "{}")
    xml, flows = diagram_of(session, definition.id, definition.process_id)
    taken = sorted({fid for pair in run.steps_taken() for fid in flows.get(pair, [])})
    secrets = disclosure.secrets_of(ctx, case) if case.confidential else []
    events: dict[str, list[dict]] = {}
    for event in audit.case_events(session, case.id, secrets, limit=MAX_PATH_EVENTS):
        if event["element_id"]:
            events.setdefault(event["element_id"], []).append(
                {"at": event["at"], "actor": event["actor"], "kind": event["kind"], "detail": event["detail"]})
    return {"completed": sorted({e for _, e, _ in run.completed_elements()}), "active": run.active_elements(),
            "flows": taken, "events": events, "number": case.number, "type": case.type_key,
            "version": definition.version, "status": case.status, "xml": xml}


def _hours(session: Session, start, end):
    """Hours between two stamps, in SQL (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def nearest_rank(n: int, p: float) -> int:
    """0-based offset of the p-th percentile of n sorted values (nearest rank)."""
    return max(0, math.ceil(p * n) - 1)


def heatmap(ctx: EngineContext, session: Session, actor: Actor, key: str, version: int,
            start: datetime | None = None, end: datetime | None = None) -> dict:
    """Per element of one deployed version: how many cases completed it and, for human tasks,
    how long the task waited from ready to done (median, p90, in hours), within [start, end)."""
    if not actor.has_role(*HEATMAP_ROLES):
        raise Forbidden("the heatmap is for owners, auditors and admins")
    row = session.execute(select(ProcessDefinition.id, ProcessDefinition.process_id)
                          .where(ProcessDefinition.key == key, ProcessDefinition.version == version)).one_or_none()
    if row is None:
        raise NotFound("no such process version")
    of_version = select(Case.id).where(Case.definition_id == row.id)
    passed = (select(AuditEvent.element_id, func.count(distinct(AuditEvent.case_id)))
              .where(AuditEvent.case_id.in_(of_version), AuditEvent.kind == "element_completed")
              .group_by(AuditEvent.element_id))
    if start is not None:
        passed = passed.where(AuditEvent.at >= start)
    if end is not None:
        passed = passed.where(AuditEvent.at < end)
    elements = {eid: {"cases": n, "waits": 0, "median_hours": None, "p90_hours": None}
                for eid, n in session.execute(passed) if eid}
    done = [Task.case_id.in_(of_version), Task.completed_at.is_not(None)]
    if start is not None:
        done.append(Task.created_at >= start)
    if end is not None:
        done.append(Task.created_at < end)
    counts = session.execute(select(Task.element_id, func.count()).where(and_(*done)).group_by(Task.element_id))
    hours = _hours(session, Task.created_at, Task.completed_at)
    for element_id, n in counts:
        stats = elements.setdefault(element_id, {"cases": 0, "waits": 0, "median_hours": None, "p90_hours": None})
        stats["waits"] = n
        for name, p in (("median_hours", 0.5), ("p90_hours", 0.9)):
            value = session.scalar(select(hours).where(and_(*done), Task.element_id == element_id)
                                   .order_by(hours).offset(nearest_rank(n, p)).limit(1))
            stats[name] = round(float(value), 2)
    xml, _ = diagram_of(session, row.id, row.process_id)
    names = element_names(xml)
    for element_id, stats in elements.items():
        stats["name"] = names.get(element_id, element_id)
    return {"key": key, "version": version, "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None, "elements": elements, "xml": xml}
