"""Settings and the long-lived objects every engine module is handed (no import-time globals)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.clocks.calendar import WorkingCalendar
from engine.clocks.clock import Clock, SystemClock
from engine.confidential.crypto import FieldCipher
from engine.db import Database, Timeouts
from engine.diagrams.definitions import DefinitionCache
from engine.handler_api import HandlerRegistry

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


@dataclass
class EngineSettings:
    database_url: str
    field_key: str | None
    timezone: str = "Asia/Shanghai"
    clock: Clock | None = None
    processes_dir: Path = PROCESSES_DIR
    fast_hashing: bool = False
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 20
    db_timeouts: Timeouts = field(default_factory=Timeouts)


@dataclass
class EngineContext:
    settings: EngineSettings
    db: Database
    registry: HandlerRegistry
    cipher: FieldCipher
    calendar: WorkingCalendar
    clock: Clock = field(default_factory=SystemClock)
    # The `calendar` counter the calendar above was built at (-1: not yet read from the table).
    calendar_stamp: int = -1
    # Deployed definitions (immutable) with their parsed specs, by id, for this engine's database.
    definitions: DefinitionCache = field(default_factory=DefinitionCache)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock.now().astimezone(timezone.utc)

    @property
    def hash_cost(self) -> str:
        return "fast" if self.settings.fast_hashing else "slow"
