"""An injectable clock: production reads the system time, tests and `timers fire --as-of` move it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""


class SystemClock:
    """Real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that only moves when told to (tests, time travel)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now.astimezone(timezone.utc)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = instant

    def advance(self, **delta) -> datetime:
        self._now = self._now + timedelta(**delta)
        return self.now()


def to_iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset (UTC for stored instants); None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def aware(value: datetime | None) -> datetime | None:
    """Database drivers hand naive UTC datetimes back from SQLite: make them aware again."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
