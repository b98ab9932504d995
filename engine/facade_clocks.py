"""Facade operations on case clocks: calendar administration, pauses, extensions, notifications."""
from __future__ import annotations


class ClockOperations:
    """Mixed into ComplaintEngine; uses `self.ctx` and `self._tx()`."""
