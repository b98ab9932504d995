"""Staff accounts, groups, signing in, and the sign-ins the server holds.

Passwords are Argon2id hashes; a hash of the older scrypt scheme still verifies and is replaced
on the next successful sign-in. Signing in is throttled per account and per client address with
counters in the database (engine.accounts.throttle), so every worker and app instance shares them. Each
sign-in the server accepts is a row of `api_token` (an API bearer token, or the key a browser
session carries): signing out revokes that row; a password change or disabling the user revokes
them all. An optional second factor (TOTP) is sealed with the field cipher.

A refused sign-in is *returned* (`SignIn.refusal`), not raised, so that the caller's transaction
commits the failure's count and audit event before the refusal is raised (see `SignIn.settle`).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Integer, bindparam, delete, select, update
from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.accounts import throttle, totp
from engine.actors import Actor
from engine.clocks.clock import aware
from engine.context import EngineContext
from engine.errors import (Conflict, EngineError, Forbidden, InvalidInput, NotFound, Rejected, TooManyAttempts,
                     Unauthorized)
from engine.models import ApiToken, CaseExclusion, GroupMember, StaffGroup, User

TOKEN_LIFETIME = timedelta(hours=12)
# A browser's session cookie ends with the browser; the server caps it like Flask's permanent
# sessions (31 days). Signing out, a password change or disabling the user end it at once.
SESSION_LIFETIME = timedelta(days=31)
LIFETIMES = {"api": TOKEN_LIFETIME, "browser": SESSION_LIFETIME}
MIN_PASSWORD, MAX_PASSWORD = 8, 1000
ACCOUNT, ADDRESS = "login_account", "login_address"
ISSUER = "complaintflow"

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 50 ms a check
# here, and 19 MiB per sign-in in flight, which a 2-core server with several workers can carry
# (argon2-cffi's defaults, 64 MiB and 4 lanes, took 0.5 s). `fast` only for tests.
_HASHERS = {False: PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),
            True: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)}


# --- passwords ---------------------------------------------------------------------------------

def hash_password(password: str, fast: bool = False) -> str:
    """An Argon2id hash (`fast` only for tests: the same format with a tiny cost)."""
    return _HASHERS[fast].hash(password)


def password_matches(stored: str, password: str, fast: bool = False) -> tuple[bool, bool]:
    """(the password matches, the hash should be replaced by a current Argon2id one)."""
    hasher = _HASHERS[fast]
    if stored.startswith("scrypt$"):
        return _scrypt_matches(stored, password), True
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(stored)


def _scrypt_matches(stored: str, password: str) -> bool:
    """The scheme before Argon2id: `scrypt$n$r$p$salt$digest` (hex)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              maxmem=64 * 1024 * 1024, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


@functools.cache
def _dummy_hash(fast: bool) -> str:
    return hash_password("not-a-password", fast)


def _check_new_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput("the new password is too short or too long",
                           {"password": f"{MIN_PASSWORD} to {MAX_PASSWORD} characters"})


# --- who is acting -----------------------------------------------------------------------------

def _actor(session: Session, user: User) -> Actor:
    groups = session.scalars(select(GroupMember.group_name).where(GroupMember.username == user.username))
    return Actor(username=user.username, display_name=user.display_name,
                 roles=frozenset(r for r in user.roles.split(",") if r), groups=frozenset(groups),
                 timezone=user.timezone, locale=user.locale)


def load_actor(session: Session, username: str) -> Actor | None:
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    return _actor(session, user) if user is not None else None


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == (username or ""))).first()
    if user is None:
        raise NotFound("no such user", {"username": username})
    return user


# --- signing in --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignInRules:
    """Throttles (failures allowed per account and per client address in a window; `enforced`
    False only counts) and the roles that must use a second factor."""

    account: throttle.Rule = throttle.Rule(5, 15 * 60)
    address: throttle.Rule = throttle.Rule(20, 15 * 60)
    enforced: bool = True
    second_factor_roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: the actor and the new token, or the refusal to raise after commit.
    `enrol_second_factor`: the user's role needs a second factor they have not set up yet."""

    actor: Actor | None = None
    token: str | None = None
    enrol_second_factor: bool = False
    refusal: EngineError | None = None

    def settle(self) -> dict:
        """Raise the refusal (call it once the transaction committed), else the plain result."""
        if self.refusal is not None:
            raise self.refusal
        return {"actor": self.actor, "token": self.token, "enrol_second_factor": self.enrol_second_factor}


def sign_in(session: Session, ctx: EngineContext, username: str, password: str, client: str,
            rules: SignInRules, kind: str = "browser", code: str | None = None) -> SignIn:
    """Check a username and password (and the second factor's code when the user has one).
    Over the throttle nothing is checked; a failure is counted and audited."""
    now, fast = ctx.now(), ctx.settings.fast_hashing
    username, password = username or "", password or ""
    throttled = _throttled(session, now, username, client, rules)
    if throttled:
        return throttled
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        password_matches(_dummy_hash(fast), password, fast)  # the same work whether or not the user exists
        return _failed(session, now, username, client, rules, "unknown or disabled user")
    matches, stale = password_matches(user.password_hash, password, fast)
    if not matches:
        return _failed(session, now, username, client, rules, "wrong password", user)
    if stale:
        user.password_hash = hash_password(password, fast)
    if user.totp_enabled:
        if not code:
            return SignIn(refusal=Unauthorized("this account also needs the code from its authenticator app",
                                               code="code_required"))
        if not _use_code(ctx, user, code, now):
            return _failed(session, now, username, client, rules, "wrong code", user)
    return _signed_in(session, now, user, client, rules, kind)


def confirm_code(session: Session, ctx: EngineContext, username: str, code: str, client: str,
                 rules: SignInRules) -> SignIn:
    """The browser's second step: the password was right moments ago, now the code."""
    now = ctx.now()
    throttled = _throttled(session, now, username, client, rules)
    if throttled:
        return throttled
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None or not user.totp_enabled:
        return SignIn(refusal=Unauthorized("please sign in again"))
    if not _use_code(ctx, user, code, now):
        return _failed(session, now, username, client, rules, "wrong code", user)
    return _signed_in(session, now, user, client, rules, "browser")


def _throttled(session: Session, now: datetime, username: str, client: str, rules: SignInRules) -> SignIn | None:
    seconds = _wait(session, now, username, client, rules)
    if not seconds:
        return None
    return SignIn(refusal=TooManyAttempts(f"too many failed sign-ins; try again in {seconds} seconds", seconds))


def _wait(session: Session, now: datetime, username: str, client: str, rules: SignInRules) -> int:
    if not rules.enforced:
        return 0
    return max(throttle.wait(session, now, ACCOUNT, username, rules.account),
               throttle.wait(session, now, ADDRESS, client, rules.address))


def _failed(session: Session, now: datetime, username: str, client: str, rules: SignInRules, reason: str,
            user: User | None = None) -> SignIn:
    """Count the failure for the account and the address; audit it, and the lockout it starts."""
    throttle.count(session, now, ACCOUNT, username, rules.account)
    throttle.count(session, now, ADDRESS, client, rules.address)
    detail = {"username": username[:80], "client": client, "reason": reason}
    actor = user.username if user is not None else "anonymous"
    audit.record(session, at=now, actor=actor, kind="login_failed", detail=detail)
    seconds = _wait(session, now, username, client, rules)
    if seconds:
        audit.record(session, at=now, actor=actor, kind="login_throttled", detail={**detail, "retry_after": seconds})
    message = "wrong code" if reason == "wrong code" else "wrong username or password"
    return SignIn(refusal=Unauthorized(message))


def _signed_in(session: Session, now: datetime, user: User, client: str, rules: SignInRules, kind: str) -> SignIn:
    enrol = not user.totp_enabled and bool(rules.second_factor_roles.intersection(user.roles.split(",")))
    if enrol and kind == "api":
        return SignIn(refusal=Forbidden("your role needs a second factor: set one up in the web app first",
                                        code="second_factor_required"))
    throttle.clear(session, ACCOUNT, user.username)
    token = issue_token(session, user.username, now, kind)
    audit.record(session, at=now, actor=user.username, kind="login", detail={"via": kind, "client": client})
    return SignIn(actor=_actor(session, user), token=token, enrol_second_factor=enrol)


# --- sign-ins held by the server ---------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str, now: datetime, kind: str = "api") -> str:
    """A new random token; only its hash is stored. The user's expired ones are deleted."""
    session.execute(delete(ApiToken).where(ApiToken.username == username, ApiToken.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_token_hash(token), username=username, kind=kind, created_at=now,
                         expires_at=now + LIFETIMES[kind]))
    return token


def actor_for_token(session: Session, token: str, now: datetime, kind: str = "api") -> Actor | None:
    """The active user holding this unexpired, unrevoked token of that kind, else None."""
    if not token:
        return None
    row = session.execute(
        select(ApiToken.expires_at, ApiToken.revoked_at, User).join(User, User.username == ApiToken.username)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.kind == kind)).first()
    if row is None or row.revoked_at is not None or aware(row.expires_at) <= now or not row.User.active:
        return None
    return _actor(session, row.User)


def revoke_token(session: Session, token: str, now: datetime, kind: str = "api") -> str | None:
    """End one sign-in (signing out, DELETE /auth/token); the username it belonged to, or None."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token or ""),
                                                 ApiToken.kind == kind, ApiToken.revoked_at.is_(None))).first()
    if row is None or aware(row.expires_at) <= now:
        return None
    row.revoked_at = now
    audit.record(session, at=now, actor=row.username, kind="logout", detail={"via": kind})
    return row.username


def revoke_all(session: Session, username: str, now: datetime) -> int:
    """End every session and token of a user; how many were still valid."""
    result = session.execute(update(ApiToken).where(ApiToken.username == username, ApiToken.revoked_at.is_(None),
                                                    ApiToken.expires_at > now).values(revoked_at=now))
    return result.rowcount


# --- account changes ---------------------------------------------------------------------------

def _may_manage(actor: Actor, refusal: str) -> None:
    if not actor.has_role("admin", "system"):
        raise Forbidden(refusal)


def change_password(session: Session, ctx: EngineContext, actor: Actor, username: str, new_password: str,
                    current_password: str | None = None) -> int:
    """Admins set anyone's password; users change their own by giving the current one. Every
    session and token of the user ends (the caller's own too). Returns how many ended."""
    user = _user(session, username)
    if actor.username == username:
        if not password_matches(user.password_hash, current_password or "", ctx.settings.fast_hashing)[0]:
            raise InvalidInput("the current password is wrong", {"current_password": "wrong password"})
    else:
        _may_manage(actor, "only admins set other users' passwords")
    _check_new_password(new_password)
    now = ctx.now()
    user.password_hash = hash_password(new_password, ctx.settings.fast_hashing)
    ended = revoke_all(session, username, now)
    audit.record(session, at=now, actor=actor.username, kind="password_changed",
                 detail={"username": username, "sessions_ended": ended})
    return ended


def disable_user(session: Session, ctx: EngineContext, actor: Actor, username: str) -> int:
    """An admin disables an account: it can no longer sign in and every session and token ends."""
    _may_manage(actor, "only admins disable accounts")
    if actor.username == username:
        raise Rejected("you cannot disable your own account")
    user = _user(session, username)
    now = ctx.now()
    user.active = False
    ended = revoke_all(session, username, now)
    audit.record(session, at=now, actor=actor.username, kind="user_disabled",
                 detail={"username": username, "sessions_ended": ended})
    return ended


# --- the second factor -------------------------------------------------------------------------

def _secret(ctx: EngineContext, user: User) -> str:
    return ctx.cipher.open(user.totp_sealed)["totp_secret"]


def _use_code(ctx: EngineContext, user: User, code: str, now: datetime) -> bool:
    """Whether the code is current for the user's secret; its time step cannot be used again."""
    step = totp.matching_step(_secret(ctx, user), code, now, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def start_second_factor(session: Session, ctx: EngineContext, username: str) -> dict:
    """A new secret for the user's authenticator app, shown once: {"secret" (base32), "uri"}.
    It protects the account only after `confirm_second_factor` saw a code made from it."""
    user = _user(session, username)
    if user.totp_enabled:
        raise Conflict("a second factor is already set up for this account")
    secret = totp.new_secret()
    user.totp_sealed = ctx.cipher.seal({"totp_secret": secret})
    return {"secret": secret, "uri": totp.provisioning_uri(secret, username, ISSUER)}


def confirm_second_factor(session: Session, ctx: EngineContext, username: str, code: str) -> None:
    """Turn the second factor on once the app shows a matching code."""
    user = _user(session, username)
    if user.totp_enabled:
        raise Conflict("a second factor is already set up for this account")
    if user.totp_sealed is None:
        raise InvalidInput("start the set-up first", {"code": "no secret was issued"})
    now = ctx.now()
    if not _use_code(ctx, user, code, now):
        raise InvalidInput("the code does not match; check the app's clock and try the next code",
                           {"code": "wrong code"})
    user.totp_enabled = True
    audit.record(session, at=now, actor=username, kind="second_factor_enrolled", detail={"username": username})


def remove_second_factor(session: Session, ctx: EngineContext, actor: Actor, username: str) -> None:
    """An admin removes a user's second factor (a lost phone); the user sets up a new one."""
    _may_manage(actor, "only admins remove a user's second factor")
    user = _user(session, username)
    user.totp_sealed, user.totp_enabled, user.totp_last_step = None, False, None
    audit.record(session, at=ctx.now(), actor=actor.username, kind="second_factor_removed",
                 detail={"username": username})


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


def _members_statement(not_recused: bool):
    query = (select(GroupMember.username).join(User, User.username == GroupMember.username)
             .where(GroupMember.group_name == bindparam("group"), User.active.is_(True)).order_by(GroupMember.username))
    if not_recused:
        query = query.where(GroupMember.username.not_in(
            select(CaseExclusion.username).where(CaseExclusion.case_id == bindparam("case_id", type_=Integer))))
    return query


# Built once (every step routing a new task asks): SQLAlchemy keys a reused statement only once.
_MEMBERS = {False: _members_statement(False), True: _members_statement(True)}


def group_members(session: Session, group: str, not_recused_from: int | None = None) -> list[str]:
    """The group's active members (with `not_recused_from`: those not recused from that case)."""
    if not_recused_from is None:
        return list(session.scalars(_MEMBERS[False], {"group": group}))
    return list(session.scalars(_MEMBERS[True], {"group": group, "case_id": not_recused_from}))


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


def group_labels(session: Session, tasks: list[dict]) -> list[dict]:
    """Give each task (a dict with `candidate_group`) the name of the group that works it,
    `group_label` {"zh_CN": ..., "en": ...} (None when named people, not a group, take it), so
    pages name the group as people know it instead of the diagram's lane."""
    keys = {t.get("candidate_group") for t in tasks} - {None, ""}
    found = {g.name: g for g in session.scalars(select(StaffGroup).where(StaffGroup.name.in_(keys)))} if keys else {}
    for t in tasks:
        group = found.get(t.get("candidate_group") or "")
        t["group_label"] = ({"zh_CN": group.name_zh or group.label or group.name,
                             "en": group.name_en or group.label or group.name_zh or group.name}
                            if group is not None else None)
    return tasks


def name_groups(session: Session, names: dict) -> None:
    """Give groups that have no names yet their names ({key: (Chinese, English)}); a name an
    admin gave is kept."""
    session.flush()
    for key, (zh, en) in names.items():
        group = session.get(StaffGroup, key)
        if group is not None and not group.name_zh and not group.name_en:
            group.name_zh, group.name_en = zh, en
