"""Comments on a case and its tasks: internal (staff who may see the case), or also shown to the
complainant on their tracking page where the type lets them follow their case (a public type,
never a confidential report). @username mentions notify colleagues inside the case's circle;
mentioning anyone recused or outside it is refused, so a comment never reaches them."""
from __future__ import annotations

import re
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine.confidential import disclosure
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.forms import unstorable_text
from engine.models import CaseComment, CaseMessage, Task, User
from engine.handing_on.people import in_circle, notify

VISIBILITIES = ("internal", "complainant")
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,79})")


def _readable_case(ctx: EngineContext, session: Session, actor: Actor, case_id: int, what: str):
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    disclosure.guard_sealed(ctx, session, actor, case, False)
    disclosure.log_read(session, ctx, actor, case, what)
    return case


def complainant_may_see(ctx: EngineContext, session: Session, case) -> bool:
    return not case.confidential and ctx.definitions.get(session, case.definition_id).public


def add_comment(ctx: EngineContext, session: Session, actor: Actor, case_id: int, body, visibility="internal",
                task_id=None) -> dict:
    body = body.strip() if isinstance(body, str) else ""
    if not 1 <= len(body) <= 5000:
        raise InvalidInput("write the comment", {"body": "1 to 5000 characters"})
    if unstorable_text(body):
        raise InvalidInput("the comment cannot be stored", {"body": unstorable_text(body)})
    if visibility not in VISIBILITIES:
        raise InvalidInput("say who may read the comment", {"visibility": "internal or complainant"})
    case = _readable_case(ctx, session, actor, case_id, "comments")
    if task_id is not None:
        owner = session.scalar(select(Task.case_id).where(Task.id == task_id)) if isinstance(task_id, int) else None
        if owner != case.id:
            raise InvalidInput("no such task on this case", {"task_id": "a task of this case"})
    if visibility == "complainant" and not complainant_may_see(ctx, session, case):
        raise InvalidInput("the complainant cannot read comments on this case", {"visibility": "internal only here"})
    mentions = _mentioned(session, case, actor, body)
    now = ctx.now()
    row = CaseComment(case_id=case.id, task_id=task_id, author=actor.username, body=body, visibility=visibility,
                      mentions=mentions, created_at=now)
    session.add(row)
    if visibility == "complainant":
        session.add(CaseMessage(case_id=case.id, at=now, direction="to_complainant", kind="comment", body=body,
                                author=actor.username))
    session.flush()
    for username in mentions:
        notify(session, case, now, "在评论中提到了您 / mentioned you in a comment", body[:500], username=username)
    audit.record(session, at=now, actor=actor.username, kind="comment_added", case_id=case.id,
                 detail={"comment": row.id, "visibility": visibility, "task": task_id, "mentions": mentions})
    return _describe(row)


def _mentioned(session: Session, case, actor: Actor, body: str) -> list[str]:
    names = list(dict.fromkeys(m.rstrip(".-") for m in MENTION.findall(body)))
    if not names:
        return []
    known = set(session.scalars(select(User.username).where(User.username.in_(names), User.active.is_(True))))
    out = []
    for name in names:
        if name not in known or name == actor.username:
            continue  # an @ that names nobody (an address, a handle) is plain text
        if not in_circle(session, case.id, name):
            raise Forbidden(f"{name} may not read this case", {"body": f"@{name}: not among those who may see this case"})
        out.append(name)
    return out


def list_comments(ctx: EngineContext, session: Session, actor: Actor, case_id: int, limit=None, cursor=None,
                  task_id: int | None = None) -> dict:
    """One page of the case's comments, oldest first (`task_id`: only that task's)."""
    n = paging.check_limit(limit)
    after = paging.decode(f"comments:{case_id}", cursor, (int,))
    case = _readable_case(ctx, session, actor, case_id, "comments")
    where = [CaseComment.case_id == case.id]
    if task_id is not None:
        where.append(CaseComment.task_id == task_id)
    page_where = [*where, CaseComment.id > after[0]] if after else where
    rows = list(session.scalars(select(CaseComment).where(*page_where).order_by(CaseComment.id).limit(n + 1)))
    total, estimate = paging.capped_count(session, [select(CaseComment.id).where(*where)])
    nxt = paging.encode(f"comments:{case_id}", (rows[n - 1].id,)) if len(rows) > n else None
    return paging.answer([_describe(r) for r in rows[:n]], nxt, total, estimate)


def _describe(row: CaseComment) -> dict:
    return {"id": row.id, "case_id": row.case_id, "task_id": row.task_id, "author": row.author, "body": row.body,
            "visibility": row.visibility, "mentions": list(row.mentions or []),
            "created_at": to_iso(aware(row.created_at))}


CASE_PAGE_COMMENTS = 20


def newest_comments(ctx: EngineContext, session: Session, case, cursor: str | None = None,
                    limit: int | None = None) -> dict:
    """The case page's comments on a case the caller was already let see: the newest page (after
    `cursor`, the page before it), shown oldest first; `older` is the cursor of the page before,
    None when there is none. `complainant_comments`: whether a comment may go to the complainant."""
    limit = limit or CASE_PAGE_COMMENTS
    before = paging.decode(f"older-comments:{case.id}", cursor, (int,))
    where = [CaseComment.case_id == case.id]
    if before:
        where.append(CaseComment.id < before[0])
    rows = list(session.scalars(select(CaseComment).where(*where).order_by(CaseComment.id.desc()).limit(limit + 1)))
    older = paging.encode(f"older-comments:{case.id}", (rows[limit - 1].id,)) if len(rows) > limit else None
    return {"items": [_describe(r) for r in reversed(rows[:limit])], "older": older, "paged": cursor is not None,
            "complainant_comments": complainant_may_see(ctx, session, case)}
