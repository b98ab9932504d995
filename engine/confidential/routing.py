"""Recusal-aware routing of inbox rows: a task never waits for someone who may not take it.

Every new inbox row (and every open row of a case when someone is recused later) passes through
`route_to_eligible`: excluded users are taken off its candidates and its holder's seat; when no
eligible person is left in its lane it goes up to the case's supervising group (the diagram's
`escalationGroup`, e.g. 督办 for complaints) instead of waiting for ever; a type that names none
hands it to the admins who may see the case.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.accounts import users
from engine.models import Case, CaseExclusion, Notification, Task, TaskCandidate, User

def escalation_group(case: Case, summary: dict, lane: str | None = None) -> str | None:
    """Where this case's tasks (of `lane`) go when their own lane is empty (`summary`: its
    definition's): the case's `escalation_group` data, else the diagram's `escalationGroup` of
    that lane, else of the process, else None (the admins who may see the case)."""
    override = (case.data or {}).get("escalation_group")
    if isinstance(override, str) and override:
        return override
    return (summary.get("lane_escalation_groups") or {}).get(lane) or summary.get("escalation_group") or None


def supervises(actor, case: Case, summary: dict, lane: str | None = None) -> bool:
    """Whether the actor supervises this case's tasks (of `lane`): an admin, or a member of the
    group the diagram names to supervise them (its escalation group)."""
    if actor.has_role("admin"):
        return True
    group = escalation_group(case, summary, lane)
    return bool(group) and group in actor.groups


def eligible_candidates(session: Session, case_id: int, task: Task) -> list[str]:
    """Who may still take this task: its named candidates (active accounts), else its group's
    active members, minus the recused."""
    if task.candidates:
        excluded = recused_from(session, case_id)
        active = set(session.scalars(select(User.username).where(User.username.in_(task.candidates),
                                                                  User.active.is_(True))))
        return [u for u in task.candidates if u not in excluded and u in active]
    return users.group_members(session, task.candidate_group, not_recused_from=case_id) if task.candidate_group else []


def lane_group(lane: str | None, data: dict, summary: dict | None) -> str | None:
    """The candidate group of a lane for one case: what a handler set for this case
    (`lane_groups` in the case data), else the case data variable the lane names (its
    `groupVariable` property), else the group the version mapped the lane to at deploy, else
    (versions deployed before lanes were mapped) a data key named like the lane, else the lane name."""
    if not lane:
        return None
    override = (data.get("lane_groups") or {}).get(lane)
    if isinstance(override, str) and override:
        return override
    summary = summary or {}
    variable = (summary.get("lane_variables") or {}).get(lane)
    if variable:
        value = data.get(variable)
        if isinstance(value, str) and value:
            return value
    mapped = (summary.get("lane_groups") or {}).get(lane)
    if mapped:
        return mapped
    if "lane_groups" not in summary:
        value = data.get(lane)
        if isinstance(value, str) and value:
            return value
    return lane


def recused_from(session: Session, case_id: int) -> set[str]:
    return set(session.scalars(select(CaseExclusion.username).where(CaseExclusion.case_id == case_id)))


def set_candidates(session: Session, task: Task, names: list[str] | None, offered: bool = True) -> None:
    """Name who may take this task (None or []: its group does), on the row and in the
    `task_candidate` rows the inbox query reads. The only writer of either. A task no longer
    open (`offered=False`) keeps its names on the row for the record, and leaves the inbox table."""
    names = list(dict.fromkeys(n for n in (names or []) if n)) or None
    task.candidates = names
    if task.id is None:
        session.flush()
    session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
    if names and offered:
        session.execute(insert(TaskCandidate), [{"task_id": task.id, "username": n} for n in names])


def route_to_eligible(session: Session, case: Case, task: Task, summary: dict, now: datetime | None = None) -> None:
    """Called for every new inbox row (and on recusal): drop the recused from the task, and
    escalate it when its lane has no eligible candidate left."""
    if task.state != "ready":
        return
    now = now or case.updated_at
    # (a new row of an ordinary case has neither: then one statement asks for an eligible member)
    excluded = recused_from(session, case.id) if task.candidates or task.assignee else set()
    if task.candidates and excluded & set(task.candidates):
        set_candidates(session, task, [u for u in task.candidates if u not in excluded])
        if task.candidates is None:
            task.candidate_group = task.candidate_group or task.lane  # nobody named is left: the lane again
    if task.assignee and task.assignee in excluded:
        audit.record(session, at=now, actor="system", kind="task_unclaimed", case_id=case.id,
                     element_id=task.element_id, detail={"task": task.id, "reason": "recused"})
        task.assignee, task.claimed_at = None, None
    if eligible_candidates(session, case.id, task):
        if task.stuck_since is not None:  # (assigning None again would still dirty the row)
            task.stuck_since = None
        return
    target = escalation_group(case, summary, task.lane)
    if target is None or (target == task.candidate_group and not task.candidates):
        _hand_to_admins(session, case, task, now)
        return
    from_group = task.candidate_group
    task.candidate_group, task.assignee = target, None
    set_candidates(session, task, None)
    session.flush()
    kind = "task_escalated" if eligible_candidates(session, case.id, task) else "no_eligible_candidate"
    task.stuck_since = None if kind == "task_escalated" else now
    audit.record(session, at=now, actor="system", kind=kind, case_id=case.id, element_id=task.element_id,
                 detail={"task": task.id, "from_group": from_group, "to_group": target,
                         "reason": "no eligible candidate left in the lane"})
    session.add(Notification(kind="escalation", case_id=case.id, group_name=target, created_at=now,
                             subject=f"{case.number or ''} {task.name}: 无可办理人员，已提级 / escalated: "
                                     "nobody eligible is left in the lane",
                             body=""))
    session.flush()


def _hand_to_admins(session: Session, case: Case, task: Task, now: datetime) -> None:
    """The supervising group itself has nobody eligible (the complaint names the only supervisor),
    or the type names none:
    the admins who may see the case become the task's candidates and are told, so it never waits
    for ever. A confidential report's circle is never widened: there the event is recorded and the
    committee's own superiors must act outside the system (检举控告: one level up)."""
    excluded = recused_from(session, case.id)
    admins = [] if case.confidential else [u for u in users.users_with_role(session, "admin") if u not in excluded]
    task.stuck_since = task.stuck_since or now  # on the admins' list of stuck tasks until someone holds it
    audit.record(session, at=now, actor="system", kind="no_eligible_candidate", case_id=case.id,
                 element_id=task.element_id, detail={"task": task.id, "group": task.candidate_group,
                                                     "handed_to_admins": len(admins)})
    if not admins:
        return
    task.assignee = None
    set_candidates(session, task, admins)
    for username in admins:
        session.add(Notification(kind="escalation", case_id=case.id, username=username, created_at=now,
                                 subject=f"{case.number or ''} {task.name}: 无可办理人员，请指派 / "
                                         "nobody eligible is left: please take or reassign", body=""))
    session.flush()
