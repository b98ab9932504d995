"""Facade operations on a type's versions: list them, read one, roll the latest pointer, move
running cases (see engine.diagrams.versions)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable

from sqlalchemy.orm import Session

from engine.diagrams import definitions, versions
from engine.actors import Actor
from engine.context import EngineContext


class VersionOperations:
    """Mixed into ComplaintEngine, which provides `ctx` and `_tx` (one transaction per call)."""

    ctx: EngineContext
    _tx: Callable[..., AbstractContextManager[Session]]

    def list_versions(self, actor: Actor, key: str, limit: int | None = None, cursor: str | None = None) -> dict:
        """{"items": [{"version", "deployed_at", "deployed_by", "comment", "sha256", "latest"}], "next", "total"}."""
        with self._tx() as session:
            return versions.list_versions(session, actor, key, limit, cursor)

    def get_version(self, actor: Actor, key: str, version: int) -> dict:
        """One version with its files' text."""
        with self._tx() as session:
            return versions.version_files(session, actor, key, version)

    def move_latest(self, actor: Actor, key: str, version: int, reason: str) -> dict:
        """Roll the version new cases start on back or forward (audited with the reason)."""
        with self._tx() as session:
            return versions.move_latest(self.ctx, session, actor, key, version, reason)

    def migrate_cases(self, actor: Actor, key: str, from_version: int, to_version: int, cases, dry_run: bool,
                      limit: int | None = None, cursor: str | None = None) -> dict:
        """A dry run (which cases can move, and why not) or the move of one batch, in one transaction."""
        with self._tx() as session:
            return versions.migrate(self.ctx, session, actor, key, from_version, to_version, cases, dry_run,
                                    limit, cursor)

    def versions_page(self, actor: Actor, key: str, cursor: str | None = None) -> dict:
        """The type's versions page in one transaction: the type as new cases see it and one page
        of its versions."""
        with self._tx() as session:
            listed = versions.list_versions(session, actor, key, 50, cursor)
            return {"type": definitions.describe(definitions.latest(session, key)), "versions": listed}

    def process_types_page(self, actor: Actor) -> list[dict]:
        """Every type with the version new cases start on, and who set it when (owners, admins, auditors)."""
        with self._tx() as session:
            return versions.types_overview(session, actor)
