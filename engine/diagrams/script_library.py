"""What a diagram's Python may use besides the safe builtins (docs/authoring.md, "Scripts").

The names SpiffArena models commonly use, each safe and bounded:
- `datetime` (the class, as SpiffArena gives it: `datetime.now()`, `datetime.strptime(...)`,
  `datetime.fromisoformat(...)`), `date`, `timedelta`, `timezone`; `now()` and `today()` read
  the engine's clock, so a case behaves the same whenever it is replayed;
- `json` (`dumps`, `loads`), `re` (`match`, `search`, `fullmatch`, `findall`, `sub`, `split`,
  `escape` and the flags; patterns that can backtrack for ever are refused), `decimal` and
  `Decimal`, `calendar` (`monthrange`, `isleap`, `weekday`);
- the time helpers: `get_localtime(dt, "Asia/Shanghai")`, `pytz.timezone(name)` (a zoneinfo
  zone), `pytz.utc`, `time.time()` (the engine's clock as a timestamp);
- `print(...)`: accepted and discarded.
"""
from __future__ import annotations

import calendar as _calendar
import datetime as _dt
import decimal as _decimal
import json as _json
import re as _re
import re._constants as _sre
import re._parser as _sre_parse
from types import SimpleNamespace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

MAX_REGEX_TEXT = 10_000
MAX_REGEX_PATTERN = 500


def _clock_now(tz=None) -> _dt.datetime:
    """The engine's clock (SpiffWorkflow's timer clock, which engine.runtime routes to the step's now)."""
    instant = _spiff_timer.datetime.now(_dt.timezone.utc)
    return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)


class CaseDatetime(_dt.datetime):
    """`datetime` for scripts: `now()`, `utcnow()` and `today()` read the engine's clock (naive
    values are UTC). What it makes is a plain `datetime`."""

    def __new__(cls, *args, **kwargs):
        return _dt.datetime(*args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        value = _clock_now(tz)
        return _dt.datetime(*value.timetuple()[:6], value.microsecond, tzinfo=value.tzinfo)

    @classmethod
    def utcnow(cls):
        return cls.now()

    @classmethod
    def today(cls):
        return cls.now()


class CaseDate(_dt.date):
    """`date` for scripts: `today()` is the engine's clock's UTC date. What it makes is a plain `date`."""

    def __new__(cls, *args, **kwargs):
        return _dt.date(*args, **kwargs)

    @classmethod
    def today(cls):
        value = _clock_now()
        return _dt.date(value.year, value.month, value.day)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or len(name) > 64:
        raise ValueError("give the time zone by name, e.g. 'Asia/Shanghai'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def get_localtime(datetime=None, timezone="Asia/Shanghai"):  # noqa: A002 - SpiffArena's parameter names
    """SpiffArena's helper: `datetime` (aware; naive is read as UTC) in the named zone."""
    if not isinstance(datetime, _dt.datetime):
        raise ValueError("get_localtime needs a datetime, e.g. get_localtime(datetime.now(), 'Asia/Shanghai')")
    value = datetime if datetime.tzinfo else datetime.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_zone(timezone))


class UnsafePattern(ValueError):
    """A regular expression that could backtrack for ever."""


def _backtracks(parsed, in_repeat: bool = False) -> bool:
    """Whether a parsed pattern repeats, without bound, something that itself repeats or
    branches: the shapes (`(a+)+`, `(a|a)*`) that take exponential time on a near miss."""
    for op, av in parsed:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            unbounded = high == _sre.MAXREPEAT or high > 50
            if in_repeat and unbounded:
                return True
            if _backtracks(sub, in_repeat or unbounded):
                return True
        elif op == _sre.SUBPATTERN:
            if _backtracks(av[-1], in_repeat):
                return True
        elif op == _sre.BRANCH:
            if in_repeat or any(_backtracks(alt, in_repeat) for alt in av[1]):
                return True
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if _backtracks(av[1], in_repeat):
                return True
    return False


def check_pattern(pattern) -> None:
    if not isinstance(pattern, str) or len(pattern) > MAX_REGEX_PATTERN:
        raise UnsafePattern(f"a regular expression must be text of at most {MAX_REGEX_PATTERN} characters")
    if _backtracks(_sre_parse.parse(pattern)):
        raise UnsafePattern(f"the pattern {pattern[:60]!r} repeats a repetition or an alternative, which can "
                            "run for ever: write it with a character class, e.g. [ab]+")


def _text(value):
    if not isinstance(value, str) or len(value) > MAX_REGEX_TEXT:
        raise ValueError(f"regular expressions search text of at most {MAX_REGEX_TEXT:,} characters")
    return value


def _regex_library(budget) -> SimpleNamespace:
    def wrap(name):
        def call(pattern, string, *args, **kwargs):
            check_pattern(pattern)
            return getattr(_re, name)(pattern, _text(string), *args, **kwargs)
        return call

    def sub(pattern, repl, string, count=0, flags=0):
        check_pattern(pattern)
        if not isinstance(repl, str):
            raise ValueError("re.sub takes replacement text (not a function) in diagram scripts")
        return budget.sized(_re.sub(pattern, repl, _text(string), count=count, flags=flags))

    return SimpleNamespace(match=wrap("match"), search=wrap("search"), fullmatch=wrap("fullmatch"),
                           findall=wrap("findall"), split=wrap("split"), sub=sub, escape=_re.escape,
                           I=_re.I, IGNORECASE=_re.I, M=_re.M, MULTILINE=_re.M, S=_re.S, DOTALL=_re.S)


class DiscardedPrint:
    """RestrictedPython's print target: `print(...)` in a diagram does nothing."""

    def __init__(self, _getattr_=None):
        pass

    def _call_print(self, *objects, **kwargs):
        return None

    def __call__(self) -> str:
        return ""


def library(budget) -> dict:
    """The names a script or expression sees (besides the safe builtins), for one run budget."""
    decimal = SimpleNamespace(Decimal=_decimal.Decimal, InvalidOperation=_decimal.InvalidOperation,
                              **{name: getattr(_decimal, name) for name in
                                 ("ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_HALF_DOWN", "ROUND_UP",
                                  "ROUND_DOWN", "ROUND_CEILING", "ROUND_FLOOR")})
    return {
        "datetime": CaseDatetime,
        "date": CaseDate,
        "timedelta": _dt.timedelta,
        "timezone": _dt.timezone,
        "json": SimpleNamespace(dumps=budget.json_dumps, loads=_json.loads, JSONDecodeError=_json.JSONDecodeError),
        "json_dumps": budget.json_dumps,
        "re": _regex_library(budget),
        "decimal": decimal,
        "Decimal": _decimal.Decimal,
        "calendar": SimpleNamespace(monthrange=_calendar.monthrange, isleap=_calendar.isleap,
                                    weekday=_calendar.weekday),
        "get_localtime": get_localtime,
        "pytz": SimpleNamespace(timezone=_zone, utc=_dt.timezone.utc),
        "time": SimpleNamespace(time=lambda: _clock_now(_dt.timezone.utc).timestamp()),
        "_print_": DiscardedPrint,
    }


# what each of the library's small modules offers (`time.time()`, not `time.sleep`): checked at deploy
MODULE_ATTRIBUTES = {"json": frozenset({"dumps", "loads", "JSONDecodeError"}),
                     "calendar": frozenset({"monthrange", "isleap", "weekday"}),
                     "pytz": frozenset({"timezone", "utc"}),
                     "time": frozenset({"time"})}

# the names a diagram may use that are not data: checked at deploy (engine.diagrams.script_env.unknown_names)
LIBRARY_NAMES = frozenset({"datetime", "date", "timedelta", "timezone", "json", "json_dumps", "re", "decimal",
                           "Decimal", "calendar", "get_localtime", "pytz", "time", "print", "printed"})
