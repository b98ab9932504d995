"""The staff directory: admins create, edit and disable users, groups and memberships.

Every change is an audit event. Group membership is read from the database at the start of each
request (engine.accounts.users), so a change reaches the inbox at once. Someone who leaves a group keeps
nothing they may no longer take: the tasks of that group they held go back to the group (or up,
when nobody eligible is left there), audited on each case. A disabled user's sessions and tokens
end (engine.accounts.users.disable_user), the tasks they held go back, and their name leaves the tasks that
named them.
"""
from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from engine import paging
from engine.oversight import audit
from engine.accounts import users
from engine.actors import ROLES, Actor
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Rejected
from engine.models import FREE_FOR_GROUP, Case, GroupMember, StaffGroup, Task, TaskCandidate, User
from engine.confidential.routing import route_to_eligible, set_candidates

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,79}$")
GROUP_KEY = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
MAX_GROUPS_PER_USER = 50
MAX_MEMBERS_SHOWN = 200
MAX_SENT_UP = 1000  # free tasks of an emptied group re-routed at once (the rest wait for the stuck-task list)


def _admin(actor: Actor) -> None:
    if not actor.has_role("admin", "system"):
        raise Forbidden("only admins manage users and groups")


# --- reading -----------------------------------------------------------------------------------

def describe_user(user: User, groups: list[str]) -> dict:
    return {"username": user.username, "display_name": user.display_name or "", "email": user.email,
            "roles": [r for r in (user.roles or "").split(",") if r], "groups": sorted(groups),
            "active": bool(user.active), "timezone": user.timezone, "locale": user.locale,
            "second_factor": bool(user.totp_enabled)}


def _groups_of(session: Session, usernames: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {u: [] for u in usernames}
    if usernames:
        for username, group in session.execute(select(GroupMember.username, GroupMember.group_name)
                                               .where(GroupMember.username.in_(usernames))):
            out[username].append(group)
    return out


def list_users(session: Session, actor: Actor, limit: int | None = None, cursor: str | None = None,
               q: str | None = None) -> dict:
    """One page of users by username (`q`: usernames starting with it)."""
    _admin(actor)
    n = paging.check_limit(limit)
    after = paging.decode("users", cursor, (str,))
    query = select(User)
    if q:
        query = query.where(User.username.startswith(q.strip().lower(), autoescape=True))
    total, estimate = paging.capped_count(session, [query.with_only_columns(User.id)])
    if after is not None:
        query = query.where(User.username > after[0])
    rows = list(session.scalars(query.order_by(User.username).limit(n + 1)))
    groups = _groups_of(session, [u.username for u in rows[:n]])
    nxt = paging.encode("users", (rows[n - 1].username,)) if len(rows) > n else None
    return paging.answer([describe_user(u, groups[u.username]) for u in rows[:n]], nxt, total, estimate)


def get_user(session: Session, actor: Actor, username: str) -> dict:
    _admin(actor)
    user = users._user(session, username)
    return describe_user(user, _groups_of(session, [user.username])[user.username])


def describe_group(group: StaffGroup, members: list[str], member_count: int) -> dict:
    return {"key": group.name, "name_zh": group.name_zh or group.label or group.name,
            "name_en": group.name_en or group.label or group.name, "members": members, "member_count": member_count}


def list_groups(session: Session, actor: Actor, limit: int | None = None, cursor: str | None = None) -> dict:
    """One page of groups by key, each with its members (the first MAX_MEMBERS_SHOWN)."""
    _admin(actor)
    n = paging.check_limit(limit)
    after = paging.decode("groups", cursor, (str,))
    query = select(StaffGroup)
    total, estimate = paging.capped_count(session, [select(StaffGroup.name)])
    if after is not None:
        query = query.where(StaffGroup.name > after[0])
    rows = list(session.scalars(query.order_by(StaffGroup.name).limit(n + 1)))
    nxt = paging.encode("groups", (rows[n - 1].name,)) if len(rows) > n else None
    return paging.answer([_group_view(session, g) for g in rows[:n]], nxt, total, estimate)


def _group_view(session: Session, group: StaffGroup) -> dict:
    members = list(session.scalars(select(GroupMember.username).where(GroupMember.group_name == group.name)
                                   .order_by(GroupMember.username).limit(MAX_MEMBERS_SHOWN)))
    count = len(members) if len(members) < MAX_MEMBERS_SHOWN else session.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.group_name == group.name))
    return describe_group(group, members, count)


def get_group(session: Session, actor: Actor, key: str) -> dict:
    _admin(actor)
    return _group_view(session, _group(session, key))


def _group(session: Session, key: str) -> StaffGroup:
    group = session.get(StaffGroup, key or "")
    if group is None:
        raise NotFound("no such group", {"key": key})
    return group


# --- checking input ----------------------------------------------------------------------------

def _roles(value, details: dict) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        details["roles"] = "a list of roles: " + ", ".join(ROLES)
        return None
    unknown = sorted(set(value) - set(ROLES))
    if unknown:
        details["roles"] = f"unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}"
        return None
    roles = [r for r in ROLES if r in value]
    return roles if "staff" in roles else [*roles, "staff"]


def _text(value, name: str, details: dict, max_length: int = 200, required: bool = False) -> str | None:
    if value is None:
        if required:
            details[name] = "this field is required"
        return None
    if not isinstance(value, str) or len(value.strip()) > max_length or (required and not value.strip()):
        details[name] = f"text of 1 to {max_length} characters" if required else f"text of at most {max_length} characters"
        return None
    return value.strip()


def _email(value, details: dict) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        details["email"] = "an e-mail address like name@example.org"
        return None
    return value.strip()


def _known_groups(session: Session, value, details: dict) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value) or len(value) > MAX_GROUPS_PER_USER:
        details["groups"] = f"a list of at most {MAX_GROUPS_PER_USER} group keys"
        return None
    wanted = sorted(set(value))
    known = set(session.scalars(select(StaffGroup.name).where(StaffGroup.name.in_(wanted)))) if wanted else set()
    missing = [g for g in wanted if g not in known]
    if missing:
        details["groups"] = "no such group: " + ", ".join(missing)
        return None
    return wanted


# --- users ------------------------------------------------------------------------------------

def create_user(ctx: EngineContext, session: Session, actor: Actor, fields: dict) -> dict:
    """A new active user with an initial password, roles and groups."""
    _admin(actor)
    details: dict[str, str] = {}
    username = fields.get("username")
    if not isinstance(username, str) or not USERNAME.match(username):
        details["username"] = "2 to 80 characters: lowercase letters, digits, . _ - (starting with a letter or digit)"
    display = _text(fields.get("display_name", ""), "display_name", details)
    email = _email(fields.get("email"), details)
    roles = _roles(fields.get("roles", ["staff"]), details)
    groups = _known_groups(session, fields.get("groups", []), details)
    password = fields.get("password")
    if not isinstance(password, str) or not users.MIN_PASSWORD <= len(password) <= users.MAX_PASSWORD:
        details["password"] = f"{users.MIN_PASSWORD} to {users.MAX_PASSWORD} characters"
    if details:
        raise InvalidInput("the user cannot be created", details)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("a user with this name exists", {"username": "taken"})
    now = ctx.now()
    session.add(User(username=username, display_name=display or "", email=email, roles=",".join(roles),
                     password_hash=users.hash_password(password, ctx.settings.fast_hashing), active=True))
    session.flush()
    for group in groups:
        session.add(GroupMember(group_name=group, username=username))
    session.flush()
    audit.record(session, at=now, actor=actor.username, kind="user_created",
                 detail={"username": username, "roles": roles, "groups": groups})
    return get_user(session, actor, username)


def update_user(ctx: EngineContext, session: Session, actor: Actor, username: str, fields: dict) -> dict:
    """Change display name, e-mail, roles, groups (the whole list), `active`, or set a password."""
    _admin(actor)
    user = users._user(session, username)
    known = {"display_name", "email", "roles", "groups", "active", "password"}
    details: dict[str, str] = {k: "not a field of a user that can be changed" for k in fields if k not in known}
    changes: dict = {}
    if "display_name" in fields:
        changes["display_name"] = _text(fields["display_name"], "display_name", details)
    if "email" in fields:
        changes["email"] = _email(fields["email"], details)
    if "roles" in fields:
        changes["roles"] = _roles(fields["roles"], details)
    if "groups" in fields:
        changes["groups"] = _known_groups(session, fields["groups"], details)
    if "active" in fields and not isinstance(fields["active"], bool):
        details["active"] = "true or false"
    if "password" in fields and (not isinstance(fields["password"], str)
                                 or not users.MIN_PASSWORD <= len(fields["password"]) <= users.MAX_PASSWORD):
        details["password"] = f"{users.MIN_PASSWORD} to {users.MAX_PASSWORD} characters"
    if details:
        raise InvalidInput("the user cannot be changed", details)
    now = ctx.now()
    if "roles" in changes and username == actor.username and "admin" not in changes["roles"]:
        raise Rejected("you cannot take the admin role from yourself", {"roles": "keep admin on your own account"})
    for name in ("display_name", "email"):
        if name in changes and changes[name] != getattr(user, name):
            setattr(user, name, changes[name] if changes[name] is not None or name == "email" else "")
            # (an empty display name is stored as ""; an empty e-mail as no address)
            audit.record(session, at=now, actor=actor.username, kind="user_changed",
                         detail={"username": username, "field": name})
    if "roles" in changes and ",".join(changes["roles"]) != user.roles:
        before = user.roles
        user.roles = ",".join(changes["roles"])
        audit.record(session, at=now, actor=actor.username, kind="user_roles_changed",
                     detail={"username": username, "from": before.split(","), "to": changes["roles"]})
    if "groups" in changes:
        current = set(users.user_groups(session, username))
        for group in sorted(set(changes["groups"]) - current):
            add_member(ctx, session, actor, group, username)
        for group in sorted(current - set(changes["groups"])):
            remove_member(ctx, session, actor, group, username)
    if "password" in fields:
        users.change_password(session, ctx, actor, username, fields["password"])
    if fields.get("active") is False and user.active:
        users.disable_user(session, ctx, actor, username)
        release_everything(ctx, session, actor, username)
    elif fields.get("active") is True and not user.active:
        user.active = True
        audit.record(session, at=now, actor=actor.username, kind="user_enabled", detail={"username": username})
    session.flush()
    return get_user(session, actor, username)


def disable(ctx: EngineContext, session: Session, actor: Actor, username: str) -> int:
    """Disable a user: sessions and tokens end (returned: how many), held tasks go back."""
    ended = users.disable_user(session, ctx, actor, username)
    release_everything(ctx, session, actor, username)
    return ended


# --- groups and memberships --------------------------------------------------------------------

def create_group(ctx: EngineContext, session: Session, actor: Actor, fields: dict) -> dict:
    _admin(actor)
    details: dict[str, str] = {}
    key = fields.get("key")
    if not isinstance(key, str) or not GROUP_KEY.match(key):
        details["key"] = "2 to 80 characters: lowercase letters, digits and _ (starting with a letter)"
    name_zh = _text(fields.get("name_zh"), "name_zh", details, required=True)
    name_en = _text(fields.get("name_en"), "name_en", details, required=True)
    if details:
        raise InvalidInput("the group cannot be created", details)
    if session.get(StaffGroup, key) is not None:
        raise Conflict("a group with this key exists", {"key": "taken"})
    session.add(StaffGroup(name=key, label=name_en, name_zh=name_zh, name_en=name_en))
    session.flush()
    audit.record(session, at=ctx.now(), actor=actor.username, kind="group_created",
                 detail={"key": key, "name_zh": name_zh, "name_en": name_en})
    return get_group(session, actor, key)


def rename_group(ctx: EngineContext, session: Session, actor: Actor, key: str, fields: dict) -> dict:
    """Change a group's display names (its key, which lanes name, stays)."""
    _admin(actor)
    group = _group(session, key)
    details: dict[str, str] = {}
    names = {n: _text(fields.get(n), n, details, required=True) for n in ("name_zh", "name_en") if n in fields}
    if not names and not details:
        details["name_zh"] = "give name_zh and/or name_en"
    if details:
        raise InvalidInput("the group cannot be changed", details)
    for name, value in names.items():
        setattr(group, name, value)
    audit.record(session, at=ctx.now(), actor=actor.username, kind="group_renamed", detail={"key": key, **names})
    return get_group(session, actor, key)


def add_member(ctx: EngineContext, session: Session, actor: Actor, key: str, username: str) -> dict:
    """Put a user in a group; their inbox offers the group's tasks from their next request."""
    _admin(actor)
    _group(session, key)
    users._user(session, username)
    exists = session.scalar(select(GroupMember.id).where(GroupMember.group_name == key,
                                                         GroupMember.username == username))
    if exists is None:
        session.add(GroupMember(group_name=key, username=username))
        session.flush()
        audit.record(session, at=ctx.now(), actor=actor.username, kind="group_member_added",
                     detail={"group": key, "username": username})
    return get_group(session, actor, key)


def remove_member(ctx: EngineContext, session: Session, actor: Actor, key: str, username: str) -> dict:
    """Take a user out of a group; the group's tasks they held go back to the group (audited)."""
    _admin(actor)
    _group(session, key)
    users._user(session, username)
    removed = session.execute(delete(GroupMember).where(GroupMember.group_name == key,
                                                        GroupMember.username == username)).rowcount
    if removed:
        audit.record(session, at=ctx.now(), actor=actor.username, kind="group_member_removed",
                     detail={"group": key, "username": username})
        held = select(Task).where(Task.assignee == username, Task.state == "ready", Task.candidate_group == key,
                                  Task.candidates.is_(None))
        _give_back(ctx, session, actor, list(session.scalars(held)), username, "left the group")
        if not users.group_members(session, key):  # nobody left to take the group's tasks: they go up
            waiting = select(Task).where(Task.candidate_group == key, FREE_FOR_GROUP)
            _give_back(ctx, session, actor, list(session.scalars(waiting.order_by(Task.id).limit(MAX_SENT_UP))),
                       username, "the group has no members left")
    return get_group(session, actor, key)


def release_everything(ctx: EngineContext, session: Session, actor: Actor, username: str) -> None:
    """A disabled user holds nothing and is named on no open task any more."""
    held = list(session.scalars(select(Task).where(Task.assignee == username, Task.state == "ready")))
    named_ids = select(TaskCandidate.task_id).where(TaskCandidate.username == username)
    named = [t for t in session.scalars(select(Task).where(Task.id.in_(named_ids), Task.state == "ready"))
             if t not in held]
    for task in held + named:
        if task.candidates and username in task.candidates:
            set_candidates(session, task, [u for u in task.candidates if u != username])
            if task.candidates is None:
                task.candidate_group = task.candidate_group or task.lane
    _give_back(ctx, session, actor, held + named, username, "account disabled")


def _give_back(ctx: EngineContext, session: Session, actor: Actor, tasks: list[Task], username: str,
               reason: str) -> None:
    """Each task goes back to its group (or up, when nobody eligible is left): audited on its case."""
    if not tasks:
        return
    now = ctx.now()
    cases = {c.id: c for c in session.scalars(select(Case).options(defer(Case.workflow_json))
                                              .where(Case.id.in_({t.case_id for t in tasks})))}
    for task in sorted(tasks, key=lambda t: t.id):
        case = cases[task.case_id]
        if task.assignee == username:
            task.assignee, task.claimed_at = None, None
            audit.record(session, at=now, actor=actor.username, kind="task_returned_to_group", case_id=case.id,
                         element_id=task.element_id, detail={"task": task.id, "was_held_by": username,
                                                             "group": task.candidate_group, "reason": reason})
        session.flush()
        route_to_eligible(session, case, task, ctx.definitions.get(session, case.definition_id).summary, now=now)
    session.flush()

