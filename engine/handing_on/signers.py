"""加签 / 减签: before completing, the holder asks named colleagues to sign off. Each gets a
sign-off task of their own (an inbox row that is no task of the workflow); the holder's task
completes only when every one has signed. A pending signer can be taken off again (减签)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import Task
from engine.steps import SIGN_OFF
from engine.handing_on.people import check_target, load_for_operation, notify, stated

MAX_SIGNERS = 10


def _held(found, actor: Actor) -> Task:
    task = found.task
    if task.state != "ready":
        raise Conflict("this task is already completed")
    if task.spiff_id.startswith(SIGN_OFF):
        raise Forbidden("a sign-off cannot ask for further sign-offs")
    if task.assignee != actor.username or task.delegated_by:
        raise Forbidden("only the holder can ask for or withdraw sign-offs")
    return task


def sign_offs(session: Session, task_id: int) -> list[dict]:
    """The sign-offs asked for on a task, oldest first (pending, signed or withdrawn)."""
    rows = session.scalars(select(Task).where(Task.spiff_id == f"{SIGN_OFF}{task_id}").order_by(Task.id))
    return [{"id": r.id, "username": r.assignee or r.completed_by, "state": r.state,
             "signed_at": r.completed_at.isoformat() if r.completed_at else None} for r in rows]


def add_signers(ctx: EngineContext, session: Session, actor: Actor, task_id: int, to, note) -> dict:
    note = stated(note, "note", 0, 2000) if note else ""
    if not isinstance(to, list) or not 1 <= len(to) <= MAX_SIGNERS:
        raise InvalidInput("name the colleagues to sign off", {"to": f"a list of 1 to {MAX_SIGNERS} usernames"})
    found = load_for_operation(ctx, session, actor, task_id, with_open_tasks=True)
    task, case = _held(found, actor), found.case
    names = [check_target(session, case, actor, name) for name in dict.fromkeys(to)]
    pending = {t.assignee for t in found.open_tasks if t.spiff_id == f"{SIGN_OFF}{task.id}"}
    now = ctx.now()
    added = [n for n in names if n not in pending]
    for username in added:
        session.add(Task(case_id=case.id, spiff_id=f"{SIGN_OFF}{task.id}", element_id=task.element_id,
                         name=f"会签 / Sign-off: {task.name}"[:300], lane=task.lane, candidate_group=None,
                         assignee=username, state="ready", created_at=now, claimed_at=now, due_at=task.due_at))
        notify(session, case, now, f"{task.name}: 请会签 / please sign off", note, username=username)
    audit.record(session, at=now, actor=actor.username, kind="signers_added", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "to": added, "note": note})
    session.flush()
    return {"task": task.id, "signers": sign_offs(session, task.id)}


def remove_signer(ctx: EngineContext, session: Session, actor: Actor, task_id: int, username: str) -> dict:
    """减签: a pending sign-off is withdrawn (one already signed stays on the record)."""
    found = load_for_operation(ctx, session, actor, task_id, with_open_tasks=True)
    task, case = _held(found, actor), found.case
    row = next((t for t in found.open_tasks if t.spiff_id == f"{SIGN_OFF}{task.id}" and t.assignee == username), None)
    if row is None:
        raise NotFound("no pending sign-off by this colleague on this task", {"username": username})
    withdrawn = session.execute(update(Task).where(Task.id == row.id, Task.state == "ready")
                                .values(state="cancelled").execution_options(synchronize_session=False)).rowcount
    if withdrawn != 1:
        raise Conflict("this sign-off was given or withdrawn meanwhile")
    now = ctx.now()
    audit.record(session, at=now, actor=actor.username, kind="signer_removed", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "username": username})
    notify(session, case, now, f"{task.name}: 会签已撤回 / sign-off withdrawn", username=username)
    session.expire(row)
    return {"task": task.id, "signers": sign_offs(session, task.id)}


def sign(ctx: EngineContext, session: Session, actor: Actor, sign_off_id: int, agree, opinion) -> dict:
    """The colleague asked signs off, agreeing or not, with their opinion; the holder is told."""
    opinion = stated(opinion, "opinion", 1, 2000)
    if not isinstance(agree, bool):
        raise InvalidInput("say whether you agree", {"agree": "true or false"})
    found = load_for_operation(ctx, session, actor, sign_off_id)
    row, case = found.task, found.case
    if not row.spiff_id.startswith(SIGN_OFF):
        raise Conflict("this task is no sign-off; complete it instead")
    if row.state != "ready":
        raise Conflict("this sign-off is no longer pending")
    if row.assignee != actor.username:
        raise Forbidden("only the colleague asked can sign this off")
    now = ctx.now()
    signed = session.execute(update(Task).where(Task.id == row.id, Task.state == "ready", Task.assignee == actor.username)
                             .values(state="completed", completed_at=now, completed_by=actor.username)
                             .execution_options(synchronize_session=False)).rowcount
    if signed != 1:
        raise Conflict("this sign-off was withdrawn meanwhile")
    parent = session.get(Task, int(row.spiff_id[len(SIGN_OFF):]))
    audit.record(session, at=now, actor=actor.username, kind="signed_off", case_id=case.id,
                 element_id=row.element_id, detail={"task": parent.id, "agree": agree, "opinion": opinion})
    if parent.assignee:
        notify(session, case, now, f"{parent.name}: {actor.username} 已会签（{'同意' if agree else '不同意'}）/ "
               f"signed off ({'agrees' if agree else 'disagrees'})", opinion, username=parent.assignee)
    return {"task": parent.id, "sign_off": row.id, "agree": agree, "signers": sign_offs(session, parent.id)}


def withdraw_with(session: Session, task: Task) -> None:
    """Pending sign-offs of a task that was cancelled (sent back) go with it."""
    session.execute(update(Task).where(Task.spiff_id == f"{SIGN_OFF}{task.id}", Task.state == "ready")
                    .values(state="cancelled").execution_options(synchronize_session=False))
