"""The contract between the engine and the service-task handlers in `handlers/`.

A BPMN service task names an operator (`spiffworkflow:serviceTaskOperator id="..."`) and
parameters (Python expressions, evaluated in the restricted environment against the case data).
The engine looks the operator up in the `HandlerRegistry`, calls it with a `HandlerContext` and
the evaluated parameters, and applies the plain dict it returns inside the same transaction as
the step, so a failing handler leaves the case exactly as it was.

What a handler may return (every key optional):

- ``data``: dict merged into the case's workflow data (visible to later gateways and tasks).
  Special keys the engine understands:
  ``lane_groups`` {lane: group} — the candidate group for a lane (default: the lane name, or for
  a lane whose name is a data key holding a group name, e.g. ``department``, that value);
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
