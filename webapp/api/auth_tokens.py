"""Bearer tokens: exchange a username and password (and the second factor's code) for a token;
resolve it on every staff call; revoke it.

The API does not read the browser session: a token in the Authorization header is the only
way in, which is also why the blueprint needs no CSRF token. Token requests share the sign-in
throttle of the HTML form (per account and per client address, counted in the database).
"""
from __future__ import annotations

import functools

from flask import Response, request

from engine.errors import TooManyAttempts, Unauthorized

from engine.accounts.credentials import ensure as ensure_resolved

from . import bp, engine, limits
from .errors import ApiError, unauthorized
from .parsing import Fields, json_body
from .respond import NO_STORE, reply


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None (any other scheme too)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def staff_required(*roles: str):
    """A valid token (else 401); with roles, at least one of them (else 403). The view gets the Actor first."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            token = bearer_token()
            if token is None:
                raise unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/token gives one)")
            actor = engine().bearer(token)  # checked at the start of the view's engine transaction
            if roles and not actor.has_role(*roles):
                raise ApiError(403, "this needs the role: " + " or ".join(roles), {"roles": list(roles)})
            response = view(actor, *args, **kwargs)
            ensure_resolved(actor)  # a view that made no engine call still checks the token
            return response

        wrapped.required_roles = roles
        return wrapped

    return decorator


@bp.post("/auth/token")
def issue_token():
    """Username and password (and `otp` for a user with a second factor) in, a bearer token out.
    401 on bad credentials, 429 with Retry-After while the account or this address is throttled."""
    fields = Fields(json_body())
    username = fields.string("username", max_length=200)
    password = fields.string("password", max_length=1000)
    code = fields.string("otp", required=False, max_length=20)
    fields.check()
    try:
        signed_in = engine().sign_in(username.strip(), password, limits.client_address(), limits.sign_in_rules(),
                                     kind="api", code=code)
    except TooManyAttempts as refusal:
        raise limits.too_many(refusal.retry_after, refusal.message) from None
    except Unauthorized as refusal:
        error = unauthorized(refusal.message)
        error.code = refusal.code
        raise error from None
    return reply({"token": signed_in["token"], "token_type": "Bearer",
                  "username": signed_in["actor"].username}, 200, NO_STORE)


@bp.delete("/auth/token")
def revoke_token():
    """Revoke the caller's own token (signing out an integration); 204, or 401 if it was not valid."""
    token = bearer_token()
    if token is None or not engine().sign_out(token, kind="api"):
        raise unauthorized("the token is unknown, revoked or expired")
    return Response(status=204)


@bp.get("/me")
@staff_required()
def whoami(actor):
    """Who the token belongs to: username, roles, groups (integrations check their token with it)."""
    return reply(actor.to_dict())
