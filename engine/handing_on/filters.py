"""Saved inbox filters per user, shown with their counts, and follow-up dates on tasks.

A filter's criteria: `type`, `category`, `status` (the case's), `due` (overdue | due_soon |
follow_up: its follow-up date has come), `assignee` (me | unassigned | a username), `text` (in
the case number or the task's name). It matches open tasks of cases the user may see."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.confidential.access import visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Case, SavedFilter, Task
from engine.handing_on.people import load_for_operation

MAX_FILTERS = 20
DUE_SOON_HOURS = 24
FIELDS = {"type": 80, "category": 80, "status": 20, "due": 20, "assignee": 80, "text": 100}
DUE = ("overdue", "due_soon", "follow_up")


def _checked(name, criteria) -> tuple[str, dict]:
    details = {}
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 100:
        details["name"] = "1 to 100 characters"
    if not isinstance(criteria, dict):
        raise InvalidInput("the filter is malformed", {**details, "criteria": "an object"})
    clean = {}
    for key, value in criteria.items():
        if key not in FIELDS:
            details[f"criteria.{key}"] = "not a filter field"
        elif value in (None, ""):
            continue
        elif not isinstance(value, str) or len(value) > FIELDS[key]:
            details[f"criteria.{key}"] = f"text of at most {FIELDS[key]} characters"
        elif key == "due" and value not in DUE:
            details["criteria.due"] = "overdue, due_soon or follow_up"
        else:
            clean[key] = value.strip()
    if details:
        raise InvalidInput("the filter is malformed", details)
    return name, clean


def _conditions(actor: Actor, criteria: dict, now: datetime) -> list:
    where = [Task.state == "ready", visible_cases(actor)]
    if criteria.get("type"):
        where.append(Case.type_key == criteria["type"])
    if criteria.get("category"):
        where.append(Case.category == criteria["category"])
    if criteria.get("status"):
        where.append(Case.status == criteria["status"])
    due = criteria.get("due")
    if due == "overdue":
        where.append(Task.due_at < now)
    elif due == "due_soon":
        where.extend([Task.due_at >= now, Task.due_at < now + timedelta(hours=DUE_SOON_HOURS)])
    elif due == "follow_up":
        where.append(Task.follow_up_at <= now)
    who = criteria.get("assignee")
    if who == "me":
        where.append(Task.assignee == actor.username)
    elif who == "unassigned":
        where.append(Task.assignee.is_(None))
    elif who:
        where.append(Task.assignee == who)
    if criteria.get("text"):
        like = "%" + criteria["text"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Case.number.ilike(like, escape="\\"), Task.name.ilike(like, escape="\\")))
    return where


def _count(session: Session, actor: Actor, criteria: dict, now: datetime) -> tuple[int, bool]:
    query = select(Task.id).join(Case, Case.id == Task.case_id).where(*_conditions(actor, criteria, now))
    return paging.capped_count(session, [query])


def _describe(row: SavedFilter, count: tuple[int, bool] | None = None) -> dict:
    out = {"id": row.id, "name": row.name, "criteria": dict(row.criteria or {})}
    if count is not None:
        out["count"], out["count_is_estimate"] = count
    return out


def list_filters(ctx: EngineContext, session: Session, actor: Actor) -> dict:
    now = ctx.now()
    rows = list(session.scalars(select(SavedFilter).where(SavedFilter.username == actor.username)
                                .order_by(SavedFilter.id).limit(MAX_FILTERS)))
    items = [_describe(r, _count(session, actor, r.criteria or {}, now)) for r in rows]
    return paging.answer(items, None, len(items), False)


def save_filter(ctx: EngineContext, session: Session, actor: Actor, name, criteria) -> dict:
    name, clean = _checked(name, criteria)
    mine = session.scalars(select(SavedFilter.id).where(SavedFilter.username == actor.username)
                           .limit(MAX_FILTERS)).all()
    if len(mine) >= MAX_FILTERS:
        raise InvalidInput("too many saved filters", {"name": f"at most {MAX_FILTERS}; delete one first"})
    row = SavedFilter(username=actor.username, name=name, criteria=clean, created_at=ctx.now())
    session.add(row)
    session.flush()
    return _describe(row, _count(session, actor, clean, ctx.now()))


def delete_filter(ctx: EngineContext, session: Session, actor: Actor, filter_id: int) -> None:
    row = session.get(SavedFilter, filter_id)
    if row is None or row.username != actor.username:
        raise NotFound("no such filter")
    session.delete(row)


def filter_tasks(ctx: EngineContext, session: Session, actor: Actor, filter_id: int, limit=None,
                 cursor=None) -> dict:
    """One page of the tasks a saved filter matches, oldest task first."""
    n = paging.check_limit(limit)
    after = paging.decode(f"filter:{filter_id}", cursor, (int,))
    row = session.get(SavedFilter, filter_id)
    if row is None or row.username != actor.username:
        raise NotFound("no such filter")
    now = ctx.now()
    where = _conditions(actor, row.criteria or {}, now)
    if after:
        where.append(Task.id > after[0])
    rows = session.execute(select(Task.id, Task.name, Task.element_id, Task.assignee, Task.due_at, Task.follow_up_at,
                                  Case.id.label("case_id"), Case.number).join(Case, Case.id == Task.case_id)
                           .where(*where).order_by(Task.id).limit(n + 1)).all()
    items = [{"id": r.id, "name": r.name, "element_id": r.element_id, "assignee": r.assignee, "case_id": r.case_id,
              "case_number": r.number, "due_at": to_iso(aware(r.due_at)),
              "overdue": bool(r.due_at and aware(r.due_at) < now), "follow_up_at": to_iso(aware(r.follow_up_at))}
             for r in rows[:n]]
    nxt = paging.encode(f"filter:{filter_id}", (rows[n - 1].id,)) if len(rows) > n else None
    total, estimate = _count(session, actor, row.criteria or {}, now)
    return paging.answer(items, nxt, total, estimate, filter=_describe(row))


def set_follow_up(ctx: EngineContext, session: Session, actor: Actor, task_id: int, at: datetime | None) -> dict:
    """The holder's follow-up date on a task (None clears it); audited on the case."""
    found = load_for_operation(ctx, session, actor, task_id)
    task = found.task
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.assignee != actor.username:
        raise Forbidden("only the holder sets a follow-up date")
    now = ctx.now()
    session.execute(update(Task).where(Task.id == task.id).values(follow_up_at=at)
                    .execution_options(synchronize_session=False))
    audit.record(session, at=now, actor=actor.username, kind="follow_up_set", case_id=task.case_id,
                 element_id=task.element_id, detail={"task": task.id, "at": to_iso(aware(at))})
    return {"task": task.id, "follow_up_at": to_iso(aware(at))}
