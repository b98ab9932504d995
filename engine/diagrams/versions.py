"""Versions of a complaint type: the list, one version's files, the `latest` pointer, the check
before a different process replaces a type, and moving running cases between versions.

Every deploy is an immutable version (who, when, comment, SHA-256 of its files). New cases start
on the version the type's pointer names (engine.diagrams.definitions.latest); running cases finish on
their own unless an owner moves them: an explicit batch, previewed first (a dry run says per
case whether it can move and why not), audited, never automatic. A batch is at most one page of
cases (`limit`), read with one statement; "all" walks the version's open cases by id with a
cursor, so no call loads every case.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.diagrams import definitions
from engine.actors import Actor
from engine.clocks.clock import to_iso
from engine.context import EngineContext
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from engine.models import Case, ProcessDefinition, ProcessType
from engine.steps import CaseStep, resolve_group
from engine.diagrams.workflow_migration import check_and_move

READERS = ("admin", "process_owner", "auditor")
OWNERS = ("admin", "process_owner")
MAX_LISTED_CASES = 100
# the work a process does: two diagrams with none of these ids in common are different processes
# (start and end events are left out: they say nothing about what a process does)
STEP_TAGS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
             "receiveTask", "callActivity", "subProcess", "transaction"}


def _may(actor: Actor, roles: tuple, what: str) -> None:
    if not actor.has_role(*roles, "system"):
        raise Forbidden(f"only {', '.join(r.replace('_', ' ') + 's' for r in roles)} {what}")


def _version_row(session: Session, key: str, version) -> ProcessDefinition:
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInput("give the version as a number", {"version": "a version number of this type"})
    row = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                          ProcessDefinition.version == version)).first()
    if row is None:
        raise NotFound(f"{key!r} has no version {version}", {"version": version})
    return row


def _pointer(session: Session, key: str) -> ProcessType:
    pointer = session.get(ProcessType, key)
    if pointer is None:
        raise NotFound(f"no complaint type {key!r}")
    return pointer


def describe_version(row: ProcessDefinition, latest_version: int) -> dict:
    return {"version": row.version, "name": row.name, "process_id": row.process_id,
            "deployed_at": to_iso(row.deployed_at), "deployed_by": row.deployed_by, "comment": row.comment or "",
            "sha256": row.sha256 or "", "latest": row.version == latest_version}


VERSION_COLUMNS = (ProcessDefinition.version, ProcessDefinition.name, ProcessDefinition.process_id,
                   ProcessDefinition.deployed_at, ProcessDefinition.deployed_by, ProcessDefinition.comment,
                   ProcessDefinition.sha256)


def list_versions(session: Session, actor: Actor, key: str, limit: int | None = None,
                  cursor: str | None = None) -> dict:
    """One page of a type's versions, newest first (files and specs stay in the database)."""
    _may(actor, READERS, "read a type's versions")
    n = paging.check_limit(limit)
    after = paging.decode(f"versions:{key}", cursor, (int,))
    pointer = _pointer(session, key)
    query = select(*VERSION_COLUMNS).where(ProcessDefinition.key == key)
    if after is not None:
        query = query.where(ProcessDefinition.version < after[0])
    rows = session.execute(query.order_by(ProcessDefinition.version.desc()).limit(n + 1)).all()
    total, estimate = paging.capped_count(session, [select(ProcessDefinition.id).where(ProcessDefinition.key == key)])
    nxt = paging.encode(f"versions:{key}", (rows[n - 1].version,)) if len(rows) > n else None
    return paging.answer([describe_version(r, pointer.latest_version) for r in rows[:n]], nxt, total, estimate,
                         key=key, latest_version=pointer.latest_version)


def version_files(session: Session, actor: Actor, key: str, version) -> dict:
    """One version as deployed: its files' text (BPMN, DMN, forms) with who, when, comment, hash."""
    _may(actor, READERS, "read a type's versions")
    pointer = _pointer(session, key)
    row = _version_row(session, key, version)
    return {"key": key, **describe_version(row, pointer.latest_version), "public": row.public,
            "files": dict(sorted((row.files or {}).items()))}


def move_latest(ctx: EngineContext, session: Session, actor: Actor, key: str, version, reason) -> dict:
    """Roll the pointer back (or forward) to a stored version: new cases start there; running
    cases are not touched. Audited with the reason."""
    _may(actor, OWNERS, "choose the version new cases start on")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not 2 <= len(reason) <= 500:
        raise InvalidInput("give the reason for the change", {"reason": "2 to 500 characters"})
    pointer = _pointer(session, key)
    row = _version_row(session, key, version)
    before = pointer.latest_version
    if before == row.version:
        return {"key": key, "version": row.version, "previous": before, "changed": False}
    definitions.point_latest(session, key, row.version, actor.username, ctx.now())
    audit.record(session, at=ctx.now(), actor=actor.username, kind="process_latest_moved",
                 detail={"key": key, "from_version": before, "to_version": row.version, "reason": reason})
    return {"key": key, "version": row.version, "previous": before, "changed": True}


# --- replacing a type with a different process ---------------------------------------------------

def flow_elements(summary: dict) -> set[str]:
    """The ids of a version's steps (tasks, call activities, subprocesses)."""
    return {i for i, tag in (summary.get("elements") or {}).items() if tag in STEP_TAGS}


def replacement(session: Session, previous: ProcessDefinition, new: ProcessDefinition) -> dict | None:
    """What changes when `new` replaces `previous` as a different process (another main process
    id, or not one step in common), else None (an ordinary new version)."""
    old_ids, new_ids = flow_elements(previous.summary), flow_elements(new.summary)
    if previous.process_id == new.process_id and old_ids & new_ids:
        return None
    open_cases, estimate = paging.capped_count(session, [
        select(Case.id).where(Case.type_key == previous.key, Case.status == "open")])
    return {"key": previous.key, "from_version": previous.version, "to_version": new.version,
            "process_id": {"from": previous.process_id, "to": new.process_id},
            "name": {"from": previous.name, "to": new.name},
            "steps_removed": sorted(old_ids - new_ids)[:100], "steps_added": sorted(new_ids - old_ids)[:100],
            "steps_kept": len(old_ids & new_ids), "open_cases": open_cases, "open_cases_is_estimate": estimate,
            "note": "open cases stay on their version; only new cases start on the replacement",
            "confirm": "send confirm_replace=1 to deploy it anyway"}


def check_replacement(session: Session, new: ProcessDefinition, confirmed: bool) -> dict | None:
    """409 with what changes, unless confirmed, when the new version is a different process."""
    if new.version == 1:
        return None
    previous = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.key == new.key, ProcessDefinition.version == new.version - 1)).first()
    changes = replacement(session, previous, new) if previous is not None else None
    if changes and not confirmed:
        raise Conflict(f"this deployment replaces {new.key!r} with a different process; "
                       f"confirm to deploy it", changes, code="different_process")
    return changes


# --- moving running cases ------------------------------------------------------------------------

def migrate(ctx: EngineContext, session: Session, actor: Actor, key: str, from_version, to_version, cases,
            dry_run, limit: int | None = None, cursor: str | None = None) -> dict:
    """Per case of the batch: `movable` and the reason when not; unless `dry_run`, the movable ones
    move to `to_version` (each audited on its case, the batch audited once). `cases` is a list of
    case ids (at most 100) or "all": the version's open cases, one page (`limit`) per call, `next`
    for the following page."""
    _may(actor, OWNERS, "move cases between versions")
    if not isinstance(dry_run, bool):
        raise InvalidInput("dry_run must be true or false", {"dry_run": "true for a preview, false to move"})
    source = _version_row(session, key, from_version)
    target = _version_row(session, key, to_version)
    if source.version == target.version:
        raise InvalidInput("choose two different versions", {"to_version": "differs from from_version"})
    rows, nxt, total = _batch(session, source, cases, limit, cursor)
    now = ctx.now()
    target_def = ctx.definitions.of(session, target)
    items = []
    for case_id, case in rows:
        items.append(_move_one(ctx, session, actor, case_id, case, source, target_def, dry_run, now))
    moved = [i["case_id"] for i in items if i.get("moved")]
    if not dry_run:
        audit.record(session, at=now, actor=actor.username, kind="cases_migrated",
                     detail={"key": key, "from_version": source.version, "to_version": target.version,
                             "moved": moved, "refused": [i["case_id"] for i in items if not i["movable"]]})
    return {"key": key, "from_version": source.version, "to_version": target.version, "dry_run": dry_run,
            "items": items, "next": nxt, "total": total,
            "movable": sum(1 for i in items if i["movable"]), "moved": len(moved)}


def _batch(session: Session, source: ProcessDefinition, cases, limit, cursor) -> tuple[list, str | None, int]:
    """[(case id, Case or None)] of this call, the cursor of the next page, how many in all."""
    if cases == "all":
        n = paging.check_limit(limit)
        after = paging.decode(f"migrate:{source.id}", cursor, (int,))
        query = select(Case).where(Case.definition_id == source.id, Case.status == "open")
        if after is not None:
            query = query.where(Case.id > after[0])
        found = list(session.scalars(query.order_by(Case.id).limit(n + 1)))
        total, _ = paging.capped_count(session, [select(Case.id).where(Case.definition_id == source.id,
                                                                       Case.status == "open")])
        nxt = paging.encode(f"migrate:{source.id}", (found[n - 1].id,)) if len(found) > n else None
        return [(c.id, c) for c in found[:n]], nxt, total
    if not isinstance(cases, list) or not cases or len(cases) > MAX_LISTED_CASES or \
            not all(isinstance(c, int) and not isinstance(c, bool) for c in cases):
        raise InvalidInput("name the cases to move", {"cases": f'"all", or a list of 1 to {MAX_LISTED_CASES} case ids'})
    wanted = sorted(set(cases))
    found = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(wanted), Case.type_key == source.key))}
    return [(i, found.get(i)) for i in wanted], None, len(wanted)


def _move_one(ctx: EngineContext, session: Session, actor: Actor, case_id: int, case: Case | None,
              source: ProcessDefinition, target, dry_run: bool, now: datetime) -> dict:
    if case is None:
        return {"case_id": case_id, "number": None, "movable": False,
                "reason": f"no case {case_id} of type {source.key!r}"}
    out = {"case_id": case.id, "number": case.number}
    if case.definition_id != source.id:
        return {**out, "movable": False, "reason": f"the case runs another version, not {source.version}"}
    if case.status != "open":
        return {**out, "movable": False, "reason": f"the case has ended ({case.status})"}
    step = CaseStep(ctx, session, case, ctx.definitions.get(session, case.definition_id), actor.username, now)
    step.restore()
    check = check_and_move(step.run, target.spec, target.version, now)
    out.update(movable=check.movable, reason=check.reason, steps=check.moved_elements)
    if dry_run or not check.movable:
        return out
    pending = session.info.setdefault(audit.PENDING, [])
    recorded = len(pending)
    try:
        with session.begin_nested():  # one case that fails to run on leaves the batch's others moved
            step.definition = target
            case.definition_id = target.id
            step._guard(lambda: step.run.run(now))  # a step the new diagram makes ready runs as any step would
            step.audit("case_migrated", {"from_version": source.version, "to_version": target.version,
                                         "steps": check.moved_elements})
            step.finish()
            _follow_renames(session, step, case, target.summary, now)
    except EngineError as error:
        del pending[recorded:]  # its audit events go with it
        return {**out, "movable": False, "reason": f"it stopped on the new version: {error.message}"}
    out["moved"] = True
    return out


def _follow_renames(session: Session, step: CaseStep, case: Case, summary: dict, now: datetime) -> None:
    """Inbox rows kept across the move take the target's name, form and lane for their step; a
    task whose lane now belongs to another group goes back to that group (audited)."""
    data = case.data or {}
    by_spiff = {h.spiff_id: h for h in step.run.ready_human_tasks()}
    for row in step.ready_rows:
        human = by_spiff.get(row.spiff_id)
        if human is None:
            continue
        meta = (summary.get("user_tasks") or {}).get(human.element_id, {})
        row.name, row.element_id = human.name, human.element_id
        row.form_name = meta.get("form") or human.properties.get("formJsonSchemaFilename") or row.form_name
        group = resolve_group(human.lane, data)
        if human.lane != row.lane or group != row.candidate_group:
            held = row.assignee
            row.lane, row.candidate_group = human.lane, group
            if held and not row.candidates:
                row.assignee, row.claimed_at = None, None
                audit.record(session, at=now, actor=step.actor, kind="task_returned_to_group", case_id=case.id,
                             element_id=row.element_id,
                             detail={"task": row.id, "was_held_by": held, "group": group,
                                     "reason": "the new version gives this step to another group"})
    session.flush()



def types_overview(session: Session, actor: Actor) -> list[dict]:
    """Each type: its latest version's name and public flag, how many versions it has, and who
    last moved its pointer (one row per type: bounded by the number of types)."""
    _may(actor, READERS, "see the process types")
    counts = dict(session.execute(select(ProcessDefinition.key, func.count(ProcessDefinition.id))
                                  .group_by(ProcessDefinition.key)).all())
    out = []
    for row in definitions.latest_of_each(session):
        pointer = session.get(ProcessType, row.key)
        out.append({"key": row.key, "name": row.name, "public": row.public, "latest_version": row.version,
                    "versions": counts.get(row.key, 0), "process_id": row.process_id,
                    "pointer_set_by": pointer.updated_by, "pointer_set_at": to_iso(pointer.updated_at)})
    return out
