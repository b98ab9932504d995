"""Facade operations on recusal and confidentiality: conflicts, reveal, sealing, retention."""
from __future__ import annotations


class ConfidentialityOperations:
    """Mixed into ComplaintEngine; uses `self.ctx` and `self._tx()`."""
