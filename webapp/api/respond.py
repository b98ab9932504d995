"""JSON answers in UTF-8 (Chinese text stays readable, not \\u-escaped)."""
from __future__ import annotations

import json

from flask import Response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def reply(body, status: int = 200, headers: dict | None = None) -> Response:
    """One JSON response; `headers` adds e.g. Location or Cache-Control."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_plain)
    response = Response(text, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _plain(value):
    """Engine answers are plain data already; dates and sets are the only stragglers."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
