"""Who may see a case and take its tasks.

- Recusal always wins: an excluded user sees nothing of the case (404 as if it did not exist).
- A confidential case (an internal report) is seen only by its access list (groups and users
  set by its handlers: the integrity office, later the committee and the named team) and by
  auditors, who see identity masked. Admins do not widen the circle.
- Any other case is seen by the groups of its lanes (resolved for the case), by whoever filed
  it, and by admins and auditors.
"""
from __future__ import annotations

from sqlalchemy import and_, delete, exists, false, insert, or_, select, union
from sqlalchemy.orm import Session, defer

from .actors import Actor
from .errors import NotFound
from .models import Case, CaseExclusion, CaseViewer

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


def listed_case_ids(actor: Actor):
    """For staff without an oversight role: the ids of the cases on their access lists, not
    recused (a SELECT through the viewer indexes, without touching the cases)."""
    if actor.has_role(*OVERSIGHT_ROLES):
        return None
    listed = union(select(CaseViewer.case_id).where(CaseViewer.username == actor.username),
                   *(select(CaseViewer.case_id).where(CaseViewer.group_name == g) for g in sorted(actor.groups)))
    ids = listed.subquery()
    return select(ids.c.case_id).where(~exists().where(and_(CaseExclusion.case_id == ids.c.case_id,
                                                            CaseExclusion.username == actor.username)))


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


def is_committee(actor: Actor) -> bool:
    """The committee decides on internal reports: a member of its group, or holder of the role."""
    return "committee" in actor.groups or actor.has_role("committee")


def may_open_sealed(actor: Actor) -> bool:
    """A sealed report (封存) is opened only by auditors and the committee, each time with a reason."""
    return actor.has_role("auditor") or is_committee(actor)


def is_excluded(session: Session, case_id: int, username: str) -> bool:
    return session.scalars(select(CaseExclusion.id).where(
        CaseExclusion.case_id == case_id, CaseExclusion.username == username)).first() is not None


def may_see_identity(actor: Actor, case: Case) -> bool:
    """Personal data of ordinary cases is shown to those who handle them; confidential identity
    is masked for everyone here (revealing it is a committee decision with a reason)."""
    return not case.confidential


def replace_viewers(session: Session, case_id: int, groups: list[str], users: list[str],
                    current: set[tuple[str | None, str | None]] | None = None) -> None:
    """Make the case's viewers exactly these groups and users, writing only the difference.
    `current`: the (group, user) rows the caller knows the case has (read when not given).
    Colleagues copied in (抄送, `copied_by`) are not the lanes' to take away: they stay."""
    wanted = {(g, None) for g in groups if g} | {(None, u) for u in users if u}
    ids: dict[tuple, int] = {}
    if current is None:
        rows = session.execute(select(CaseViewer.id, CaseViewer.group_name, CaseViewer.username)
                               .where(CaseViewer.case_id == case_id, CaseViewer.copied_by.is_(None))).all()
        ids = {(g, u): i for i, g, u in rows}
        current = set(ids)
    gone = [ids[v] for v in current - wanted if v in ids]
    if gone:
        session.execute(delete(CaseViewer).where(CaseViewer.id.in_(gone)))
    added = [{"case_id": case_id, "group_name": g, "username": u} for g, u in sorted(wanted - current, key=str)]
    if added:
        session.execute(insert(CaseViewer), added)
