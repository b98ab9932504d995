"""Users and groups (admins): list, create, change, disable; memberships by PUT and DELETE. The
engine checks the admin role inside the request's one transaction."""
from __future__ import annotations

from flask import request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import json_body, query_page
from .respond import reply

USER = "/users/<username>"
GROUP = "/groups/<key>"


def _page() -> dict:
    details: dict[str, str] = {}
    page = query_page(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return page


@bp.get("/users")
@staff_required()
def list_users(actor):
    """Users by username, paged (`limit`, `cursor`); `q`: usernames starting with it."""
    q = (request.args.get("q") or "")[:80] or None
    return reply(engine().list_users(actor, q=q, **_page()))


@bp.post("/users")
@staff_required()
def create_user(actor):
    """`{"username", "password", "display_name", "email", "roles", "groups"}`; 201 with the user."""
    user = engine().create_user(actor, json_body())
    return reply(user, 201, {"Location": f"{bp.url_prefix}/users/{user['username']}"})


@bp.get(USER)
@staff_required()
def get_user(actor, username: str):
    return reply(engine().get_user(actor, username))


@bp.patch(USER)
@staff_required()
def update_user(actor, username: str):
    """Any of display_name, email, roles, groups, active (false disables: sessions and tokens end,
    held tasks go back), password."""
    return reply(engine().update_user(actor, username, json_body()))


@bp.get("/groups")
@staff_required()
def list_groups(actor):
    """Groups by key, paged, each with its members."""
    return reply(engine().list_groups(actor, **_page()))


@bp.post("/groups")
@staff_required()
def create_group(actor):
    """`{"key", "name_zh", "name_en"}`; 201 with the group."""
    group = engine().create_group(actor, json_body())
    return reply(group, 201, {"Location": f"{bp.url_prefix}/groups/{group['key']}"})


@bp.get(GROUP)
@staff_required()
def get_group(actor, key: str):
    return reply(engine().get_group(actor, key))


@bp.patch(GROUP)
@staff_required()
def rename_group(actor, key: str):
    """`{"name_zh", "name_en"}`: the group's display names."""
    return reply(engine().rename_group(actor, key, json_body()))


@bp.put(f"{GROUP}/members/<username>")
@staff_required()
def add_member(actor, key: str, username: str):
    """The user joins the group (idempotent); the group's tasks reach their inbox at once."""
    return reply(engine().add_group_member(actor, key, username))


@bp.delete(f"{GROUP}/members/<username>")
@staff_required()
def remove_member(actor, key: str, username: str):
    """The user leaves the group; the group's tasks they held go back to it (audited)."""
    return reply(engine().remove_group_member(actor, key, username))


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    from .openapi import PAGE, _json, ok, op, path_param, query

    text, texts = {"type": "string"}, {"type": "array", "items": {"type": "string"}}
    user = {"type": "object", "properties": {"username": text, "display_name": text,
                                             "email": {"type": ["string", "null"]}, "roles": texts,
                                             "groups": texts, "active": {"type": "boolean"}}}
    group = {"type": "object", "properties": {"key": text, "name_zh": text, "name_en": text, "members": texts,
                                              "member_count": {"type": "integer"}}}

    def page(item):
        return {"type": "object", "properties": {"items": {"type": "array", "items": item},
                                                 "next": {"type": ["string", "null"]}, "total": {"type": "integer"}}}

    name = path_param("username", "the username", text)
    key = path_param("key", "the group key", text)
    user_in = {"type": "object", "properties": {**user["properties"], "password": text}}
    return {
        "/users": {
            "get": op("Users (admin)", "users", {"200": ok("One page", page(user))}, errors=("403",),
                      params=[query("q", "usernames starting with", text), *PAGE]),
            "post": op("Create a user with an initial password (admin)", "users", {"201": ok("Created", user)},
                       errors=("403", "409", "415"), body=_json({**user_in, "required": ["username", "password"]})),
        },
        "/users/{username}": {
            "get": op("One user (admin)", "users", {"200": ok("The user", user)}, errors=("403", "404"),
                      params=[name]),
            "patch": op("Change a user; active false disables it (admin)", "users", {"200": ok("The user", user)},
                        errors=("403", "404", "415", "422"), params=[name], body=_json(user_in)),
        },
        "/groups": {
            "get": op("Groups with their members (admin)", "users", {"200": ok("One page", page(group))},
                      errors=("403",), params=PAGE),
            "post": op("Create a group (admin)", "users", {"201": ok("Created", group)},
                       errors=("403", "409", "415"),
                       body=_json({"type": "object", "required": ["key", "name_zh", "name_en"],
                                   "properties": {"key": text, "name_zh": text, "name_en": text}})),
        },
        "/groups/{key}": {
            "get": op("One group (admin)", "users", {"200": ok("The group", group)}, errors=("403", "404"),
                      params=[key]),
            "patch": op("Rename a group (admin)", "users", {"200": ok("The group", group)},
                        errors=("403", "404", "415"), params=[key],
                        body=_json({"type": "object", "properties": {"name_zh": text, "name_en": text}})),
        },
        "/groups/{key}/members/{username}": {
            "put": op("Add a member (admin)", "users", {"200": ok("The group", group)}, errors=("403", "404"),
                      params=[key, name]),
            "delete": op("Remove a member; their held tasks of the group go back to it (admin)", "users",
                         {"200": ok("The group", group)}, errors=("403", "404"), params=[key, name]),
        },
    }
