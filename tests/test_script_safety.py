"""Diagrams run no arbitrary Python: no imports, no files, no dunder attributes, no while loops.

Checked twice: a deployment containing such code is refused with the element and line named,
and the restricted environment refuses it at run time too (for code that only fails there).
"""
from __future__ import annotations

import pytest

from engine.errors import DeploymentInvalid, WorkflowFailed
from engine.diagrams.script_env import RestrictedEnvironment, UnsafeScript
from tests.test_engine_core import core, simple_files  # noqa: F401,F811 - fixture

SCRIPT_TASK = """<bpmn:scriptTask id="evil" name="Evil"><bpmn:incoming>f1</bpmn:incoming>
<bpmn:outgoing>f1b</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1b" sourceRef="evil" targetRef="stamp" />"""


def with_script(script: str) -> dict[str, bytes]:
    """The small diagram with a script task between start and stamp."""
    files = simple_files()
    bpmn = files["simple.bpmn"].decode()
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="stamp" />',
                        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="evil" />' + SCRIPT_TASK.format(script=script))
    bpmn = bpmn.replace("<bpmn:incoming>f1</bpmn:incoming>\n      <bpmn:outgoing>f2</bpmn:outgoing>",
                        "<bpmn:incoming>f1b</bpmn:incoming>\n      <bpmn:outgoing>f2</bpmn:outgoing>")
    bpmn = bpmn.replace("<bpmn:flowNodeRef>stamp</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>stamp</bpmn:flowNodeRef><bpmn:flowNodeRef>evil</bpmn:flowNodeRef>")
    return {**files, "simple.bpmn": bpmn.encode()}


@pytest.mark.parametrize("script, reason", [
    ("import os", "imports are not allowed"),
    ("from os import path", "imports are not allowed"),
    ("x = __import__('os')", "starts with \"_\""),
    ("x = ().__class__.__base__.__subclasses__()", "__class__"),
    ("while True:\n    pass", "while loops are not allowed"),
])
def test_unsafe_scripts_are_refused_at_deploy(core, script, reason):
    with pytest.raises(DeploymentInvalid) as err:
        core.deploy(core.actor_for("admin1"), "evil", "Evil", with_script(script), True)
    problem = next(p for p in err.value.details if p["element"] == "evil")
    assert reason in problem["message"] and problem["line"]


def test_a_safe_script_deploys_and_runs(core):
    core.deploy(core.actor_for("admin1"), "scripted", "Scripted", with_script("words = len(subject.split())"), True)
    case = core.file_case(None, "scripted", {"subject": "two words"})
    assert core.get_case(core.actor_for("auditor1"), case["id"])["data"]["words"] == 2


def test_opening_a_file_is_refused_at_deploy_naming_the_script(core):
    # (it used to deploy and fail at run time: deploy now refuses a name the environment lacks)
    with pytest.raises(DeploymentInvalid) as err:
        core.deploy(core.actor_for("admin1"), "reader", "Reader", with_script("secret = open('/etc/passwd').read()"), True)
    problem = next(p for p in err.value.details if p["element"] == "evil")
    assert "'open' is not available" in problem["message"]
    assert core.list_process_types() and "reader" not in {t["key"] for t in core.list_process_types()}


@pytest.mark.parametrize("expression", [
    "getattr((), '__class__')", "open('/etc/passwd')", "eval('1')", "exec('x=1')", "globals()",
])
def test_the_environment_refuses_escapes_at_run_time(expression):
    env = RestrictedEnvironment()
    with pytest.raises((UnsafeScript, NameError, AttributeError, TypeError)):
        env.evaluate(expression, {})


def test_conditions_see_case_data_but_not_builtins_beyond_the_whitelist():
    env = RestrictedEnvironment()
    assert env.evaluate('decision == "accept" and len(reason) < 5', {"decision": "accept", "reason": "ok"})
    with pytest.raises(UnsafeScript):
        env.evaluate("__builtins__", {})
