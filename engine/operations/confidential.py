"""Facade operations on recusal and confidentiality: conflicts, self-recusal, identity reveal,
sealed cases, exports, retention and key rotation. Each call is one transaction."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from engine import case_pages, tasks
from engine.oversight import audit
from engine.confidential import conflicts, disclosure, keyring, retention
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden


class ConfidentialityOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext  # settings, database, clock and caches of the engine
    _tx: Callable[[], AbstractContextManager[Session]]  # one transaction per call (ComplaintEngine._tx)

    # --- conflicts of interest and recusal ---------------------------------------------------
    def declare_conflict(self, actor: Actor, party: str, relation: str, party_kind: str = "person",
                         username: str | None = None, valid_from: datetime | None = None,
                         valid_to: datetime | None = None) -> dict:
        """A conflict for oneself (or, by an admin, for another); recuses them from filed cases at once."""
        fields = {"username": username, "party": party, "relation": relation, "party_kind": party_kind,
                  "valid_from": valid_from, "valid_to": valid_to}
        with self._tx() as session:
            return conflicts.declare(session, actor, self.ctx.now(), fields)

    def list_conflicts(self, actor: Actor, username: str | None = None) -> list[dict]:
        with self._tx() as session:
            return conflicts.list_conflicts(session, actor, self.ctx.now(), username)

    def end_conflict(self, actor: Actor, conflict_id: int) -> dict:
        with self._tx() as session:
            return conflicts.end_conflict(session, actor, self.ctx.now(), conflict_id)

    def recuse_from_task(self, actor: Actor, task_id: int, reason: str) -> dict:
        """Step aside from a task's case with a reason; the task returns to its group or goes up."""
        with self._tx() as session:
            return tasks.recuse_from_task(self.ctx, session, actor, task_id, reason)

    # --- confidential cases --------------------------------------------------------------------
    def reveal_identity(self, actor: Actor, case_id: int, reason: str) -> dict:
        with self._tx() as session:
            return disclosure.reveal_identity(self.ctx, session, actor, case_id, reason)

    def open_sealed_case(self, actor: Actor, case_id: int, reason: str) -> dict:
        with self._tx() as session:
            return case_pages.open_sealed(self.ctx, session, actor, case_id, reason)

    def export_case(self, actor: Actor, case_id: int, reason: str | None = None) -> dict:
        with self._tx() as session:
            return case_pages.export_case(self.ctx, session, actor, case_id, reason)

    # --- retention and keys ----------------------------------------------------------------------
    def retention_settings(self, actor: Actor) -> list[dict]:
        if not actor.has_role("admin", "auditor"):
            raise Forbidden("only admins and auditors see retention settings")
        with self._tx() as session:
            return retention.settings(session)

    def set_retention(self, actor: Actor, type_key: str, days: int | None) -> dict:
        with self._tx() as session:
            return retention.set_retention(session, actor, self.ctx.now(), type_key, days)

    def erase_expired_personal_data(self, as_of: datetime | None = None) -> list[str]:
        """Erase personal data of closed cases past their type's period (the `retention run` command)."""
        with self._tx() as session:
            return retention.erase_due(self.ctx, session, as_of or self.ctx.now())

    def rotate_field_keys(self) -> dict:
        """Re-encrypt all personal data with the first configured key (the `keys rotate` command)."""
        with self._tx() as session:
            counts = keyring.rotate_all(self.ctx, session)
            audit.record(session, at=self.ctx.now(), actor="system", kind="keys_rotated", detail=counts)
            return counts
