"""Attempt counters kept in the database, so every worker and every app instance shares them.

A rule allows `limit` attempts of one key (a username, a client address) in a bucket within a
sliding `window`; the wait is counted from the attempt that used the last allowed slot. Counted
rows older than their bucket's window are deleted as new ones arrive (an indexed range delete).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.models import RateHit

MAX_KEY = 200


@dataclass(frozen=True)
class Rule:
    """`limit` attempts per `seconds`."""

    limit: int
    seconds: int

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def _key(key: str) -> str:
    return (key or "?")[:MAX_KEY]


def wait(session: Session, now: datetime, bucket: str, key: str, rule: Rule) -> int:
    """Whole seconds until this key may try again (0: it may go ahead now)."""
    nth_latest = session.scalars(
        select(RateHit.at).where(RateHit.bucket == bucket, RateHit.key == _key(key), RateHit.at > now - rule.window)
        .order_by(RateHit.at.desc()).offset(max(rule.limit - 1, 0)).limit(1)).first()
    if nth_latest is None:
        return 0
    return max(1, math.ceil((nth_latest + rule.window - now).total_seconds()))


def count(session: Session, now: datetime, bucket: str, key: str, rule: Rule) -> None:
    """Count one attempt now and forget this bucket's attempts that left the window."""
    session.execute(delete(RateHit).where(RateHit.bucket == bucket, RateHit.at <= now - rule.window))
    session.add(RateHit(bucket=bucket, key=_key(key), at=now))
    session.flush()


def attempt(session: Session, now: datetime, bucket: str, key: str, rule: Rule) -> int:
    """Count this attempt unless the key is over its limit; returns the wait (0 = counted, go ahead)."""
    seconds = wait(session, now, bucket, key, rule)
    if not seconds:
        count(session, now, bucket, key, rule)
    return seconds


def clear(session: Session, bucket: str, key: str) -> None:
    """Forget a key's attempts (a successful sign-in clears its account's failures)."""
    session.execute(delete(RateHit).where(RateHit.bucket == bucket, RateHit.key == _key(key)))
