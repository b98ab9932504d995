"""Timer expressions as diagrams written elsewhere give them.

A timer's text (`timeDate`, `timeDuration`, `timeCycle`) may be
- a bare ISO 8601 value, as Camunda and most modelers write it: `PT5M`, `P3D`, `P1Y2M`,
  `2026-12-01`, `2026-12-01T09:00:00+08:00`, or a cycle `R3/PT1H`; it is taken as that text,
  never run as Python (where `2026-12-01` would be the number 2013);
- a Python expression in the restricted environment (engine.diagrams.script_env): a quoted ISO text
  (`"PT5M"`), a case variable holding one, or a `timedelta(...)` / `datetime` / `date` value.

SpiffWorkflow wants ISO text, so the value is normalised: a duration becomes ISO duration text
(`timedelta(days=3)` -> `P3DT0S`-style seconds text); a date timer becomes an aware ISO datetime
(a duration given to a date timer counts from now; a date or datetime without offset is read as
UTC). Anything else is refused with the element named, at deploy when the text is a literal,
else when the timer is reached (a 422, the case unchanged).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition,
                                                              TimerEventDefinition)

ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$",
                          re.IGNORECASE)
ISO_CYCLE = re.compile(r"^R\d*/\S+$", re.IGNORECASE)
KINDS = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}


class TimerValueError(ValueError):
    """A timer's value cannot be read as a time."""


def is_iso_instant(text: str) -> bool:
    if not re.match(r"^\d{4}-?\d{2}-?\d{2}", text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def literal(text: str | None) -> str | None:
    """The bare ISO 8601 text a timer holds, or None when it is a Python expression."""
    text = (text or "").strip()
    if ISO_DURATION.match(text) or ISO_CYCLE.match(text) or is_iso_instant(text):
        return text
    return None


def literal_problem(kind: str, text: str) -> str | None:
    """Deploy-time check of a bare ISO value for a timer of `kind` (date, duration, cycle)."""
    try:
        if kind == "cycle":
            if not ISO_CYCLE.match(text):
                raise TimerValueError("a cycle timer takes a repeating interval such as R3/PT1H")
            TimerEventDefinition.parse_iso_recurring_interval(text)
        elif ISO_DURATION.match(text):
            TimerEventDefinition.parse_iso_duration(text)
        elif kind == "duration":
            raise TimerValueError("a duration timer takes a duration such as PT5M or P3D, not a date")
        else:
            datetime.fromisoformat(text)
    except TimerValueError as exc:
        return str(exc)
    except Exception:
        return f"{text!r} is not a valid ISO 8601 time"
    return None


def looks_like_a_bad_literal(text: str) -> bool:
    """Digits and date punctuation that are no valid ISO value (`2026-13-01`): as Python they
    would be arithmetic (2012), never what the author meant."""
    return bool(re.fullmatch(r"[\d][\d\-:T+.,Z ]*", (text or "").strip())) and literal(text) is None


def kind_of(event) -> str | None:
    if isinstance(event, TimeDateEventDefinition):
        return "date"
    if isinstance(event, DurationTimerEventDefinition):
        return "duration"
    if isinstance(event, CycleTimerEventDefinition):
        return "cycle"
    return None


def normalise(kind: str, value, now: datetime):
    """The value SpiffWorkflow's timer of `kind` understands, from what the expression gave."""
    if kind == "cycle":
        if isinstance(value, str):
            return value
        raise TimerValueError(f"a cycle timer needs ISO text such as R3/PT1H, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if ISO_DURATION.match(text):
            if kind == "duration":
                return text
            delta = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), now)
            return (now + delta).astimezone(timezone.utc).isoformat()
        if kind == "duration":
            raise TimerValueError(f"a duration timer needs a duration such as PT5M or timedelta(minutes=5), "
                                  f"not {text[:40]!r}")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise TimerValueError(f"{text[:40]!r} is neither an ISO 8601 date, datetime nor duration") from None
    if isinstance(value, timedelta):
        if kind == "duration":
            seconds = max(value.total_seconds(), 0)
            return f"PT{int(seconds) if seconds == int(seconds) else seconds}S"
        return (now + value).astimezone(timezone.utc).isoformat()
    if kind == "duration":
        raise TimerValueError(f"a duration timer needs a duration such as PT5M, not {type(value).__name__}")
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc).isoformat()
    raise TimerValueError(f"a date timer needs an ISO 8601 date or datetime, not {type(value).__name__}")
