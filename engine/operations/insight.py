"""Facade operations for oversight: a version's heatmap and the reports (issue 9)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from engine.oversight import diagram_views, reports
from engine.actors import Actor
from engine.context import EngineContext


class InsightOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext
    _tx: Callable[[], AbstractContextManager[Session]]

    def heatmap(self, actor: Actor, key: str, version: int, start: datetime | None = None,
                end: datetime | None = None) -> dict:
        """{"key", "version", "from", "to", "elements": {id: {"cases", "waits", "median_hours",
        "p90_hours"}}, "xml"} for owners, auditors and admins."""
        with self._tx() as session:
            return diagram_views.heatmap(self.ctx, session, actor, key, version, start, end)

    def reports(self, actor: Actor, start: datetime, end: datetime) -> dict:
        """The report numbers of [start, end) per type the actor may read (see engine/oversight/reports.py)."""
        with self._tx() as session:
            return reports.report(session, actor, start, end)
