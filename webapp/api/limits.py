"""A small sliding-window limiter for receipt look-ups and failed token requests.

Receipts are the complainant's only key, so guessing them must be slow: each client address
gets a few look-ups a minute. The counts live in this process (one `Limiter` on
`app.extensions`); behind several workers each has its own window, which still bounds guessing
to workers x limit. `RATELIMIT_ENABLED = False` switches it off (tests).
"""
from __future__ import annotations

import threading
import time
from collections import deque

from flask import current_app, request

from .errors import ApiError

DEFAULTS = {"receipt": (10, 60.0), "token": (10, 60.0)}  # attempts per window (seconds)
MAX_KEYS = 10000


class Limiter:
    """Per (bucket, client) timestamps of recent hits; old ones fall out of the window."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.hits: dict[tuple[str, str], deque] = {}
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str], window: float, now: float) -> deque:
        hits = self.hits.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        return hits

    def blocked(self, bucket: str, client: str, limit: int, window: float) -> float:
        """Seconds to wait before the next attempt (0 when it may go ahead)."""
        with self.lock:
            now = self.clock()
            hits = self._recent((bucket, client), window, now)
            return 0.0 if len(hits) < limit else max(1.0, hits[0] + window - now)

    def hit(self, bucket: str, client: str, window: float) -> None:
        """Count one attempt now (forgetting idle clients when the table grows large)."""
        with self.lock:
            now = self.clock()
            if len(self.hits) > MAX_KEYS:
                self.hits = {k: v for k, v in self.hits.items() if v and v[-1] > now - window}
            self._recent((bucket, client), window, now).append(now)


def _limiter() -> Limiter:
    """The app's one limiter, made on first use."""
    return current_app.extensions.setdefault("complaintflow_api_limiter", Limiter())


def _rule(bucket: str) -> tuple[int, float]:
    """(attempts, window seconds) for a bucket; `API_<BUCKET>_RATE_LIMIT` overrides."""
    limit, window = DEFAULTS[bucket]
    configured = current_app.config.get(f"API_{bucket.upper()}_RATE_LIMIT")  # e.g. (5, 60)
    return tuple(configured) if configured else (limit, window)


def enabled() -> bool:
    """Off when `RATELIMIT_ENABLED` is False (tests)."""
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def check(bucket: str) -> None:
    """429 with Retry-After when this client used up its attempts in the window."""
    if not enabled():
        return
    limit, window = _rule(bucket)
    wait = _limiter().blocked(bucket, request.remote_addr or "?", limit, window)
    if wait:
        raise ApiError(429, "too many attempts; wait a moment and try again", {"retry_after": int(wait + 0.999)},
                       headers={"Retry-After": str(int(wait + 0.999))})


def count(bucket: str) -> None:
    """Record one attempt of this client."""
    if enabled():
        _limiter().hit(bucket, request.remote_addr or "?", _rule(bucket)[1])


def attempt(bucket: str) -> None:
    """Check then count: for look-ups where every attempt counts."""
    check(bucket)
    count(bucket)
