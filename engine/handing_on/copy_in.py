"""抄送 copy a case to colleagues: they may read it (never take its tasks) and are notified.

On an ordinary case anyone active and not recused may be copied in (a viewer row marked
`copied_by`, which the lanes' refreshes leave alone). A confidential report's circle is never
widened: only people already on its access list may be copied (a notice, nothing more).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.confidential.access import load_visible_case
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.models import CaseExclusion, CaseViewer, User
from engine.handing_on.people import check_target, notify, stated

MAX_COPIED = 20


def copy_in(ctx: EngineContext, session: Session, actor: Actor, case_id: int, to, note) -> dict:
    note = stated(note, "note", 0, 2000) if note else ""
    if not isinstance(to, list) or not 1 <= len(to) <= MAX_COPIED:
        raise InvalidInput("name the colleagues to copy in", {"to": f"a list of 1 to {MAX_COPIED} usernames"})
    case = load_visible_case(session, actor, case_id, without_workflow=True)
    names = list(dict.fromkeys(to))
    copied = [_eligible(session, case, actor, name) for name in names]
    now = ctx.now()
    already = set(session.scalars(select(CaseViewer.username).where(
        CaseViewer.case_id == case.id, CaseViewer.copied_by.is_not(None), CaseViewer.username.in_(copied))))
    for username in copied:
        if not case.confidential and username not in already:
            session.add(CaseViewer(case_id=case.id, username=username, copied_by=actor.username))
        notify(session, case, now, "抄送给您（只读）/ copied to you (read-only)", note, username=username)
    audit.record(session, at=now, actor=actor.username, kind="case_copied", case_id=case.id,
                 detail={"to": copied, "note": note})
    session.flush()
    return {"case_id": case.id, "case_number": case.number, "copied_to": copied}


def _eligible(session: Session, case, actor: Actor, username) -> str:
    if case.confidential:
        return check_target(session, case, actor, username)
    if not isinstance(username, str) or not username.strip() or len(username) > 80:
        raise InvalidInput("name a colleague", {"to": "usernames"})
    username = username.strip()
    recused = session.scalars(select(CaseExclusion.id).where(CaseExclusion.case_id == case.id,
                                                             CaseExclusion.username == username)).first()
    if recused is not None:
        raise Forbidden(f"{username} is recused from this case", {"to": f"{username}: recused from this case"})
    active = session.scalars(select(User.id).where(User.username == username, User.active.is_(True))).first()
    if active is None:
        raise InvalidInput(f"no active colleague {username}", {"to": f"{username}: no such active user"})
    if username == actor.username:
        raise InvalidInput("name someone other than yourself", {"to": "someone other than you"})
    return username


def copied_to(session: Session, case_id: int) -> list[dict]:
    """Who has been copied in on the case, for its page."""
    rows = session.execute(select(CaseViewer.username, CaseViewer.copied_by).where(
        CaseViewer.case_id == case_id, CaseViewer.copied_by.is_not(None)).order_by(CaseViewer.id)).all()
    return [{"username": u, "copied_by": by} for u, by in rows]
