"""Who work may be handed to: the case's circle (its access list, never widened), minus the recused."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Case, CaseExclusion, CaseViewer, GroupMember, Notification, User
from engine.tasks import Loaded, _load

CIRCLE_LIMIT = 200  # a case's circle is its lanes' groups: a page of names, never the whole staff


def load_for_operation(ctx: EngineContext, session: Session, actor: Actor, task_id: int,
                       with_open_tasks: bool = False) -> Loaded:
    """The task as claiming reads it, with claiming's refusals: recused -> 403, except on a
    confidential report (404, as if it did not exist); hidden -> 404."""
    found = _load(ctx, session, actor, task_id, with_open_tasks=with_open_tasks, hidden_ok=True)
    if found.excluded and not found.case.confidential:
        raise Forbidden("you are recused from this case and may not handle its tasks")
    if not found.visible:
        raise NotFound("no such case")
    return found


def circle(session: Session, case_id: int, limit: int = CIRCLE_LIMIT) -> list[dict]:
    """Active staff on the case's access list (named, or through a listed group), not recused;
    colleagues only copied in (抄送) are readers, not handlers, and are left out."""
    listed = select(CaseViewer.username).where(CaseViewer.case_id == case_id, CaseViewer.copied_by.is_(None),
                                               CaseViewer.username.is_not(None))
    via_group = (select(GroupMember.username).join(CaseViewer, CaseViewer.group_name == GroupMember.group_name)
                 .where(CaseViewer.case_id == case_id, CaseViewer.copied_by.is_(None)))
    recused = select(CaseExclusion.username).where(CaseExclusion.case_id == case_id)
    rows = session.execute(select(User.username, User.display_name)
                           .where(User.active.is_(True), or_(User.username.in_(listed), User.username.in_(via_group)),
                                  User.username.not_in(recused))
                           .order_by(User.username).limit(limit)).all()
    return [{"username": u, "display_name": d or u} for u, d in rows]


def in_circle(session: Session, case_id: int, username: str) -> bool:
    return any(p["username"] == username for p in circle(session, case_id))


def check_target(session: Session, case: Case, actor: Actor, username, field: str = "to") -> str:
    """`username` if work of this case may be handed to them, else the refusal the API promises:
    400 for a malformed name, 403 for anyone recused or outside the case's circle (the same words
    for both on a confidential report, so the refusal tells nothing about who is recused)."""
    if not isinstance(username, str) or not username.strip() or len(username) > 80:
        raise InvalidInput("name a colleague", {field: "a username"})
    username = username.strip()
    if username == actor.username:
        raise InvalidInput("name someone other than yourself", {field: "someone other than you"})
    if in_circle(session, case.id, username):
        return username
    recused = session.scalars(select(CaseExclusion.id).where(CaseExclusion.case_id == case.id,
                                                             CaseExclusion.username == username)).first()
    if recused is not None and not case.confidential:
        raise Forbidden(f"{username} is recused from this case", {field: "recused from this case"})
    raise Forbidden(f"{username} may not handle this case", {field: "not among those who may handle this case"})


def notify(session: Session, case: Case, now: datetime, subject: str, body: str = "",
           username: str | None = None, group: str | None = None) -> None:
    """An in-app notice; the subject names the case by number only (nothing of a report's content)."""
    session.add(Notification(kind="notice", case_id=case.id, username=username, group_name=group,
                             subject=f"{case.number or ''} {subject}"[:300], body=body, created_at=now))


def stated(text, field: str = "reason", low: int = 2, high: int = 500) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not low <= len(text) <= high:
        raise InvalidInput(f"give the {field}", {field: f"{low} to {high} characters"})
    return text
