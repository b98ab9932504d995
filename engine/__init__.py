"""complaintflow's engine: the runtime around SpiffWorkflow. Never imports flask or webapp."""
from __future__ import annotations

from engine.clocks.calendar import WorkingCalendar
from engine.clocks.clock import SystemClock
from engine.context import EngineContext, EngineSettings
from engine.confidential.crypto import FieldCipher
from engine.db import Database
from engine.facade import ComplaintEngine
from engine.handler_api import HandlerRegistry
from engine.runtime import install_clock_hook

__all__ = ["ComplaintEngine", "EngineSettings", "build_engine"]


def build_engine(settings: EngineSettings, registry: HandlerRegistry, migrate: bool = True) -> ComplaintEngine:
    """Connect, migrate the schema to head, and wire the engine's parts together."""
    install_clock_hook()
    db = Database(settings.database_url, settings.db_timeouts)
    if migrate:
        db.upgrade(settings.field_key)
    ctx = EngineContext(settings=settings, db=db, registry=registry, cipher=FieldCipher(settings.field_key or ""),
                        calendar=WorkingCalendar(timezone=settings.timezone),
                        clock=settings.clock or SystemClock())
    return ComplaintEngine(ctx)
