"""Staff notices (催办 reminders, 督办 escalations, other notices): in-app list, mail outbox, audit.

A notice names a user, a group, or a task (`task`: element id). A task's notice goes to whoever
holds the task now (its assignee), else its named candidates, else its group — the handler cannot
know who claimed the task, the engine does. Each notice is an audit event (without its text: a
confidential case's notices stay out of the log), and becomes mail for every recipient with an
address; `send_outbox` delivers the mail through whatever sender the caller configured (SMTP).
"""
from __future__ import annotations

import heapq
import itertools
import logging
from datetime import datetime
from typing import Callable

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from engine import paging
from engine.oversight import audit
from engine import rows as written
from engine.confidential.access import visible_cases
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.errors import NotFound
from engine.models import Case, CaseExclusion, GroupMember, Notification, OutboxMail, Task, User

log = logging.getLogger(__name__)
KINDS = ("reminder", "escalation", "notice")
MAX_ATTEMPTS = 5

Sender = Callable[[str, str, str], None]


def deliver(ctx, session: Session, case: Case, note: dict, now: datetime, actor: str,
            ready_tasks: list[Task] | None = None) -> list[Notification]:
    """Store one handler notice for its recipients, queue their mail, audit it (`ready_tasks`:
    the case's open inbox rows when the caller holds them, so a notice to a task reads none)."""
    kind = note.get("kind") if note.get("kind") in KINDS else "notice"
    subject, body = str(note.get("subject") or "")[:300], str(note.get("body") or "")
    targets = _targets(session, case.id, note, ready_tasks)
    rows = []
    for username, group in targets:
        row = Notification(kind=kind, case_id=case.id, username=username, group_name=group,
                           subject=subject, body=body, created_at=now)
        written.add(session, row)  # a Core insert built once (engine.rows)
        rows.append(row)
        for address in _addresses(session, case.id, username, group):
            written.add(session, OutboxMail(case_id=case.id, recipient_sealed=ctx.cipher.seal({"to": address}),
                                            subject=f"{case.number or ''} {subject}".strip()[:300], body=body,
                                            created_at=now))
    audit.record(session, at=now, actor=actor, kind=f"notification_{kind}", case_id=case.id,
                 element_id=note.get("task"),
                 detail={"subject": subject, "to": [u or f"group:{g}" for u, g in targets]})
    return rows


def _targets(session: Session, case_id: int, note: dict,
             ready_tasks: list[Task] | None = None) -> list[tuple[str | None, str | None]]:
    if note.get("to_user"):
        return [(note["to_user"], None)]
    if note.get("task"):
        if ready_tasks is not None:
            task = max((t for t in ready_tasks if t.element_id == note["task"] and t.state == "ready"),
                       key=lambda t: t.id, default=None)
        else:
            task = session.scalars(select(Task).where(Task.case_id == case_id, Task.element_id == note["task"],
                                                      Task.state == "ready").order_by(Task.id.desc()).limit(1)).first()
        if task is not None:
            if task.assignee:
                return [(task.assignee, None)]
            if task.candidates:
                return [(u, None) for u in task.candidates]
            if task.candidate_group:
                return [(None, task.candidate_group)]
    if note.get("to_group"):
        return [(None, note["to_group"])]
    raise ValueError("a notice needs a user, a group or a task")


def _addresses(session: Session, case_id: int, username: str | None, group: str | None) -> list[str]:
    """Mail addresses of the recipients (a user, or a group's active members), never of someone
    recused from the case: one statement."""
    if username:
        found = session.scalars(_USER_ADDRESS, {"case_id": case_id, "username": username})
    else:
        found = session.scalars(_GROUP_ADDRESSES, {"case_id": case_id, "group": group})
    return [e for e in found if e and "@" in e]


def _address_query(by_group: bool):
    """The statement `_addresses` sends, built once (Core: no autoflush, no rebuilding per notice)."""
    user, member, excluded = User.__table__.c, GroupMember.__table__.c, CaseExclusion.__table__.c
    query = select(user.email).where(user.active.is_(True), user.username.not_in(
        select(excluded.username).where(excluded.case_id == bindparam("case_id"))))
    if by_group:
        query = query.join(GroupMember.__table__, member.username == user.username).where(
            member.group_name == bindparam("group"))
    else:
        query = query.where(user.username == bindparam("username"))
    return query.order_by(user.username)


_USER_ADDRESS, _GROUP_ADDRESSES = _address_query(False), _address_query(True)


def _addressees(actor: Actor) -> list:
    """The disjoint row sets addressed to this actor: to them by name, to each of their groups."""
    return [Notification.username == actor.username] + [Notification.group_name == g for g in sorted(actor.groups)]


def _readable(actor: Actor):
    """Notices about a case the actor may not see (recused, not on a confidential case's list)
    do not exist for them."""
    return or_(Notification.case_id.is_(None), and_(Case.id.is_not(None), visible_cases(actor)))


LIST_COLUMNS = (Notification.id, Notification.kind, Notification.case_id, Notification.username,
                Notification.group_name, Notification.subject, Notification.body, Notification.created_at,
                Notification.read_at, Case.number.label("case_number"))


def list_for(session: Session, actor: Actor, unread_only: bool = False, limit: int | None = None,
             cursor: str | None = None) -> dict:
    """One page of the notices the actor may read, newest first (by id, through the
    (addressee, read_at, id) indexes)."""
    n = paging.check_limit(limit)
    after = paging.decode("notifications", cursor, (int,))
    pages, counted = [], []
    for addressee in _addressees(actor):
        matching = (select(Notification.id).outerjoin(Case, Case.id == Notification.case_id)
                    .where(addressee, _readable(actor)))
        if unread_only:
            matching = matching.where(Notification.read_at.is_(None))
        counted.append(matching)
        query = matching.with_only_columns(*LIST_COLUMNS)
        if after is not None:
            query = query.where(Notification.id < after[0])
        pages.append(session.execute(query.order_by(Notification.id.desc()).limit(n + 1)).all())
    rows = list(itertools.islice(heapq.merge(*pages, key=lambda r: -r.id), n + 1))
    total, estimate = paging.capped_count(session, counted)
    nxt = paging.encode("notifications", (rows[n - 1].id,)) if len(rows) > n else None
    return paging.answer([describe(r, r.case_number) for r in rows[:n]], nxt, total, estimate)


def describe(n, number: str | None) -> dict:
    """A notice (`n`: a row or a row of the list's columns)."""
    return {"id": n.id, "kind": n.kind, "case_id": n.case_id, "case_number": number, "to_user": n.username,
            "to_group": n.group_name, "subject": n.subject, "body": n.body,
            "created_at": to_iso(aware(n.created_at)), "read_at": to_iso(aware(n.read_at))}


def mark_read(session: Session, actor: Actor, notification_id: int, now: datetime) -> dict:
    """A group notice read by one member counts as read for the group (one shared list)."""
    found = session.execute(select(Notification, Case.number).outerjoin(Case, Case.id == Notification.case_id)
                            .where(Notification.id == notification_id, or_(*_addressees(actor)),
                                   _readable(actor))).first()
    if found is None:
        raise NotFound("no such notification")
    row, number = found
    row.read_at = row.read_at or now
    return describe(row, number)


def send_outbox(ctx, sender: Sender, limit: int = 100) -> dict:
    """Deliver queued mail, one transaction per mail (a crash never sends one twice in a row
    without recording it); a failure is counted and retried up to MAX_ATTEMPTS times."""
    sent = failed = 0
    with ctx.db.transaction() as session:
        ids = list(session.scalars(select(OutboxMail.id).where(
            OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS).order_by(OutboxMail.id).limit(limit)))
    for mail_id in ids:
        with ctx.db.transaction() as session:
            query = select(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None))
            if not ctx.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            mail = session.scalars(query).first()
            if mail is None:
                continue
            mail.attempts += 1
            try:
                sender(ctx.cipher.open(mail.recipient_sealed)["to"], mail.subject, mail.body)
            except Exception as exc:  # any transport error: keep the mail, say why, retry later
                mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
                failed += 1
                log.warning("mail %s not sent: %s", mail.id, mail.last_error)
                continue
            mail.sent_at, mail.last_error = ctx.now(), None
            sent += 1
    return {"sent": sent, "failed": failed}


def outbox_summary(session: Session) -> dict:
    return {"pending": session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None)))}
