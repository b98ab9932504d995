"""Staff accounts, groups and API tokens. Passwords are stored as salted slow hashes."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .clock import aware
from .models import ApiToken, GroupMember, StaffGroup, User

TOKEN_LIFETIME = timedelta(hours=12)
_SLOW, _FAST = (2 ** 15, 8, 1), (2 ** 4, 8, 1)


def hash_password(password: str, fast: bool = False) -> str:
    """A salted scrypt hash (`fast` only for tests: the same format with a tiny cost)."""
    n, r, p = _FAST if fast else _SLOW
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password_hash(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              maxmem=64 * 1024 * 1024, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


_DUMMY_HASH = hash_password("not-a-password")


def load_actor(session: Session, username: str) -> Actor | None:
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None:
        return None
    groups = session.scalars(select(GroupMember.group_name).where(GroupMember.username == username))
    return Actor(username=user.username, display_name=user.display_name,
                 roles=frozenset(r for r in user.roles.split(",") if r), groups=frozenset(groups),
                 timezone=user.timezone, locale=user.locale)


def authenticate(session: Session, username: str, password: str) -> Actor | None:
    user = session.scalars(select(User).where(User.username == (username or ""))).first()
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")  # same work whether or not the user exists
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return load_actor(session, user.username)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_token_hash(token), username=username, created_at=now,
                         expires_at=now + TOKEN_LIFETIME))
    return token


def actor_for_token(session: Session, token: str, now: datetime) -> Actor | None:
    if not token:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or aware(row.expires_at) <= now:
        return None
    return load_actor(session, row.username)


def ensure_user(session: Session, username: str, password: str, display_name: str, roles: list[str],
                groups: list[str], fast_hash: bool = False) -> None:
    """Create the user and memberships when missing (idempotent)."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        session.add(User(username=username, display_name=display_name, roles=",".join(roles),
                         password_hash=hash_password(password, fast_hash)))
        session.flush()
    for group in groups:
        if session.get(StaffGroup, group) is None:
            session.add(StaffGroup(name=group, label=group))
            session.flush()
        exists = session.scalars(select(GroupMember).where(
            GroupMember.group_name == group, GroupMember.username == username)).first()
        if exists is None:
            session.add(GroupMember(group_name=group, username=username))
    session.flush()


def group_members(session: Session, group: str) -> list[str]:
    rows = session.scalars(select(GroupMember.username).join(User, User.username == GroupMember.username)
                           .where(GroupMember.group_name == group, User.active.is_(True))
                           .order_by(GroupMember.username))
    return list(rows)


def user_groups(session: Session, username: str) -> list[str]:
    return list(session.scalars(select(GroupMember.group_name).where(GroupMember.username == username)))


def find_username(session: Session, name: str) -> str | None:
    """The staff member a complaint names, as people write it: the username in any case, the
    display name, or the display name's first part ("调查组三" for "调查组三 Investigator 3").
    Recusal depends on this, so a near miss must still find the accused."""
    wanted = " ".join((name or "").split()).lower()
    if not wanted:
        return None
    for user in session.scalars(select(User).order_by(User.id)):
        display = " ".join((user.display_name or "").split()).lower()
        if wanted in (user.username.lower(), display) or (display and display.split(" ")[0] == wanted):
            return user.username
    return None


def users_with_role(session: Session, role: str) -> list[str]:
    """Active users holding a role (roles are stored comma-separated)."""
    rows = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [u.username for u in rows if role in u.roles.split(",")]
