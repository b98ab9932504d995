"""Bearer tokens: exchange a username and password for a token; resolve it on every staff call.

The API does not read the browser session: a token in the Authorization header is the only
way in, which is also why the blueprint needs no CSRF token.
"""
from __future__ import annotations

import functools

from flask import request

from engine.credentials import ensure as ensure_resolved

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
    """Username and password in, a bearer token out (401 on bad credentials)."""
    fields = Fields(json_body())
    username = fields.string("username", max_length=200)
    password = fields.string("password", max_length=1000)
    fields.check()
    limits.check("token")
    actor = engine().authenticate(username.strip(), password)
    if actor is None:
        limits.count("token")
        raise unauthorized("wrong username or password")
    return reply({"token": engine().issue_token(actor), "token_type": "Bearer",
                  "username": actor.username}, 200, NO_STORE)


@bp.get("/me")
@staff_required()
def whoami(actor):
    """Who the token belongs to: username, roles, groups (integrations check their token with it)."""
    return reply(actor.to_dict())
