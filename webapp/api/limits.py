"""Limits on guessing: receipt look-ups per client address, and the sign-in throttle's rules.

The counts live in the database (engine.accounts.throttle), so every worker and every app instance
shares them. Receipts are the complainant's only key, so each client address gets a few
look-ups a minute; sign-ins (the HTML form and POST /api/v1/auth/token alike) allow a few
failures per account and per address in a window. `RATELIMIT_ENABLED = False` switches the
refusals off (tests); configuration overrides each rule as `(attempts, seconds)`:
`API_RECEIPT_RATE_LIMIT`, `LOGIN_ACCOUNT_LIMIT`, `LOGIN_ADDRESS_LIMIT`. `TRUSTED_PROXIES` says how
many reverse proxies in front may be believed about the client's address.
"""
from __future__ import annotations

from flask import current_app, request

from engine.accounts.throttle import Rule
from engine.accounts.users import SignInRules

from . import engine
from .errors import ApiError

DEFAULTS = {"API_RECEIPT_RATE_LIMIT": (10, 60), "LOGIN_ACCOUNT_LIMIT": (5, 15 * 60),
            "LOGIN_ADDRESS_LIMIT": (20, 15 * 60)}


def _rule(name: str) -> Rule:
    """(attempts, seconds) from configuration, else the default."""
    limit, seconds = current_app.config.get(name) or DEFAULTS[name]
    return Rule(int(limit), int(seconds))


def enabled() -> bool:
    """Off when `RATELIMIT_ENABLED` is False (tests)."""
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def client_address() -> str:
    """Who is asking. Behind `TRUSTED_PROXIES` reverse proxies (each appending to X-Forwarded-For),
    the address the outermost trusted one saw; else the connection's (a proxy's own address would
    make every client share one throttle)."""
    hops = int(current_app.config.get("TRUSTED_PROXIES") or 0)
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr or "?"


def second_factor_roles() -> frozenset[str]:
    """`TOTP_REQUIRED_ROLES` (e.g. "admin,auditor"): roles that must use a second factor."""
    configured = current_app.config.get("TOTP_REQUIRED_ROLES") or ()
    if isinstance(configured, str):
        configured = configured.split(",")
    return frozenset(r.strip() for r in configured if r.strip())


def sign_in_rules() -> SignInRules:
    """The throttle and second-factor rules every sign-in path hands the engine."""
    return SignInRules(account=_rule("LOGIN_ACCOUNT_LIMIT"), address=_rule("LOGIN_ADDRESS_LIMIT"),
                       enforced=enabled(), second_factor_roles=second_factor_roles())


def too_many(seconds: int, message: str = "too many attempts; wait a moment and try again") -> ApiError:
    """429 with Retry-After."""
    return ApiError(429, message, {"retry_after": seconds}, headers={"Retry-After": str(seconds)})


def attempt(bucket: str) -> None:
    """Count one look-up of this client; 429 with Retry-After when it used up its attempts."""
    if not enabled():
        return
    seconds = engine().count_attempt(bucket, client_address(), _rule(f"API_{bucket.upper()}_RATE_LIMIT"))
    if seconds:
        raise too_many(seconds)
