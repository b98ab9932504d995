"""Every run of a diagram's Python is bounded: time, loop iterations, size of what it makes, steps.

One `RunBudget` covers one step of one case (a filing, a completed task, fired timers): its
scripts, gateway conditions, timer expressions and DMN cells share it, and so does
SpiffWorkflow's run loop (engine steps, call-activity depth). The restricted compiler
(engine.diagrams.script_env) rewrites the operations that can make something huge (`**`, `*`, `<<`, `+`,
`%`, f-strings, `*x` unpacking) into calls of the guards below, which refuse BEFORE computing:
`10**10**10` is refused in microseconds instead of holding the GIL for hours. Loops, function
calls and `except` handlers check the clock and the iteration count cooperatively. A breach
is sticky: once a limit is hit, every further check raises again, so a script cannot swallow it.
"""
from __future__ import annotations

import contextvars
import json
import math
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

SEQUENCES = (str, bytes, bytearray, list, tuple)
CONTAINERS = (list, tuple, dict, set, frozenset)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class RunLimits:
    """What one step may spend. Defaults suit complaint handling; `LIMITS` below is the one used."""

    seconds: float = 1.0            # Python time of the step's scripts, conditions and DMN cells
    iterations: int = 100_000       # loop iterations (for, comprehensions, unpacking) in the step
    length: int = 1_000_000         # characters or items in one string, list or tuple made
    digits: int = 4_300             # decimal digits of one integer (Python's own str() limit)
    memory: int = 64 * 1024 * 1024  # bytes of strings, numbers and sequences made by the step
    engine_steps: int = 200         # BPMN elements the run loop may execute in one step
    call_depth: int = 8             # call activities / subprocesses nested in one another

    def describe(self, limit: str) -> str:
        return {
            "seconds": f"{self.seconds:g} s of script time per step",
            "iterations": f"{self.iterations:,} loop iterations per step",
            "length": f"{self.length:,} characters or items in one string or list",
            "digits": f"{self.digits:,} digits in one number",
            "memory": f"{self.memory // (1024 * 1024)} MiB of values made per step",
            "engine_steps": f"{self.engine_steps:,} elements run per step",
            "call_depth": f"{self.call_depth} nested call activities",
        }[limit]


LIMITS = RunLimits()


class RunLimitExceeded(Exception):
    """A run went over one of its limits; `limit` names which (a field of RunLimits)."""

    def __init__(self, limit: str, limits: RunLimits, what: str):
        super().__init__(f"{what}: over the limit of {limits.describe(limit)} ({limit})")
        self.limit, self.limits, self.what = limit, limits, what

    def again(self) -> "RunLimitExceeded":
        """The same breach as a fresh exception (re-raising one instance would grow its traceback)."""
        return RunLimitExceeded(self.limit, self.limits, self.what)


class RunBudget:
    """The counters of one step; the guard methods are what restricted code calls."""

    def __init__(self, limits: RunLimits | None = None):
        self.limits = limits or LIMITS
        self.max_bits = int(self.limits.digits * math.log2(10))
        self.seconds_used = 0.0
        self.iterations = 0
        self.memory = 0
        self.engine_steps = 0
        self.breach: RunLimitExceeded | None = None
        self._deadline = math.inf
        self.scope_template: dict | None = None  # engine.diagrams.script_env's globals for this budget

    # --- accounting ----------------------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[None]:
        """Count the CPU time this thread spends in one evaluation (handlers and SQL between scripts do
        not count, nor time the machine gives other work: a busy server does not fail a sound step)."""
        started = time.thread_time()
        self._deadline = started + self.limits.seconds - self.seconds_used
        try:
            self.tick()
            yield
        finally:
            self.seconds_used += time.thread_time() - started
            self._deadline = math.inf

    def fail(self, limit: str, what: str) -> None:
        self.breach = RunLimitExceeded(limit, self.limits, what)
        raise self.breach

    def tick(self) -> None:
        """The cooperative check: a function entered, an `except` reached, an operation guarded."""
        if self.breach is not None:
            raise self.breach.again()
        if time.thread_time() > self._deadline:
            self.fail("seconds", "scripts ran too long")

    def engine_step(self, depth: int) -> None:
        """SpiffWorkflow is about to run one more element at `depth` call activities deep."""
        self.engine_steps += 1
        if self.engine_steps > self.limits.engine_steps:
            self.fail("engine_steps", "the process keeps running without waiting for anyone (a loop?)")
        if depth > self.limits.call_depth:
            self.fail("call_depth", "call activities nest too deep (a process calling itself?)")

    def charge_sequence(self, items: int, sample) -> None:
        """Refuse a string/list of `items` entries (like `sample`) before it is built; count its memory."""
        self.tick()
        if items > self.limits.length:
            unit = "characters" if isinstance(sample, str) else "items"
            self.fail("length", f"a {type(sample).__name__} of {items:,} {unit}")
        self.memory += items * (1 if isinstance(sample, (str, bytes, bytearray)) else 8)
        if self.memory > self.limits.memory:
            self.fail("memory", "the step made too many large values")

    def grow(self, target: list, added: int) -> None:
        """A list grown in place by `added` items: its new length is checked, only the growth charged."""
        if len(target) + added > self.limits.length:
            self.fail("length", f"a list of {len(target) + added:,} items")
        self.charge_sequence(added, target)

    def charge_number(self, bits: float) -> None:
        """Refuse an integer of `bits` bits before it is computed; count its memory."""
        self.tick()
        if bits > self.max_bits:
            self.fail("digits", f"a number of about {int(bits / math.log2(10)):,} digits")
        self.memory += int(bits) // 8
        if self.memory > self.limits.memory:
            self.fail("memory", "the step made too many large values")

    def expanded(self, value):
        """Refuse a value whose full expansion is too large before repr, ==, hashing or JSON walk it
        in C: `x = [x, x]` thirty times is tiny in memory but has 2**30 items written out (shared
        parts count each time they appear). Each distinct container is looked at once, so the
        check costs what the value occupies, not what it expands to. Returns the value unchanged."""
        if not isinstance(value, CONTAINERS):
            return value
        sizes: dict[int, int] = {}
        stack, open_ids, limit = [(value, False)], set(), self.limits.length
        while stack:
            item, finished = stack.pop()
            key = id(item)
            if finished:
                open_ids.discard(key)
                sizes[key] = size = _own_size(item) + sum(sizes[id(c)] for c in _inner_containers(item))
                if size > limit:
                    self.fail("length", "a value that expands to too many items (shared parts count each time)")
                if len(sizes) % 1_000 == 0:
                    self.tick()
            elif key not in sizes:
                if key in open_ids:
                    self.fail("length", "a value that contains itself")
                open_ids.add(key)
                stack.append((item, True))
                stack.extend((c, False) for c in _inner_containers(item) if id(c) not in sizes)
        return value

    def expanding(self, function):
        """A builtin that walks its arguments in full (str, sorted, max...), checked first."""
        def call(*args, **kwargs):
            self.tick()
            for arg in args:
                self.expanded(arg)
            return function(*args, **kwargs)
        return call

    def sized(self, value):
        """Check a value after it was built (when its size could not be known before)."""
        if isinstance(value, SEQUENCES):
            self.charge_sequence(len(value), value)
        return value

    # --- loops and calls ------------------------------------------------------------------------
    def getiter(self, iterable):
        """`for` loops, comprehensions and unpacking: every item counts against the iterations."""
        self.tick()
        return self._counted(iter(iterable))

    def _counted(self, iterator):
        limit = self.limits.iterations
        for item in iterator:
            self.iterations += 1
            if self.iterations > limit:
                self.fail("iterations", "too many loop iterations")
            if time.thread_time() > self._deadline:
                self.fail("seconds", "scripts ran too long")
            yield item

    # --- operators ------------------------------------------------------------------------------
    def power(self, base, exponent, modulo=None):
        self.tick()
        if modulo is not None:
            if isinstance(modulo, int):
                self.charge_number(abs(modulo).bit_length())
            return pow(base, exponent, modulo)
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            self.charge_number(exponent * math.log2(abs(base)))
        return base ** exponent

    def multiply(self, left, right):
        self.tick()
        if isinstance(left, int) and isinstance(right, int):
            self.charge_number(abs(left).bit_length() + abs(right).bit_length())
        elif isinstance(left, SEQUENCES) and isinstance(right, int):
            self.charge_sequence(len(left) * max(right, 0), left)
        elif isinstance(right, SEQUENCES) and isinstance(left, int):
            self.charge_sequence(len(right) * max(left, 0), right)
        return left * right

    def shift_left(self, left, right):
        self.tick()
        if isinstance(left, int) and isinstance(right, int) and right > 0 and left:
            self.charge_number(abs(left).bit_length() + right)
        return left << right

    def add(self, left, right):
        self.tick()
        if isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
            self.charge_sequence(len(left) + len(right), left)
        return left + right

    def modulo(self, left, right):
        """`%`: for strings, refuse huge widths (`'%9999999999d' % 1`) before formatting."""
        self.tick()
        if isinstance(left, (str, bytes)):
            self.expanded(right)
            text = left.decode("latin-1") if isinstance(left, bytes) else left
            args = right if isinstance(right, tuple) else (right,)
            stars = [a for a in args if isinstance(a, int)]
            for match in _PERCENT_SPEC.finditer(text):
                for part in match.groups():
                    width = max(stars or [0]) if part == "*" else int(part or 0)
                    if width > self.limits.length:
                        self.fail("length", f"a formatted field {width:,} wide")
            return self.sized(left % right)
        return left % right

    def format_value(self, value, conversion: int, spec: str):
        """An f-string field: refuse a huge expansion or a huge width (`f"{x:>{n}}"`) first."""
        self.tick()
        value = {115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(self.expanded(value))
        for number in _DIGITS.findall(spec):
            if len(number) > 9 or int(number) > self.limits.length:
                self.fail("length", f"a formatted field {number} wide")
        return format(value, spec)

    # --- builtins and methods -------------------------------------------------------------------
    def range(self, *args):
        self.tick()
        numbers = range(*args)
        try:
            size = len(numbers)
        except OverflowError:
            size = math.inf
        if size > self.limits.iterations:
            self.fail("iterations", f"a range of {size:,} numbers")
        return numbers

    def round(self, number, ndigits=None):
        """`round(5, -10**7)` would compute 10**10**7 first."""
        self.tick()
        if isinstance(ndigits, int) and abs(ndigits) > self.limits.digits:
            self.fail("digits", f"rounding to {ndigits:,} digits")
        return round(number, ndigits)

    def sum(self, iterable, start=0):
        items = list(self.getiter(iterable))
        if isinstance(start, (list, tuple)):
            total = list(start)
            for item in items:
                self.grow(total, len(item))
                total.extend(item)
            return type(start)(total)
        return sum(items, start)

    def json_dumps(self, obj, indent=None, **kwargs):
        self.tick()
        if isinstance(indent, int) and not isinstance(indent, bool) and indent > 16:
            self.fail("length", f"JSON indented by {indent:,}")
        if isinstance(indent, str) and len(indent) > 16:
            self.fail("length", f"JSON indented by {len(indent):,} characters")
        if any(isinstance(s, str) and len(s) > 16 for s in kwargs.get("separators") or ()):
            self.fail("length", "JSON separators longer than 16 characters")
        return self.sized(json.dumps(self.expanded(obj), indent=indent, **kwargs))

    def method(self, obj, name: str, method):
        """Wrap the methods of strings and lists that can build something much larger."""
        if isinstance(obj, (str, bytes, bytearray)) and name in _TEXT_METHODS:
            return _TEXT_METHODS[name](self, obj, method)
        if isinstance(obj, list) and name == "extend":
            return lambda other: method(self._items_for_extend(obj, other))
        if isinstance(obj, int) and name == "to_bytes":
            return lambda length=1, *args, **kwargs: method(self._length(length, b""), *args, **kwargs)
        if isinstance(obj, CONTAINERS) and callable(method):  # add, get, index, count, update...
            if name in ("sort", "index", "count", "remove"):  # these compare the members with each other
                self.expanded(obj)
            return self.expanding(method)
        return method

    def getitem(self, obj, index):
        """`_getitem_`: a key is hashed or compared in full, so its expansion is checked first."""
        return obj[self.expanded(index)]

    def _length(self, length, sample):
        if isinstance(length, int):
            self.charge_sequence(length, sample)
        return length

    def writable(self, obj):
        """`_write_`: what a script may change (`obj[key] = value`, `del obj[key]`), checked."""
        return _Writer(obj, self)

    def _items_for_extend(self, target: list, other):
        items = other if isinstance(other, SEQUENCES) else list(self.getiter(other))
        self.grow(target, len(items))
        return items


_PLAIN_TYPES = {int, float, bool, type(None)}


def _members(container):
    return (container.keys(), container.values()) if isinstance(container, dict) else (container,)


def _own_size(container) -> int:
    """Items plus the characters of the strings directly inside (type checks run in C)."""
    size = len(container)
    for members in _members(container):
        kinds = set(map(type, members))
        if kinds <= _PLAIN_TYPES:
            continue
        size += sum(map(len, members)) if kinds == {str} else sum(len(m) for m in members if isinstance(m, str))
    return size


def _inner_containers(container) -> list:
    found = []
    for members in _members(container):
        if not set(map(type, members)) <= _PLAIN_TYPES | {str}:
            found.extend(m for m in members if isinstance(m, CONTAINERS))
    return found


class _Writer:
    """Stands in for a container on the left of `c[key] = value`: a slice may not grow a list past
    the limits (`l[:0] = l` doubles it in place), a key is checked before it is hashed."""

    __slots__ = ("target", "budget")

    def __init__(self, target, budget: RunBudget):
        self.target, self.budget = target, budget

    def __setitem__(self, key, value):
        if isinstance(key, slice) and isinstance(self.target, list):
            value = value if isinstance(value, SEQUENCES) else list(self.budget.getiter(value))
            self.budget.grow(self.target, len(value))
        self.target[self.budget.expanded(key)] = value

    def __delitem__(self, key):
        del self.target[self.budget.expanded(key)]


def _join(budget: RunBudget, sep, method):
    def join(iterable):
        items = list(budget.getiter(iterable))
        total = sum(len(i) for i in items if isinstance(i, SEQUENCES)) + len(sep) * max(len(items) - 1, 0)
        budget.charge_sequence(total, sep)
        return method(items)
    return join


def _padded(budget: RunBudget, text, method):
    def pad(width, *args):
        budget.charge_sequence(max(width, len(text)) if isinstance(width, int) else len(text), text)
        return method(width, *args)
    return pad


def _expandtabs(budget: RunBudget, text, method):
    def expand(tabsize=8):
        budget.charge_sequence(len(text) * max(tabsize, 1) if isinstance(tabsize, int) else len(text), text)
        return method(tabsize)
    return expand


def _replace(budget: RunBudget, text, method):
    def replace(old, new, count=-1):
        if isinstance(old, type(text)) and isinstance(new, type(text)):
            hits = len(text) + 1 if not old else text.count(old)
            if isinstance(count, int) and count >= 0:
                hits = min(hits, count)
            budget.charge_sequence(len(text) + hits * max(len(new) - len(old), 0), text)
        return method(old, new, count)
    return replace


def _translate(budget: RunBudget, text, method):
    def translate(table, *args):
        longest = max((len(v) for v in table.values() if isinstance(v, SEQUENCES)), default=1) \
            if isinstance(table, dict) else 1
        budget.charge_sequence(len(text) * max(longest, 1), text)
        return method(table, *args)
    return translate


_TEXT_METHODS = {"join": _join, "ljust": _padded, "rjust": _padded, "center": _padded, "zfill": _padded,
                 "expandtabs": _expandtabs, "replace": _replace, "translate": _translate}

_current: contextvars.ContextVar[RunBudget | None] = contextvars.ContextVar("complaintflow_budget", default=None)


@contextmanager
def run_budget(limits: RunLimits | None = None) -> Iterator[RunBudget]:
    """One step's budget: every evaluation inside shares it (nested calls reuse the outer one)."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    budget = RunBudget(limits)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
