"""The inbox: list, claim, unclaim and complete human tasks.

Claims are a single conditional UPDATE (`assignee IS NULL`), so two staff claiming one task at
once get one 200 and one 409, on SQLite and PostgreSQL alike. Completing a task re-runs the
case and saves it under its version counter: a concurrent save of the same case fails with 409.
"""
from __future__ import annotations

import copy
import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import paging, search
from engine.oversight import audit
from engine.clocks import calendar_store
from engine.accounts import users
from engine.confidential.access import visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.diagrams.definitions import Definition
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.forms import validate_form
from engine.models import (FREE_FOR_GROUP, OPEN_TASK, Case, CaseExclusion, CaseSearch, ProcessDefinition, Task,
                     TaskCandidate, User)
from engine.clocks.retime import parse_instant
from engine.confidential.routing import escalation_group, route_to_eligible
from engine.steps import SIGN_OFF, CaseStep

DUE_SOON_HOURS = 24
RECUSED_SEPARATOR = "\x1f"  # the unit separator: never part of a username


def _describe(task, case_number: str | None, type_key: str, type_name: str, now: datetime) -> dict:
    """A task as lists show it (`task`: an inbox row or a row of its selected columns)."""
    due = aware(task.due_at)
    ready = task.state == "ready"
    return {"id": task.id, "case_id": task.case_id, "case_number": case_number, "type": type_key,
            "type_name": type_name, "name": task.name, "element_id": task.element_id, "lane": task.lane,
            "candidate_group": task.candidate_group, "assignee": task.assignee, "state": task.state,
            "created_at": to_iso(aware(task.created_at)), "due_at": to_iso(due),
            "overdue": bool(due and ready and due < now),
            "due_soon": bool(due and ready and now <= due and (due - now).total_seconds() < DUE_SOON_HOURS * 3600),
            "completed_at": to_iso(aware(task.completed_at)), "completed_by": task.completed_by}


def describe_task(task: Task, case: Case, definition: ProcessDefinition, now: datetime) -> dict:
    """One task with its form (lists leave the form out: `list_tasks`)."""
    out = _describe(task, case.number, case.type_key, definition.name, now)
    out["form"] = (definition.summary.get("forms") or {}).get(task.form_name) if task.form_name else None
    return out


def form_with_choices(session: Session, form: dict | None, case: Case) -> dict | None:
    """Fields that name staff (`x-options-group`) offer that group's members who are not recused
    from this case, so nobody types a username and nobody recused can be picked."""
    props = (form or {}).get("properties") or {}
    named = [n for n, p in props.items() if isinstance(p, dict) and p.get("x-options-group")]
    if not named:
        return form
    excluded = set(session.scalars(select(CaseExclusion.username).where(CaseExclusion.case_id == case.id)))
    form = copy.deepcopy(form)
    for name in named:
        prop = form["properties"][name]
        holder = prop["items"] if prop.get("type") == "array" and isinstance(prop.get("items"), dict) else prop
        eligible = [u for u in users.group_members(session, prop["x-options-group"]) if u not in excluded]
        names = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(eligible))).all())
        holder["enum"] = eligible
        holder["enumNames"] = [names.get(u) or u for u in eligible]
    return form


def changed_fields(form: dict | None, before: dict, after: dict) -> list[dict]:
    """Each field the form changed: {"field", "label" (the form's labels per language), "old",
    "new"}, in the form's order; a field given the value it already had is left out."""
    props = (form or {}).get("properties") or {}
    labels = (form or {}).get("x-labels") or {}
    order = [name for name in props if name in after] + sorted(name for name in after if name not in props)
    out = []
    for name in order:
        old, new = before.get(name), after[name]
        if old == new:
            continue
        prop = props.get(name) if isinstance(props.get(name), dict) else {}
        label = labels.get(name) if isinstance(labels.get(name), dict) else {}
        if not label and prop.get("title"):
            label = {"zh_CN": prop["title"], "en": prop["title"]}
        change = {"field": name, "label": label or {"zh_CN": name, "en": name}, "old": old, "new": new}
        choices = prop.get("x-labels") if prop.get("enum") else None
        for side, value in (("old", old), ("new", new)):
            if isinstance(choices, dict) and isinstance(value, str) and isinstance(choices.get(value), dict):
                change[f"{side}_label"] = choices[value]  # a choice as the form shows it
        out.append(change)
    return out


def _may_take(actor: Actor, task: Task) -> bool:
    if task.candidates:
        return actor.username in task.candidates
    return task.candidate_group in actor.groups


LIST_COLUMNS = (Task.id, Task.case_id, Task.name, Task.element_id, Task.lane, Task.candidate_group,
                Task.assignee, Task.state, Task.created_at, Task.due_at, Task.completed_at, Task.completed_by,
                Case.number.label("case_number"), Case.type_key.label("type_key"), Case.deadlines,
                Case.provisional_deadlines, Case.paused_at, ProcessDefinition.name.label("type_name"),
                CaseSearch.subject.label("subject"), CaseSearch.complainant.label("complainant"),
                Case.confidential, Case.anonymous, Case.personal_sealed, Case.definition_id)
DUE_FILTERS = ("overdue", "due_soon")


def _branches(actor: Actor, scope: str) -> list:
    """The disjoint row sets a scope is made of, each walkable in (due_at, id) order through an
    index: the caller's held tasks; or the free tasks of each of the caller's groups without
    named candidates, and the free tasks naming the caller."""
    if scope == "mine":
        return [Task.assignee == actor.username]
    if scope != "available":
        from engine.errors import InvalidInput

        raise InvalidInput("unknown scope", {"scope": "mine or available"})
    named = Task.id.in_(select(TaskCandidate.task_id).where(TaskCandidate.username == actor.username))
    return [and_(Task.candidate_group == group, FREE_FOR_GROUP) for group in sorted(actor.groups)] \
        + [and_(named, _unheld())]


def _unheld():
    """`assignee IS NULL` written so no index serves it: the named-candidate branch is then read
    from the caller's few `task_candidate` rows, not by walking every free task in due order
    (which SQLite, without statistics, otherwise prefers). The separator is never a username."""
    return func.coalesce(Task.assignee, RECUSED_SEPARATOR) == RECUSED_SEPARATOR


def _with_due(query, due_filter: str | None, now: datetime):
    if due_filter == "overdue":
        return query.where(Task.due_at < now)
    if due_filter == "due_soon":
        return query.where(Task.due_at >= now, Task.due_at < now + timedelta(hours=DUE_SOON_HOURS))
    return query


def _page_of(session: Session, query, after: tuple | None, n: int) -> list:
    """Up to n rows of one branch after the cursor, in (due_at NULLS LAST, id) order: dated tasks
    through the index range, then undated ones by id."""
    rows = []
    if after is None or after[0] is not None:
        dated = query.where(Task.due_at.is_not(None))
        if after is not None:
            dated = dated.where(tuple_(Task.due_at, Task.id) > after)
        rows = session.execute(dated.order_by(Task.due_at, Task.id).limit(n)).all()
    if len(rows) < n:
        undated = query.where(Task.due_at.is_(None))
        if after is not None and after[0] is None:
            undated = undated.where(Task.id > after[1])
        # ordered as the index is, (due_at, id): all NULL here, so by id, and no database sorts
        rows += session.execute(undated.order_by(Task.due_at, Task.id).limit(n - len(rows))).all()
    return rows


def _sort_key(row) -> tuple:
    due = aware(row.due_at)
    return (due is None, due or datetime.min.replace(tzinfo=timezone.utc), row.id)


SORTS = ("due", "newest")


def _newest_page_of(session: Session, query, after: tuple | None, n: int) -> list:
    """Up to n rows of one branch after the cursor, newest task first (id descending)."""
    if after is not None:
        query = query.where(Task.id < after[0])
    return session.execute(query.order_by(Task.id.desc()).limit(n)).all()


def list_tasks(ctx: EngineContext, session: Session, actor: Actor, scope: str, limit: int | None = None,
               cursor: str | None = None, due_filter: str | None = None, q: str | None = None,
               sort: str = "due") -> dict:
    """One page of the inbox, overdue and soonest due first (then undated, oldest first), or with
    `sort="newest"` the latest arrived first. Eligibility (groups, named candidates, recusal,
    need-to-know) is all in the SQL; only the columns the list shows are read. `q`: only tasks of
    cases search finds (engine/search.py)."""
    n = paging.check_limit(limit)
    newest = sort == "newest"
    after = (paging.decode(f"tasks:{scope}:newest", cursor, (int,)) if newest
             else paging.decode(f"tasks:{scope}", cursor, (datetime, int)))
    now = ctx.now()
    branches = _branches(actor, scope)
    base = (select(*LIST_COLUMNS).join(Case, Case.id == Task.case_id)
            .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
            .outerjoin(CaseSearch, CaseSearch.case_id == Case.id)
            .where(OPEN_TASK, visible_cases(actor)))
    found = search.matching_cases(ctx, session, q) if q and q.strip() else None
    if found is not None:
        base = base.where(found)
    walk = _newest_page_of if newest else _page_of
    rows = heapq.merge(*(walk(session, _with_due(base.where(b), due_filter, now), after, n + 1)
                         for b in branches), key=(lambda row: -row.id) if newest else _sort_key)
    page = list(itertools.islice(rows, n + 1))
    if after is None and len(page) <= n:
        total, estimate = len(page), False  # the whole inbox is on this first page: no count to ask for
    elif found is None:
        total, estimate = _total(session, actor, branches, due_filter, now)
    else:
        total, estimate = paging.capped_count(session, (
            _with_due(select(Task.id).join(Case, Case.id == Task.case_id)
                      .where(OPEN_TASK, visible_cases(actor), found, b), due_filter, now)
            for b in branches))
    nxt = None
    if len(page) > n:
        nxt = (paging.encode(f"tasks:{scope}:newest", (page[n - 1].id,)) if newest
               else paging.encode(f"tasks:{scope}", (aware(page[n - 1].due_at), page[n - 1].id)))
    return paging.answer([_list_item(ctx, session, row, now) for row in page[:n]], nxt, total, estimate)


EXACT_COUNT_UP_TO = 500


def _total(session: Session, actor: Actor, branches: list, due_filter: str | None,
           now: datetime) -> tuple[int, bool]:
    """How many tasks the list holds. First a bound read from the inbox indexes alone (no case
    rows: it counts recused and hidden cases too); past EXACT_COUNT_UP_TO that bound is the answer,
    labelled an estimate; none is none; else the exact count with every eligibility rule, over only
    the tasks the bound saw. Either way at most a few thousand index entries are read."""
    rough = [_with_due(select(Task.id).where(OPEN_TASK, b), due_filter, now) for b in branches]
    bound, over = paging.capped_count(session, rough)
    if over or bound > EXACT_COUNT_UP_TO:
        return bound, True
    if bound == 0:
        return 0, False
    exact = (select(Task.id).join(Case, Case.id == Task.case_id)
             .where(Task.id.in_(r.limit(EXACT_COUNT_UP_TO + 1)), visible_cases(actor)) for r in rough)
    return paging.capped_count(session, exact)


def _complainant(ctx: EngineContext, session: Session, row) -> dict:
    """Who filed, as the inbox shows it: masked on a confidential case, "anonymous", the name the
    form keeps readable, else the one from the intake form's `x-complainant-field` among the
    encrypted personal fields (decrypted for this row only)."""
    if row.confidential:
        return {"complainant": None, "complainant_masked": True}
    if row.anonymous or row.complainant or not row.personal_sealed:
        return {"complainant": row.complainant, "complainant_masked": False}
    intake = ctx.definitions.get(session, row.definition_id).summary.get("intake_form") or {}
    field = intake.get("x-complainant-field")
    name = ctx.cipher.open(row.personal_sealed).get(field) if field else None
    return {"complainant": name, "complainant_masked": False}


def _list_item(ctx: EngineContext, session: Session, row, now: datetime) -> dict:
    """A list row, with whether its due time rests on a provisional calendar and its clock is paused,
    the case's subject and who filed it."""
    out = _describe(row, row.case_number, row.type_key, row.type_name, now)
    out.update(subject=row.subject, anonymous=bool(row.anonymous), **_complainant(ctx, session, row))
    provisional = [(row.deadlines or {}).get(name) for name in (row.provisional_deadlines or [])]
    due = aware(row.due_at)
    out["provisional"] = bool(due) and any(parse_instant(v) == due for v in provisional if v)
    out["paused"] = row.paused_at is not None
    return out


@dataclass
class Loaded:
    """A task with its case and definition, read in one statement, and what the reader may do."""

    task: Task
    case: Case
    definition: Definition
    visible: bool  # the case is visible to the reader (recusal included)
    excluded: bool  # the reader is recused from the case
    recused: set[str]  # everyone recused from the case
    open_tasks: list[Task]  # the case's ready inbox rows (when asked for)


_LOAD_STATEMENTS: dict[tuple, object] = {}  # (who reads, with open tasks) -> the built statement
_LOAD_STATEMENTS_KEPT = 512


def _load_statement(actor: Actor, with_open_tasks: bool):
    """The statement `_load` sends, built once per reader and shape: the task id is its only
    parameter, so SQLAlchemy neither rebuilds nor re-keys it at every request (its cache key is
    computed once per statement object)."""
    key = (actor.username, actor.groups, actor.roles, with_open_tasks)
    query = _LOAD_STATEMENTS.get(key)
    if query is not None:
        return query
    task_id = bindparam("task_id", type_=Integer)
    recused = (select(func.aggregate_strings(CaseExclusion.username, RECUSED_SEPARATOR))
               .where(CaseExclusion.case_id == Case.id).scalar_subquery())
    excluded = exists().where(CaseExclusion.case_id == Case.id, CaseExclusion.username == actor.username)
    wanted = Task.id == task_id
    if with_open_tasks:
        case_of_task = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
        wanted = or_(wanted, and_(Task.case_id == case_of_task, Task.state == "ready"))
    query = (select(Task, Case, visible_cases(actor).label("visible"), excluded.label("excluded"),
                    recused.label("recused"), *audit.head_columns(),
                    calendar_store.stamp_column())
             .join(Case, Case.id == Task.case_id).where(wanted))
    if not with_open_tasks:  # not a step: the workflow stays in the database
        query = query.options(defer(Case.workflow_json))
    if len(_LOAD_STATEMENTS) >= _LOAD_STATEMENTS_KEPT:
        _LOAD_STATEMENTS.clear()
    _LOAD_STATEMENTS[key] = query
    return query


def _load(ctx: EngineContext, session: Session, actor: Actor, task_id: int, with_open_tasks: bool = False,
          hidden_ok: bool = False) -> Loaded:
    """The task, its case (NotFound when the actor may not see it) and its definition (cached), in
    one statement; `with_open_tasks` (a step) brings the case's other ready rows and its workflow.
    The audit head and the calendar stamp come along, so neither is read again by the step."""
    query = _load_statement(actor, with_open_tasks)
    rows = session.execute(query, {"task_id": task_id}).all()
    mine = next((r for r in rows if r.Task.id == task_id), None)
    if mine is None:
        raise NotFound("no such task")
    if not mine.visible and not hidden_ok:
        raise NotFound("no such case")
    audit.note_head(session, mine.audit_head_seq, mine.audit_head_hash)
    calendar_store.note_stamp(session, mine.calendar_stamp)
    return Loaded(mine.Task, mine.Case, ctx.definitions.get(session, mine.Case.definition_id), bool(mine.visible),
                  bool(mine.excluded), set(filter(None, (mine.recused or "").split(RECUSED_SEPARATOR))),
                  [r.Task for r in rows if r.Task.state == "ready"])


def get_task_form(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    """The task with its form (staff choices filled in), without its case."""
    return task_with_form(ctx, session, _load(ctx, session, actor, task_id))


def task_with_form(ctx: EngineContext, session: Session, found: Loaded) -> dict:
    out = describe_task(found.task, found.case, found.definition, ctx.now())
    out["form"] = form_with_choices(session, out["form"], found.case)
    return out


_TASK = Task.__table__
_CLAIM = (_TASK.update().where(_TASK.c.id == bindparam("task_id"), _TASK.c.state == "ready", _TASK.c.assignee.is_(None))
          .values(assignee=bindparam("username"), claimed_at=bindparam("now"), stuck_since=None, delegated_by=None))


def claim_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    found = _load(ctx, session, actor, task_id, hidden_ok=True)
    task, case, definition = found.task, found.case, found.definition
    if found.excluded and not case.confidential:
        # Recused staff get the 403 the API promises, except on a confidential report: nothing about
        # it, not even that it exists, may reach the accused or anyone recused (404 as if missing).
        raise Forbidden("you are recused from this case and may not take its tasks")
    if not found.visible:
        raise NotFound("no such case")
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee == actor.username:
        return describe_task(task, case, definition, ctx.now())
    if not _may_take(actor, task):
        raise Forbidden("you are not a candidate for this task")
    now = ctx.now()
    claimed = session.execute(_CLAIM, {"task_id": task.id, "username": actor.username, "now": now}).rowcount
    if claimed != 1:
        raise Conflict("someone else holds this task")
    set_committed_value(task, "assignee", actor.username)
    set_committed_value(task, "claimed_at", now)
    set_committed_value(task, "stuck_since", None)
    audit.record(session, at=now, actor=actor.username, kind="task_claimed", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id})
    return describe_task(task, case, definition, now)


def unclaim_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int) -> dict:
    found = _load(ctx, session, actor, task_id)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    supervising = escalation_group(case, definition.summary, task.lane)  # the diagram's escalationGroup
    supervisor = actor.has_role("admin") or (supervising is not None and supervising in actor.groups)
    if task.assignee != actor.username and not supervisor:
        raise Forbidden("only the holder or a supervisor can hand this task back")
    if task.assignee is None:
        return describe_task(task, case, definition, ctx.now())
    now = ctx.now()
    held_by = task.assignee
    released = session.execute(update(Task).where(Task.id == task.id, Task.assignee == held_by)
                               .values(assignee=None, claimed_at=None, delegated_by=None)
                               .execution_options(synchronize_session=False)).rowcount
    if released != 1:
        raise Conflict("the task changed hands meanwhile; reload and try again")
    set_committed_value(task, "assignee", None)
    set_committed_value(task, "claimed_at", None)
    audit.record(session, at=now, actor=actor.username, kind="task_unclaimed", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "was_held_by": held_by})
    return describe_task(task, case, definition, now)


def complete_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int, data) -> dict:
    found = _load(ctx, session, actor, task_id, with_open_tasks=True)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username:
        raise Conflict("claim this task before completing it")
    if task.delegated_by:  # 委派: the one asked to work it hands it back; the holder completes it
        raise Conflict("this task was delegated to you: hand it back to its holder, who completes it")
    if task.spiff_id.startswith(SIGN_OFF):
        raise Conflict("this is a sign-off: sign it instead of completing it")
    waiting = sorted(t.assignee or "?" for t in found.open_tasks if t.spiff_id == f"{SIGN_OFF}{task.id}")
    if waiting:  # 加签: the colleagues asked to sign off have not all signed yet
        raise Conflict("waiting for sign-off from " + ", ".join(waiting), {"signers": waiting})
    form = form_with_choices(session, (definition.summary.get("forms") or {}).get(task.form_name), case)
    accepted = validate_form(form, data)
    now = ctx.now()
    step = CaseStep(ctx, session, case, definition, actor.username, now, open_tasks=found.open_tasks)
    step.restore()
    step.audit("task_completed", {"task": task.id, "data": accepted,
                                  "changes": changed_fields(form, case.data or {}, accepted)}, task.element_id)
    completed_by = {f"{task.element_id}_completed_by": actor.username}  # e.g. two different investigators
    if found.recused:  # later recusals (conflicts, self-recusal) reach the handlers that check choices
        completed_by["recused_users"] = sorted(found.recused | set((case.data or {}).get("recused_users") or []))
    try:
        step.complete(task.spiff_id, {**accepted, **completed_by})
    except LookupError:
        raise Conflict("this task is no longer open") from None
    task.completed_at, task.completed_by = now, actor.username  # after the run: the row is written once
    step.finish()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("the case was changed at the same time; reload and try again") from None
    return {"case_status": case.status, "case_number": case.number,
            "next_tasks": [describe_task(t, case, definition, now) for t in step.ready_rows]}


def recuse_from_task(ctx: EngineContext, session: Session, actor: Actor, task_id: int, reason: str) -> dict:
    """自行回避: the holder (or a candidate) of a task steps aside from the whole case with a
    reason; the task goes back to its group, or up when nobody eligible is left."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) < 2 or len(reason) > 250:
        raise InvalidInput("give the reason for stepping aside", {"reason": "2 to 250 characters"})
    found = _load(ctx, session, actor, task_id)
    task, case, definition = found.task, found.case, found.definition
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username and not _may_take(actor, task):
        raise Forbidden("only the holder or a candidate of a task can step aside from it")
    now = ctx.now()
    session.add(CaseExclusion(case_id=case.id, username=actor.username, reason=f"自行回避 / self-recused: {reason}"))
    session.flush()
    audit.record(session, at=now, actor=actor.username, kind="recused_self", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "reason": reason})
    for row in session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id)):
        route_to_eligible(session, case, row, definition.summary, now=now)
    session.refresh(task)
    return {"task": task.id, "case_number": case.number, "recused": True,
            "candidate_group": task.candidate_group, "assignee": task.assignee}
