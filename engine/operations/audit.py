"""Facade operations for auditors and the file: the case timeline, exports of a case and of a
case list, the audit log's export. Each call is one transaction; an export's writer (the web
layer's CSV or XLSX maker) is called inside it with the rows page by page."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable, Iterator

from sqlalchemy.orm import Session

from engine import cases
from engine.oversight import audit_log, exports, timeline
from engine.actors import Actor
from engine.context import EngineContext

Writer = Callable[[Iterator[list[dict]]], None]


class AuditOperations:
    """Mixed into ComplaintEngine. Relies on `self.ctx` and `self._tx()`."""

    ctx: EngineContext
    _tx: Callable[..., AbstractContextManager[Session]]

    def case_timeline(self, actor: Actor, case_id: int, **options) -> dict:
        """One page of the case's history told for people (see engine.oversight.timeline.timeline)."""
        with self._tx() as session:
            return timeline.timeline(self.ctx, session, actor, case_id, **options)

    def case_timeline_page(self, actor: Actor, case_id: int, **options) -> dict:
        """The history page: {"case", "timeline"}."""
        with self._tx() as session:
            told = timeline.timeline(self.ctx, session, actor, case_id, **options)
            return {"case": cases.case_detail(self.ctx, session, actor, case_id, opened=True), "timeline": told}

    def export_case_file(self, actor: Actor, case_id: int, fmt: str, reason: str | None = None,
                         lang: str | None = None, tz: str | None = None) -> dict:
        """The case file for `fmt` (json, pdf or html), audited (see engine.oversight.exports.case_file)."""
        with self._tx() as session:
            return exports.case_file(self.ctx, session, actor, case_id, fmt=fmt, reason=reason, lang=lang, tz=tz)

    def export_case_list(self, actor: Actor, fmt: str, filters: dict, write: Writer) -> int:
        """The filtered case list handed to `write` page by page; audited; returns the count."""
        with self._tx() as session:
            return exports.case_list(self.ctx, session, actor, fmt=fmt, filters=filters, write=write)

    def export_audit_log(self, reader: Actor, write: Writer, **filters) -> int:
        """The audit log's matching events handed to `write` page by page; audited."""
        with self._tx() as session:
            return audit_log.export_events(self.ctx, session, reader, write, **filters)
