"""Facade operations on the staff directory: users, groups, memberships (see engine.accounts.directory)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable

from sqlalchemy.orm import Session

from engine.accounts import directory
from engine.actors import Actor
from engine.context import EngineContext


class DirectoryOperations:
    """Mixed into ComplaintEngine, which provides `ctx` and `_tx` (one transaction per call).
    Shapes: user {"username", "display_name", "email", "roles", "groups", "active"};
    group {"key", "name_zh", "name_en", "members", "member_count"}."""

    ctx: EngineContext
    _tx: Callable[..., AbstractContextManager[Session]]

    def list_users(self, actor: Actor, limit: int | None = None, cursor: str | None = None,
                   q: str | None = None) -> dict:
        with self._tx() as session:
            return directory.list_users(session, actor, limit, cursor, q)

    def get_user(self, actor: Actor, username: str) -> dict:
        with self._tx() as session:
            return directory.get_user(session, actor, username)

    def create_user(self, actor: Actor, fields: dict) -> dict:
        """{"username", "password", "display_name"?, "email"?, "roles"?, "groups"?}."""
        with self._tx() as session:
            return directory.create_user(self.ctx, session, actor, fields)

    def update_user(self, actor: Actor, username: str, fields: dict) -> dict:
        """Any of display_name, email, roles, groups, active, password."""
        with self._tx() as session:
            return directory.update_user(self.ctx, session, actor, username, fields)

    def list_groups(self, actor: Actor, limit: int | None = None, cursor: str | None = None) -> dict:
        with self._tx() as session:
            return directory.list_groups(session, actor, limit, cursor)

    def get_group(self, actor: Actor, key: str) -> dict:
        with self._tx() as session:
            return directory.get_group(session, actor, key)

    def create_group(self, actor: Actor, fields: dict) -> dict:
        """{"key", "name_zh", "name_en"}."""
        with self._tx() as session:
            return directory.create_group(self.ctx, session, actor, fields)

    def rename_group(self, actor: Actor, key: str, fields: dict) -> dict:
        with self._tx() as session:
            return directory.rename_group(self.ctx, session, actor, key, fields)

    def add_group_member(self, actor: Actor, key: str, username: str) -> dict:
        with self._tx() as session:
            return directory.add_member(self.ctx, session, actor, key, username)

    def remove_group_member(self, actor: Actor, key: str, username: str) -> dict:
        """The user's held tasks of that group go back to the group (audited)."""
        with self._tx() as session:
            return directory.remove_member(self.ctx, session, actor, key, username)

    def users_page(self, actor: Actor, username: str | None = None, cursor: str | None = None) -> dict:
        """What the admin's users page shows, in one transaction: one page of users (or the one
        being edited) and the groups to choose from (the first 100 by key)."""
        with self._tx() as session:
            groups = directory.list_groups(session, actor, 100)["items"]
            if username is not None:
                return {"user": directory.get_user(session, actor, username), "groups": groups}
            return {"users": directory.list_users(session, actor, 50, cursor), "groups": groups}
