"""What the task page offers for handing work on, computed inside the page's one transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.confidential import routing
from engine.actors import Actor
from engine.models import CaseComment
from engine.tasks import Loaded
from engine.handing_on.people import circle
from engine.steps import SIGN_OFF
from engine.handing_on.send_back import send_back_choices
from engine.handing_on.comments import _describe as describe_comment
from engine.handing_on.signers import sign_offs

SHOWN_COMMENTS = 50


def task_operations(session: Session, actor: Actor, found: Loaded) -> dict:
    """{"people": whom the task may go to, "send_back_to": returnable earlier steps, "may_*"}."""
    task, case = found.task, found.case
    ready = task.state == "ready"
    if task.spiff_id.startswith(SIGN_OFF):  # a sign-off: signed by the one asked, nothing else
        return {"sign_off_for_me": ready and task.assignee == actor.username, "holds": False, "people": [],
                "send_back_to": [], "sign_offs": [], "may_copy": True}
    holds = ready and task.assignee == actor.username and not task.delegated_by
    supervisor = routing.supervises(actor, case, found.definition.summary, task.lane)
    may_transfer = ready and (holds or supervisor)
    people = [p for p in circle(session, case.id) if p["username"] != actor.username] if ready else []
    return {"holds": holds, "delegated_to_me": ready and task.assignee == actor.username and bool(task.delegated_by),
            "delegated_by": task.delegated_by, "may_transfer": may_transfer, "may_delegate": holds,
            "people": people, "send_back_to": send_back_choices(session, found.definition, task) if holds else [],
            "may_copy": True, "sign_offs": sign_offs(session, task.id), "sign_off_for_me": False,
            "follow_up_at": task.follow_up_at}


def task_page_operations(ctx, session: Session, actor: Actor, task_id: int) -> dict:
    """The operations the task page offers, with the case's latest comments."""
    from engine.tasks import _load
    from engine.handing_on.comments import complainant_may_see

    found = _load(ctx, session, actor, task_id)
    out = task_operations(session, actor, found)
    latest = list(session.scalars(select(CaseComment).where(CaseComment.case_id == found.case.id)
                                  .order_by(CaseComment.id.desc()).limit(SHOWN_COMMENTS)))
    out["comments"] = [describe_comment(c) for c in reversed(latest)]
    out["complainant_comments"] = complainant_may_see(ctx, session, found.case)
    return out
