"""Facade operations for admins on tasks nobody eligible may take (engine.stuck_tasks)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable

from sqlalchemy.orm import Session

from engine import stuck_tasks
from engine.actors import Actor
from engine.context import EngineContext


class StuckTaskOperations:
    """Mixed into ComplaintEngine, which provides `ctx` and `_tx` (one transaction per call)."""

    ctx: EngineContext
    _tx: Callable[[], AbstractContextManager[Session]]

    def stuck_tasks(self, actor: Actor, limit: int | None = None, cursor: str | None = None) -> dict:
        """Admins: one page of open tasks without an eligible holder, longest stuck first."""
        with self._tx() as session:
            return stuck_tasks.list_stuck(self.ctx, session, actor, limit, cursor)

    def reassign_task(self, actor: Actor, task_id: int, to_user: str | None = None, to_group: str | None = None,
                      reason: str = "") -> dict:
        """Admins: give a task to a user or a group, with a reason (audited)."""
        with self._tx() as session:
            return stuck_tasks.reassign(self.ctx, session, actor, task_id, to_user, to_group, reason)
