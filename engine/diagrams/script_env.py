"""The restricted environment in which diagrams' Python runs.

Scripts, gateway conditions, DMN cells, timer expressions and service-task parameters are
compiled with RestrictedPython: no imports, no `open`, no dunder attributes, no `exec`/`eval`.
The default SpiffWorkflow environment runs them with full builtins, so an uploaded diagram
could read files; a builtins whitelist alone is escapable through `().__class__.__subclasses__()`.

Every run is also bounded (engine.diagrams.run_budget): the compiler below rewrites the operations that
can make something huge into calls of the budget's guards, and puts a cooperative check into
every function and `except` handler; loops are counted through `_getiter_`.
"""
from __future__ import annotations

import ast
import datetime as _datetime
import operator
import sys
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.clocks import timer_values
from engine.handler_api import unstorable
from engine.diagrams.script_library import LIBRARY_NAMES, MODULE_ATTRIBUTES, library
from engine.diagrams.run_budget import RunBudget, RunLimitExceeded, run_budget

_EXTRA_BUILTINS = {name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
                   for name in ("min", "max", "len", "sorted", "any", "all", "list", "dict", "set",
                                "enumerate", "abs", "map", "filter", "reversed", "tuple")}
# builtins that walk a whole nested value in C (repr, comparisons, hashing)
_EXPANDING_BUILTINS = ("str", "repr", "sorted", "min", "max", "set", "hash")
# exceptions that are not `Exception`s would slip past every handler up to the web server
_NOT_RAISABLE = ("BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit")


class UnsafeScript(ValueError):
    """A script or expression uses something the restricted environment forbids."""


def _write_guard(budget: RunBudget):
    def write(obj):
        """Allow writes to plain containers only (lists, dicts, sets), never to objects' attributes."""
        if isinstance(obj, (list, dict, set)):
            return budget.writable(obj)
        raise UnsafeScript("scripts may only change lists, dicts and sets")
    return write


def _inplace_operators(budget: RunBudget) -> dict:
    return {"+=": budget.add, "-=": operator.sub, "*=": budget.multiply, "/=": operator.truediv,
            "//=": operator.floordiv, "%=": budget.modulo, "**=": budget.power, "<<=": budget.shift_left,
            ">>=": operator.rshift, "|=": operator.or_, "&=": operator.and_, "^=": operator.xor}


def restricted_globals(budget: RunBudget) -> dict:
    """Fresh globals for one evaluation: safe builtins and the guards, all charging `budget`
    (built once per budget, i.e. per step, and copied for each evaluation)."""
    if budget.scope_template is None:
        budget.scope_template = _guarded_scope(budget)
    return dict(budget.scope_template)


# what the standard library's C code imports for itself while a script runs (`strftime` imports
# `time`, `strptime` imports `_strptime`): scripts cannot import (names starting with _ do not compile)
_INTERNAL_IMPORTS = frozenset({"time", "_strptime", "calendar", "locale", "_locale", "zoneinfo", "_zoneinfo"})


def _internal_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name not in _INTERNAL_IMPORTS:
        raise ImportError(f"diagram scripts cannot import {name!r}")
    return __import__(name, globals, locals, fromlist, level)


def _guarded_scope(budget: RunBudget) -> dict:
    builtins = {k: v for k, v in safe_builtins.items() if k not in _NOT_RAISABLE}
    builtins.update(_EXTRA_BUILTINS)
    builtins["__import__"] = _internal_import
    builtins.update(range=budget.range, pow=budget.power, sum=budget.sum, round=budget.round,
                    **{name: budget.expanding(builtins[name]) for name in _EXPANDING_BUILTINS})
    inplace = _inplace_operators(budget)

    def inplacevar(op: str, x, y):
        if op not in inplace:
            raise UnsafeScript(f"operator {op} is not allowed")
        return inplace[op](x, y)

    def getattr_(obj, name, default=None):
        return budget.method(obj, name, safer_getattr(obj, name, default))

    return {
        "__builtins__": builtins,
        "_getattr_": getattr_,
        "_getitem_": budget.getitem,
        "_getiter_": budget.getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard(budget),
        "_inplacevar_": inplacevar,
        "_tick_": budget.tick,
        "_sized_": budget.sized,
        "_format_": budget.format_value,
        "_cmp_": budget.expanded,
        **{name: getattr(budget, method) for name, method in _GUARDED_OPERATORS.values()},
        **library(budget),
    }


# BinOp -> (name in the rewritten code, RunBudget method)
_GUARDED_OPERATORS = {ast.Pow: ("_pow_", "power"), ast.Mult: ("_mul_", "multiply"),
                      ast.LShift: ("_lshift_", "shift_left"), ast.Add: ("_add_", "add"),
                      ast.Mod: ("_mod_", "modulo")}


def _call(name: str, args: list, where: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, where))


class BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks plus the rewrites that put every run under its RunBudget."""

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        return node if guard is None else _call(guard[0], [node.left, node.right], node)

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_tick_", [], node)), node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.copy_location(ast.BoolOp(ast.Or(), [_call("_tick_", [], node), node.body]), node.body)
        return node

    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_tick_", [], node)), node))
        return node

    def visit_Starred(self, node):
        node = super().visit_Starred(node)
        if isinstance(node.ctx, ast.Load):
            node.value = _call("_getiter_", [node.value], node)
        return node

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        value = _call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        return ast.copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def visit_Set(self, node):
        """Set members and dict keys are hashed in full: checked like comparison operands."""
        node = super().visit_Set(node)
        node.elts = [e if isinstance(e, ast.Starred) else _call("_cmp_", [e], e) for e in node.elts]
        return node

    def visit_Dict(self, node):
        node = super().visit_Dict(node)
        node.keys = [k if k is None else _call("_cmp_", [k], k) for k in node.keys]
        return node

    def visit_SetComp(self, node):
        node = super().visit_SetComp(node)
        node.elt = _call("_cmp_", [node.elt], node.elt)
        return node

    def visit_DictComp(self, node):
        node = super().visit_DictComp(node)
        node.key = _call("_cmp_", [node.key], node.key)
        return node

    def visit_Compare(self, node):
        """`a == b`, `a < b`, `a in b` walk nested values in C: each operand is checked first."""
        node = super().visit_Compare(node)
        node.left = _call("_cmp_", [node.left], node.left)
        node.comparators = [_call("_cmp_", [c], c) for c in node.comparators]
        return node

    def visit_JoinedStr(self, node):
        return _call("_sized_", [super().visit_JoinedStr(node)], node)


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    result = compile_restricted_eval(expression.strip(), policy=BoundedTransformer)
    if result.errors or result.code is None:
        raise UnsafeScript("; ".join(result.errors) or f"cannot compile {expression!r}")
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    result = compile_restricted_exec(script, policy=BoundedTransformer)
    if result.errors or result.code is None:
        raise UnsafeScript("; ".join(result.errors) or "cannot compile script")
    return result.code


def check_expression(expression: str) -> str | None:
    """Deploy-time check: None when the expression compiles in the restricted environment."""
    def check() -> None:
        tree = ast.parse(expression.strip(), mode="eval")
        refuse_constants_over_limits(tree)
        compile_expression(expression)
        refuse_unknown_names(tree)

    return _first_problem(check)


def check_script(script: str) -> str | None:
    """Deploy-time check for scripts: no imports, no `while` loops (unbounded CPU), no constant
    over the run limits, restricted compile."""
    def check() -> None:
        tree = ast.parse(script)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                raise UnsafeScript(f"line {node.lineno}: imports are not allowed in diagram scripts")
            if isinstance(node, ast.While):
                raise UnsafeScript(f"line {node.lineno}: while loops are not allowed in diagram scripts")
        refuse_constants_over_limits(tree)
        compile_script(script)
        refuse_unknown_names(tree)

    return _first_problem(check)


# modules a script might reach for that the environment does not offer (e.g. `os.getenv`, `math.floor`)
_MODULE_NAMES = frozenset(sys.stdlib_module_names) | {"pytz", "dateparser", "dateutil", "requests", "numpy",
                                                       "pandas", "spiff", "flask", "sqlalchemy"}


def available_names() -> frozenset[str]:
    """Everything a diagram's Python may name besides case data (docs/authoring.md, "Scripts")."""
    builtins = {k for k in safe_builtins if k not in _NOT_RAISABLE} | set(_EXTRA_BUILTINS)
    return frozenset(builtins | LIBRARY_NAMES | {"range", "pow", "sum", "round", "str", "repr", "hash"})


def refuse_unknown_names(tree: ast.AST) -> None:
    """A name a script calls, or a module it reaches into, must be one the environment has (case
    data are plain values: nothing in them can be called). Names the script defines itself count."""
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    known = available_names() | defined
    problems = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in known:
            name = node.func.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in _MODULE_NAMES and node.value.id not in known:
            name = node.value.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id not in defined \
                and node.attr not in MODULE_ATTRIBUTES.get(node.value.id, (node.attr,)):
            name = f"{node.value.id}.{node.attr}"
        if name and f"{name!r}" not in "".join(problems):
            problems.append(f"line {node.lineno}: {name!r} is not available to diagram scripts")
    if problems:
        raise UnsafeScript("; ".join(problems) + " (see docs/authoring.md, Scripts, for what is)")


class _NotConstant(Exception):
    pass


_PLAIN_OPERATORS = {ast.Sub: operator.sub, ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
                    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitAnd: operator.and_,
                    ast.BitXor: operator.xor}


def refuse_constants_over_limits(tree: ast.AST) -> None:
    """What deploy can see: constant expressions that would break a run limit (`10**10**10`,
    `'x' * 10**10`, `range(10**12)`) raise UnsafeScript naming each one's line."""
    budget, folded, problems = RunBudget(), {}, []

    def fold(node):
        if id(node) in folded:
            value = folded[id(node)]
            if value is _NotConstant:
                raise _NotConstant
            return value
        try:
            value = fold_new(node)
        except Exception as exc:  # not a constant, or an ordinary error the run itself will report
            if isinstance(exc, RunLimitExceeded):
                problems.append(f"line {node.lineno}: {exc}")
                budget.breach = None  # go on looking for the next one
            folded[id(node)] = _NotConstant
            raise _NotConstant from None
        folded[id(node)] = value
        return value

    def fold_new(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = fold(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = fold(node.left), fold(node.right)
            if type(node.op) in _GUARDED_OPERATORS:
                return getattr(budget, _GUARDED_OPERATORS[type(node.op)][1])(left, right)
            return _PLAIN_OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords \
                and node.func.id in ("range", "pow"):
            args = [fold(arg) for arg in node.args]
            return budget.range(*args) if node.func.id == "range" else budget.power(*args)
        raise _NotConstant

    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.Call)):
            try:
                fold(node)
            except _NotConstant:
                pass
    if problems:
        raise UnsafeScript("; ".join(problems))


def _first_problem(check) -> str | None:
    """Run a deploy-time check: None when it passes, else the reason in one line."""
    try:
        check()
    except SyntaxError as exc:
        return f"syntax error on line {exc.lineno}: {exc.msg}"
    except UnsafeScript as exc:
        return str(exc)
    except RecursionError:
        return "the expression is nested too deeply"
    return None


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by RestrictedPython."""

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        with run_budget() as budget, budget.running():
            scope = restricted_globals(budget)
            scope.update(external_context or {})
            scope.update(context)
            return eval(code, scope)  # noqa: S307 - restricted bytecode

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        with run_budget() as budget, budget.running():
            scope = restricted_globals(budget)
            scope.update(external_context or {})
            protected = set(scope)
            scope.update(context)
            exec(code, scope)  # noqa: S102 - restricted bytecode
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key.startswith("_") or callable(value) or (key in protected and key not in context):
                continue
            problem = None if value is context.get(key) else unstorable(budget.expanded(value))
            if problem:
                raise UnsafeScript(f"{key} holds a {problem}, which a case cannot store: keep text, numbers, "
                                   f"true/false, lists and objects (e.g. str(...) or .isoformat())")
            context[key] = value
        return True

    def call_service(self, context, **kwargs):  # pragma: no cover - CaseScriptEngine overrides it
        raise NotImplementedError


class CaseScriptEngine(PythonScriptEngine):
    """Script engine for one case step; service tasks go to `service_caller(task, operator, params)`.

    Overrides `call_service` because SpiffWorkflow 3.2.0's own version hides the handler's error
    behind `NameError: name 'script' is not defined`.
    """

    def __init__(self, service_caller):
        super().__init__(environment=RestrictedEnvironment())
        self.service_caller = service_caller

    def evaluate(self, task, expression, external_context=None):
        """A timer's expression is read the way engine.clocks.timer_values says (bare ISO text as it is,
        `timedelta(...)` and dates turned into the ISO text SpiffWorkflow's timers want)."""
        event = getattr(task.task_spec, "event_definition", None)
        kind = timer_values.kind_of(event)
        if kind is None or expression != event.expression:
            return super().evaluate(task, expression, external_context)
        bare = timer_values.literal(expression)
        value = bare if bare is not None else super().evaluate(task, expression, external_context)
        try:
            return timer_values.normalise(kind, value, spiff_timer.datetime.now(_datetime.timezone.utc))
        except timer_values.TimerValueError as exc:
            raise WorkflowTaskException(f"timer {task.task_spec.bpmn_id}: {exc}", task=task, exception=exc) from exc

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            return self.service_caller(task, operation_name, params)
        except WorkflowTaskException:
            raise
        except Exception as err:
            raise WorkflowTaskException(f"{operation_name}: {err}", task=task, exception=err) from err
