"""Declared conflicts of interest (利益冲突申报) and the recusals they cause.

Staff declare their own conflicts; admins record them for others (a conflict learned from a
third party must not wait for the conflicted person's goodwill). A new declaration also applies
at once to the cases already filed that name the party: waiting for the next service task would
leave the conflicted person looking at the case in the meantime.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.accounts import users
from engine.confidential.access import excluded_users
from engine.actors import Actor
from engine.clocks.clock import aware, to_iso
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Case, CaseExclusion, Conflict, ProcessDefinition, Task
from engine.confidential.routing import route_to_eligible

PARTY_KINDS = ("person", "department", "organisation")
# The case data fields that name a party: the accused, the complainant, the tender's parties.
PARTY_FIELDS = ("accused_staff", "accused_name", "accused_username", "accused_department", "complainant_name",
                "tenderer", "respondent", "agency")
RECORDERS = ("admin",)
READERS = ("admin", "auditor")


def describe(row: Conflict, now: datetime) -> dict:
    """A conflict as plain data, with whether it applies at `now`."""
    start, end = aware(row.valid_from), aware(row.valid_to)
    return {"id": row.id, "username": row.username, "party": row.party, "party_kind": row.party_kind,
            "relation": row.relation, "valid_from": to_iso(start), "valid_to": to_iso(end),
            "recorded_by": row.recorded_by, "active": (start is None or start <= now) and (end is None or end > now)}


def _text(value, name: str, details: dict, max_length: int = 200, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        details[name] = "this field is required"
    elif len(text) > max_length:
        details[name] = f"at most {max_length} characters"
    return text


def declare(session: Session, actor: Actor, now: datetime, fields: dict) -> dict:
    """Record a conflict (for oneself, or by an admin for anyone) and recuse its holder from the
    cases already naming the party. `fields`: username (optional), party, party_kind, relation,
    valid_from, valid_to (aware datetimes or None)."""
    details: dict[str, str] = {}
    username = _text(fields.get("username") or actor.username, "username", details, 80)
    party = _text(fields.get("party"), "party", details)
    relation = _text(fields.get("relation"), "relation", details)
    kind = fields.get("party_kind") or "person"
    if kind not in PARTY_KINDS:
        details["party_kind"] = "must be one of: " + ", ".join(PARTY_KINDS)
    start, end = fields.get("valid_from"), fields.get("valid_to")
    if start and end and end < start:
        details["valid_to"] = "must not be before valid_from"
    if details:
        raise InvalidInput("the conflict is incomplete", details)
    if username != actor.username and not actor.has_role(*RECORDERS):
        raise Forbidden("only admins record conflicts for other staff")
    if users.load_actor(session, username) is None:
        raise InvalidInput("no such staff member", {"username": "unknown user"})
    row = Conflict(username=username, party=party, party_kind=kind, relation=relation, valid_from=start,
                   valid_to=end, recorded_by=actor.username)
    session.add(row)
    session.flush()
    recused = apply_to_filed_cases(session, row, now) if describe(row, now)["active"] else []
    audit.record(session, at=now, actor=actor.username, kind="conflict_declared",
                 detail={"conflict": row.id, "username": username, "party_kind": kind, "cases_recused": len(recused)})
    return describe(row, now)  # how many cases it closed is for auditors: a count would reveal hidden reports


def apply_to_filed_cases(session: Session, conflict: Conflict, now: datetime) -> list[int]:
    """Exclude the conflict's holder from every case whose parties include the declared party;
    a task they hold goes back to its group (or up, when nobody eligible is left)."""
    names = party_names(session, conflict.party)
    matches = or_(*[func.lower(Case.data[name].as_string()).in_(names) for name in PARTY_FIELDS])
    recused = []
    for case in session.scalars(select(Case).where(matches).order_by(Case.id)):
        if conflict.username in excluded_users(session, case.id):
            continue
        session.add(CaseExclusion(case_id=case.id, username=conflict.username,
                                  reason=f"申报利益冲突 / declared conflict #{conflict.id}"))
        session.flush()
        audit.record(session, at=now, actor="system", kind="recusal", case_id=case.id,
                     detail={"excluded": 1, "reason": "declared conflict", "conflict": conflict.id})
        reroute_open_tasks(session, case, now)
        recused.append(case.id)
    return recused


def party_names(session: Session, party: str) -> list[str]:
    """The lower-cased names a party goes by: a staff member is named by username or display name."""
    names = {party.strip().lower()}
    username = users.find_username(session, party.strip())
    if username:
        names.add(username.lower())
        actor = users.load_actor(session, username)
        if actor and actor.display_name:
            names.add(actor.display_name.strip().lower())
    return sorted(names)


def reroute_open_tasks(session: Session, case: Case, now: datetime) -> None:
    """Take the case's open tasks away from excluded users and escalate lanes left empty (to the
    group its diagram names)."""
    summary = session.scalar(select(ProcessDefinition.summary).where(ProcessDefinition.id == case.definition_id))
    for task in session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id)):
        route_to_eligible(session, case, task, summary or {}, now=now)


def list_conflicts(session: Session, actor: Actor, now: datetime, username: str | None = None) -> list[dict]:
    """One's own conflicts; admins and auditors may list anyone's (or everyone's)."""
    query = select(Conflict).order_by(Conflict.username, Conflict.id)
    if not actor.has_role(*READERS):
        if username and username != actor.username:
            raise Forbidden("you may list only your own conflicts")
        username = actor.username
    if username:
        query = query.where(Conflict.username == username)
    return [describe(r, now) for r in session.scalars(query)]


def end_conflict(session: Session, actor: Actor, now: datetime, conflict_id: int) -> dict:
    """The conflict no longer holds from now on (a relative left, a post ended). Recusals already
    made stay: they protected decisions taken while the conflict held."""
    row = session.get(Conflict, conflict_id)
    if row is None or (row.username != actor.username and not actor.has_role(*READERS)):
        raise NotFound("no such conflict")
    if row.username != actor.username and not actor.has_role(*RECORDERS):
        raise Forbidden("only admins end conflicts of other staff")
    row.valid_to = now
    audit.record(session, at=now, actor=actor.username, kind="conflict_ended",
                 detail={"conflict": row.id, "username": row.username})
    return describe(row, now)
