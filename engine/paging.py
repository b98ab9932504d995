"""Keyset paging for every list: opaque cursors, bounded pages, counts that stay cheap.

A list answers `{"items", "next", "total"}` (API.md, issues #5–#9). `next` is an opaque cursor
naming the last row's sort key; the next page starts after it, so a page costs the same at row
10 and at row 1,000,000, and a row inserted meanwhile never shows twice. `total` counts at most
COUNT_CAP + 1 matching rows: past COUNT_CAP it says COUNT_CAP with `"total_is_estimate": true`
(a lower bound), so the count never reads a whole big table. A list may also answer a cheaper
bound labelled the same way (the inbox: see engine.tasks._total).
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput

DEFAULT_LIMIT, MAX_LIMIT = 50, 100
COUNT_CAP = 10_000


def check_limit(limit) -> int:
    """The page size asked for (None: the default), or 400."""
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("bad page size", {"limit": f"1 to {MAX_LIMIT}"})
    return limit


def encode(list_name: str, key: tuple) -> str:
    """An opaque cursor for `list_name` after the row whose sort key is `key`."""
    values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in key]
    raw = json.dumps([list_name, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(list_name: str, cursor: str | None, types: tuple) -> tuple | None:
    """The sort key a cursor of `list_name` names (None: the first page), or 400. `types` gives
    each key part's type (int, str, datetime); any part may be null."""
    if cursor is None or cursor == "":
        return None
    bad = InvalidInput("this cursor does not belong to this list", {"cursor": "use the `next` value of this list"})
    if not isinstance(cursor, str) or len(cursor) > 500:
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(types) + 1 or values[0] != list_name:
        raise bad
    key = []
    for value, kind in zip(values[1:], types):
        if value is None:
            key.append(None)
        elif kind is datetime and isinstance(value, dict) and isinstance(value.get("t"), str):
            try:
                key.append(datetime.fromisoformat(value["t"]))
            except ValueError:
                raise bad from None
        elif kind in (int, str) and isinstance(value, kind) and not isinstance(value, bool):
            key.append(value)
        else:
            raise bad
    return tuple(key)


def capped_count(session: Session, queries) -> tuple[int, bool]:
    """How many rows the (disjoint) queries match, reading at most COUNT_CAP + 1 of each:
    (total, is_estimate)."""
    total = 0
    for query in queries:
        limited = query.limit(COUNT_CAP + 1).subquery()
        total += session.scalar(select(func.count()).select_from(limited))
        if total > COUNT_CAP:
            return COUNT_CAP, True
    return total, False


def answer(items: list, next_cursor: str | None, total: int, estimate: bool, **extra) -> dict:
    """The list shape every list endpoint answers."""
    out = {"items": items, "next": next_cursor, "total": total, **extra}
    if estimate:
        out["total_is_estimate"] = True
    return out
