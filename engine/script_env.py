"""The restricted environment in which diagrams' Python runs.

Scripts, gateway conditions, DMN cells, timer expressions and service-task parameters are
compiled with RestrictedPython: no imports, no `open`, no dunder attributes, no `exec`/`eval`.
The default SpiffWorkflow environment runs them with full builtins, so an uploaded diagram
could read files; a builtins whitelist alone is escapable through `().__class__.__subclasses__()`.
"""
from __future__ import annotations

import ast
import datetime as _datetime
import json
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_EXTRA_BUILTINS = {name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
                   for name in ("min", "max", "sum", "len", "sorted", "any", "all", "list", "dict", "set",
                                "enumerate", "abs", "round", "map", "filter", "reversed", "tuple")}


class UnsafeScript(ValueError):
    """A script or expression uses something the restricted environment forbids."""


def _write_guard(obj):
    """Allow writes to plain containers only (lists, dicts, sets), never to objects' attributes."""
    if isinstance(obj, (list, dict, set)):
        return obj
    raise UnsafeScript("scripts may only change lists, dicts and sets")


def _inplace(op: str, x, y):
    ops = {"+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
           "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b}
    if op not in ops:
        raise UnsafeScript(f"operator {op} is not allowed")
    return ops[op](x, y)


def restricted_globals() -> dict:
    """Fresh globals for one evaluation: safe builtins and the guards RestrictedPython needs."""
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard,
        "_inplacevar_": _inplace,
        "date": _datetime.date,
        "timedelta": _datetime.timedelta,
        "json_dumps": json.dumps,
    }


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    result = compile_restricted_eval(expression.strip())
    if result.errors or result.code is None:
        raise UnsafeScript("; ".join(result.errors) or f"cannot compile {expression!r}")
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    result = compile_restricted_exec(script)
    if result.errors or result.code is None:
        raise UnsafeScript("; ".join(result.errors) or "cannot compile script")
    return result.code


def check_expression(expression: str) -> str | None:
    """Deploy-time check: None when the expression compiles in the restricted environment."""
    return _first_problem(lambda: (ast.parse(expression.strip(), mode="eval"), compile_expression(expression)))


def check_script(script: str) -> str | None:
    """Deploy-time check for scripts: no imports, no `while` loops (unbounded CPU), restricted compile."""
    def check() -> None:
        for node in ast.walk(ast.parse(script)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                raise UnsafeScript(f"line {node.lineno}: imports are not allowed in diagram scripts")
            if isinstance(node, ast.While):
                raise UnsafeScript(f"line {node.lineno}: while loops are not allowed in diagram scripts")
        compile_script(script)

    return _first_problem(check)


def _first_problem(check) -> str | None:
    """Run a deploy-time check: None when it passes, else the reason in one line."""
    try:
        check()
    except SyntaxError as exc:
        return f"syntax error on line {exc.lineno}: {exc.msg}"
    except UnsafeScript as exc:
        return str(exc)
    return None


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by RestrictedPython."""

    def evaluate(self, expression, context, external_context=None):
        scope = restricted_globals()
        scope.update(external_context or {})
        scope.update(context)
        return eval(compile_expression(expression), scope)  # noqa: S307 - restricted bytecode

    def execute(self, script, context, external_context=None):
        scope = restricted_globals()
        scope.update(external_context or {})
        protected = set(scope)
        scope.update(context)
        exec(compile_script(script), scope)  # noqa: S102 - restricted bytecode
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key.startswith("_") or callable(value) or (key in protected and key not in context):
                continue
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

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            return self.service_caller(task, operation_name, params)
        except WorkflowTaskException:
            raise
        except Exception as err:
            raise WorkflowTaskException(f"{operation_name}: {err}", task=task, exception=err) from err
