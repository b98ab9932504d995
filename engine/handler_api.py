"""The contract between the engine and the service-task handlers in `handlers/`.

A BPMN service task names an operator (`spiffworkflow:serviceTaskOperator id="..."`) and
parameters (Python expressions, evaluated in the restricted environment against the case data).
The engine looks the operator up in the `HandlerRegistry`, calls it with a `HandlerContext` and
the evaluated parameters, and applies the plain dict it returns inside the same transaction as
the step, so a failing handler leaves the case exactly as it was.

What a handler may return (every key optional):

- ``data``: dict merged into the case's workflow data (visible to later gateways and tasks).
  Special keys the engine understands:
  ``lane_groups`` {lane: group} — the candidate group for a lane in this case (default: the
  variable its ``groupVariable`` property names, e.g. ``department``, else the group the version
  mapped it to at deploy; see engine.confidential.routing.lane_group);
  ``task_candidates`` {element_id: [usernames]} — only these users may take that task; a single
  user gets it assigned directly.
- ``deadlines``: {name: ISO datetime} — stored on the case (API ``deadlines``) and merged into
  ``data`` so timer events and ``dueDateVariable`` properties can read them.
- ``case``: {"number": str, "confidential": bool, "department": str, "category": str,
  "first_responsible": str} — business fields stored on the case row.
- ``exclude_users``: [usernames] — recused for this case (added to what is already excluded);
  with ``exclude_reason``.
- ``access``: {"groups": [...], "users": [...]} — replaces who may see a confidential case
  (need-to-know); admins never widen it.
- ``messages``: [{"kind": "acknowledgement"|"notice"|"reply"|"request"|"decision", "body": str}]
  — posted to the complainant's receipt page (and the e-mail outbox when an address is known).
- ``notifications``: [{"to_group" or "to_user": str, "subject": str, "body": str}] — staff notices.
- ``audit``: [{"kind": str, "detail": dict}] — extra audit events for this step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol


class FieldRefused(ValueError):
    """A handler refuses what a person entered in one field of the task form that led to it: the
    step is undone and the form comes back with this reason beside that field (400, details
    {field: {"message", "zh_CN", "en"}}), in the reader's language."""

    def __init__(self, field: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.field, self.zh, self.en = field, zh, en

    def detail(self) -> dict:
        return {"message": self.en, "zh_CN": self.zh, "en": self.en}


class CaseLookups(Protocol):
    """Read-mostly services a handler may use; the engine provides them inside the step's transaction."""

    def next_number(self, prefix: str) -> str:
        """Allocate the next case number `PREFIX-YYYYMM-NNNN` (per prefix and month of `now`)."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End (24:00 local time) of the `days`-th working day after `start`'s date."""

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """End of the `days`-th calendar day after `start`'s date, rolled forward off holidays."""

    def add_months(self, start: datetime, months: int) -> datetime:
        """End of the same day `months` months later (clamped to month end), rolled off holidays."""

    def working_days_before(self, due: datetime, days: int) -> datetime:
        """The moment exactly `days` working days remain before `due` (00:00 local of the first of
        those days): a "one working day before" reminder fires at the start of the last working day."""

    def is_working_day(self, day) -> bool:
        """Whether a date is a working day in the organisation's calendar."""

    def group_members(self, group: str) -> list[str]:
        """Usernames of a group's active members."""

    def user_groups(self, username: str) -> list[str]:
        """Group names a user belongs to ([] for an unknown user)."""

    def find_username(self, name: str) -> str | None:
        """The username of a staff member given a username or display name, else None."""

    def conflicted_users(self, parties: list[str]) -> list[str]:
        """Usernames with a declared, currently valid conflict with any of these persons,
        departments or organisations (matched case-insensitively)."""

    def complainant_history(self, organisation: str, case_type: str) -> list[dict]:
        """Earlier cases of this complainant organisation of one type:
        [{"number", "status", "outcome", "project_code", "decided_at"}] (decided_at ISO or None)."""


@dataclass
class HandlerContext:
    """What a handler sees of the case: plain data only, never a workflow object."""

    case_id: int
    case_type: str
    number: str | None
    data: dict[str, Any]
    now: datetime
    filed_by: str | None
    lookups: CaseLookups
    element_id: str = ""


Handler = Callable[[HandlerContext, dict], dict]

_OPTIONAL_TEXT = (str, type(None))
_CASE_FIELDS = {"number": _OPTIONAL_TEXT, "confidential": bool, "department": _OPTIONAL_TEXT,
                "category": _OPTIONAL_TEXT, "first_responsible": _OPTIONAL_TEXT}


def check_result(operator: str, result) -> None:
    """Refuse a result that breaks the contract above with a reason naming the key (ValueError),
    while the step can still fail cleanly, instead of failing later while the step is saved."""
    def wrong(key: str, expected: str) -> ValueError:
        return ValueError(f"handler {operator} returned a bad {key!r}: expected {expected}")

    if not isinstance(result, dict):
        raise ValueError(f"handler {operator} returned {type(result).__name__}, not a dict")
    for key in ("data", "deadlines", "case", "access"):
        if result.get(key) is not None and not isinstance(result[key], dict):
            raise wrong(key, "an object")
    problem = unstorable(result.get("data"))
    if problem:
        raise wrong("data", f"plain JSON values, not a {problem}")
    for name, value in (result.get("deadlines") or {}).items():
        try:
            value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise wrong("deadlines", f"an ISO date-time for {name!r}") from None
    for name, value in (result.get("case") or {}).items():
        if name in _CASE_FIELDS and not isinstance(value, _CASE_FIELDS[name]):
            raise wrong("case", f"{name} of type {_CASE_FIELDS[name]}")
    if not _texts(result.get("exclude_users")) or not isinstance(result.get("exclude_reason"), _OPTIONAL_TEXT):
        raise wrong("exclude_users", "a list of usernames and an optional text reason")
    access = result.get("access") or {}
    if not (_texts(access.get("groups")) and _texts(access.get("users"))):
        raise wrong("access", '{"groups": [names], "users": [usernames]}')
    for key, required in (("messages", "body"), ("notifications", None), ("audit", None)):
        items = result.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise wrong(key, "a list of objects")
        if required and not all(isinstance(i.get(required), str) for i in items):
            raise wrong(key, f"a text {required!r} in each")
    if not all(isinstance(a.get("detail") or {}, dict) for a in result.get("audit") or []):
        raise wrong("audit", "a 'detail' object in each")


_PLAIN = {str, int, float, bool, type(None)}
_NESTED = {list, tuple, dict}


def unstorable(value) -> str | None:
    """None when `value` is plain JSON data, which is all a case can store; else what is not.
    Each list or object is looked at once (type checks in C), however often it is shared."""
    todo, seen = [(value, 0)], set()
    while todo:
        item, depth = todo.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind not in _NESTED:
            return kind.__name__
        if depth > 64:
            return "structure nested more than 64 levels deep"
        if id(item) in seen:
            continue
        seen.add(id(item))
        for members, allowed in ((item.keys(), _PLAIN), (item.values(), _PLAIN | _NESTED)) if kind is dict \
                else ((item, _PLAIN | _NESTED),):
            kinds = set(map(type, members))
            if not kinds <= allowed:
                return f"{next(iter(kinds - allowed)).__name__}{' key' if allowed is _PLAIN else ''}"
            if kinds & _NESTED:
                todo.extend((m, depth + 1) for m in members if type(m) in _NESTED)
    return None


def _texts(value) -> bool:
    """None or a list of strings."""
    return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))


@dataclass
class HandlerRegistry:
    """Operators by name; the app factory builds one and every handler module registers into it."""

    handlers: dict[str, Handler] = field(default_factory=dict)

    def register(self, operator: str, handler: Handler) -> None:
        if operator in self.handlers:
            raise ValueError(f"service operator {operator!r} registered twice")
        self.handlers[operator] = handler

    def get(self, operator: str) -> Handler:
        try:
            return self.handlers[operator]
        except KeyError:
            raise KeyError(f"unknown service operator {operator!r}") from None

    def __contains__(self, operator: str) -> bool:
        return operator in self.handlers

    def names(self) -> list[str]:
        return sorted(self.handlers)
