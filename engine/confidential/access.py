"""Who may see a case and take its tasks.

- Recusal always wins: an excluded user sees nothing of the case (404 as if it did not exist).
- A confidential case (an internal report) is seen only by its access list (groups and users
  set by its handlers, need-to-know) and by auditors, who see identity masked. Admins do not
  widen the circle. Who opens a sealed case and who reveals a reporter's identity are the
  diagram's `sealedCaseReaders` and `identityRevealers` (engine.diagrams.type_rules).
- Any other case is seen by the groups of its lanes (resolved for the case), by whoever filed
  it, and by admins and auditors.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, exists, false, insert, or_, select, union
from sqlalchemy.orm import Session, defer

from engine.diagrams import type_rules
from engine.actors import Actor
from engine.errors import NotFound
from engine.models import Case, CaseExclusion, CaseViewer

OVERSIGHT_ROLES = ("admin", "auditor")


def visible_cases(actor: Actor):
    """A SQL condition on Case: the cases this actor may see."""
    not_excluded = ~exists().where(and_(CaseExclusion.case_id == Case.id, CaseExclusion.username == actor.username))
    listed = exists().where(and_(CaseViewer.case_id == Case.id, or_(
        CaseViewer.username == actor.username,
        CaseViewer.group_name.in_(sorted(actor.groups)) if actor.groups else false())))
    if actor.has_role("auditor"):
        return not_excluded
    if actor.has_role("admin"):
        return and_(not_excluded, or_(Case.confidential.is_(False), listed))
    return and_(not_excluded, listed)


def listed_case_ids(actor: Actor, cap: int | None = None):
    """For staff without an oversight role: the ids of the cases on their access lists, not
    recused (a SELECT through the viewer indexes, without touching the cases)."""
    if actor.has_role(*OVERSIGHT_ROLES):
        return None
    not_recused = ~exists().where(and_(CaseExclusion.case_id == CaseViewer.case_id,
                                       CaseExclusion.username == actor.username))
    branches = [select(CaseViewer.case_id).where(CaseViewer.username == actor.username, not_recused)]
    branches += [select(CaseViewer.case_id).where(CaseViewer.group_name == g, not_recused) for g in sorted(actor.groups)]
    if cap is not None:  # each branch reads at most `cap` rows: a count past it is labelled an estimate
        branches = [select(b.limit(cap).subquery().c.case_id) for b in branches]
    ids = union(*branches).subquery()
    return select(ids.c.case_id)


def load_visible_case(session: Session, actor: Actor, case_id: int, for_update: bool = False,
                      without_workflow: bool = False) -> Case:
    """The case if this actor may see it, else NotFound; `without_workflow`: for reads that never
    run it (its serialized workflow stays unread)."""
    query = select(Case).where(Case.id == case_id, visible_cases(actor))
    if without_workflow:
        query = query.options(defer(Case.workflow_json))
    if for_update and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    case = session.scalars(query).first()
    if case is None:
        raise NotFound("no such case")
    return case


def excluded_users(session: Session, case_id: int) -> set[str]:
    """Everyone recused from this case (by a handler, a declared conflict or their own word)."""
    return set(session.scalars(select(CaseExclusion.username).where(CaseExclusion.case_id == case_id)))


def may_reveal_identity(actor: Actor, summary: dict) -> bool:
    """A member of a group the case's diagram names in `identityRevealers` (none by default)."""
    return type_rules.may_reveal_identity(summary, actor.groups)


def may_open_sealed(actor: Actor, summary: dict) -> bool:
    """A sealed report (封存) is opened only by auditors and the type's `sealedCaseReaders`,
    each time with a reason."""
    return actor.has_role("auditor") or type_rules.may_open_sealed(summary, actor.groups)


def is_excluded(session: Session, case_id: int, username: str) -> bool:
    return session.scalars(select(CaseExclusion.id).where(
        CaseExclusion.case_id == case_id, CaseExclusion.username == username)).first() is not None


def may_see_identity(actor: Actor, case: Case) -> bool:
    """Personal data of ordinary cases is shown to those who handle them; confidential identity
    is masked for everyone here (revealing it is a decision of the type's `identityRevealers`)."""
    return not case.confidential


_VIEWERS = CaseViewer.__table__
_READ_VIEWERS = select(_VIEWERS.c.id, _VIEWERS.c.group_name, _VIEWERS.c.username).where(
    _VIEWERS.c.case_id == bindparam("case_id"), _VIEWERS.c.copied_by.is_(None))
_DROP_VIEWERS_BY_ID = delete(_VIEWERS).where(_VIEWERS.c.id.in_(bindparam("ids", expanding=True)))
_DROP_VIEWERS = delete(_VIEWERS).where(  # by value: the rows' ids are not known to a step
    _VIEWERS.c.case_id == bindparam("case_id"), _VIEWERS.c.copied_by.is_(None), or_(
        and_(_VIEWERS.c.username.is_(None), _VIEWERS.c.group_name.in_(bindparam("groups", expanding=True))),
        and_(_VIEWERS.c.group_name.is_(None), _VIEWERS.c.username.in_(bindparam("users", expanding=True)))))
_ADD_VIEWERS = insert(_VIEWERS)


def replace_viewers(session: Session, case_id: int, groups: list[str], users: list[str],
                    current: set[tuple[str | None, str | None]] | None = None) -> None:
    """Make the case's viewers exactly these groups and users, writing only the difference.
    `current`: the (group, user) rows the caller knows the case has (read when not given; a
    step knows them from the case as it was restored, so it only deletes and inserts).
    Colleagues copied in (抄送, `copied_by`) are not the lanes' to take away: they stay."""
    wanted = {(g, None) for g in groups if g} | {(None, u) for u in users if u}
    if current is None:
        rows = session.execute(_READ_VIEWERS, {"case_id": case_id}).all()
        ids = {(g, u): i for i, g, u in rows}
        gone_ids = [ids[v] for v in set(ids) - wanted]
        if gone_ids:
            session.execute(_DROP_VIEWERS_BY_ID, {"ids": gone_ids})
        current = set(ids)
    else:
        gone = current - wanted
        if gone:
            session.execute(_DROP_VIEWERS, {"case_id": case_id, "groups": sorted(g for g, u in gone if g and not u),
                                            "users": sorted(u for g, u in gone if u and not g)})
    added = [{"case_id": case_id, "group_name": g, "username": u} for g, u in sorted(wanted - current, key=str)]
    if added:
        session.execute(_ADD_VIEWERS, added)
