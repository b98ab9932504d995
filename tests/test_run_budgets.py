"""Every run is bounded: a hostile diagram fails its own filing quickly with a 422 naming the
element and the limit, saves nothing, holds no lock; deploy refuses what it can see statically.

Wall times are measured (never slept): each refusal must come back well under a second.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from engine.diagrams import definitions, run_budget
from engine.errors import DeploymentInvalid
from engine.models import AuditEvent, Case
from engine.diagrams.run_budget import RunLimitExceeded, RunLimits
from engine.diagrams.script_env import RestrictedEnvironment
from tests.run_diagrams import (call_body, condition_body, decision_body, decision_table, diagram,
                                gateway_loop_body, script_body, script_then_condition_body, timer_body)
from tests.test_api_support import API, file_public

QUICK = 2.0  # seconds: a refusal must come back well inside this (alone each takes 0.03-0.4 s; the
             # margin is for a loaded machine — an unbounded run would never come back at all)


def deploy(engine, key: str, files: dict[str, bytes]) -> None:
    engine.deploy(engine.actor_for("admin1"), key, key.replace("_", " "), files, True)


def stored(engine) -> tuple[int, int]:
    """(cases, audit events) in the database."""
    with engine.ctx.db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def timed_filing(client, key: str):
    started = time.perf_counter()
    resp = client.post(f"{API}/public/reports", json={"type": key, "data": {"subject": "hello"}})
    return resp, time.perf_counter() - started


def assert_refused_quickly(client, engine, key: str, element: str, limit: str) -> None:
    """The filing answers 422 naming element and limit at once, leaves nothing behind, and the
    next ordinary filing (another type) goes through at once: no lock is left held."""
    before = stored(engine)
    resp, elapsed = timed_filing(client, key)
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["error"] == "workflow_failed" and body["details"]["element_id"] == element
    assert body["details"]["limit"] == limit and f"({limit})" in body["message"] and element in body["message"]
    assert elapsed < QUICK, f"refused after {elapsed:.2f} s"
    assert stored(engine) == before
    started = time.perf_counter()
    assert file_public(client).status_code == 201
    assert time.perf_counter() - started < QUICK


# --- at run time: what deploy cannot see ---------------------------------------------------------

@pytest.mark.parametrize("key, body, element, limit", [
    ("runaway_loop", script_body("work", "items = [1]\nfor item in items:\n    items.append(item)"), "work",
     "iterations"),
    ("huge_range", script_body("work", "for i in range(len(subject) * 10**12):\n    pass"), "work", "iterations"),
    ("huge_power", script_body("work", "n = len(subject) + 5\nx = n ** n ** n"), "work", "digits"),
    ("huge_string", script_body("work", "x = subject * (len(subject) * 10**10)"), "work", "length"),
    ("doubling", script_body("work", "s = subject\nfor i in range(64):\n    s = s + s"), "work", "length"),
    ("huge_condition", condition_body("decide", "subject * 10**12 == subject"), "decide", "length"),
    ("huge_timer", timer_body("wait", '"PT" + "1" * (len(subject) * 10**9) + "S"'), "wait", "length"),
    ("huge_decision", decision_body("route", "teams"), "route", "length"),
    ("gateway_loop", gateway_loop_body(), "spin", "engine_steps"),
])
def test_a_runaway_diagram_fails_its_filing_at_once_and_saves_nothing(client, engine, key, body, element, limit):
    extra = {"teams.dmn": decision_table("teams", entry="-", output="subject * (len(subject) * 10**10)")} \
        if "decision" in key else {}
    deploy(engine, key, diagram(key, body, **extra))
    assert_refused_quickly(client, engine, key, element, limit)


def test_a_script_that_runs_too_long_is_stopped_by_its_time_budget(client, engine, monkeypatch):
    monkeypatch.setattr(run_budget, "LIMITS", RunLimits(seconds=0.2))
    swallowing = ("def grow(n):\n    try:\n        return grow(n + 1) + grow(n + 1)\n"
                  "    except Exception:\n        return grow(n + 1)\nx = grow(len(subject))")
    deploy(engine, "slow_script", diagram("slow_script", script_body("work", swallowing)))
    assert_refused_quickly(client, engine, "slow_script", "work", "seconds")


def test_a_call_cycle_deploy_missed_still_stops_at_the_depth_limit(client, engine, monkeypatch):
    monkeypatch.setattr(definitions, "_check_calls", lambda trees: [])  # as if deploy could not see it
    deploy(engine, "recursive", diagram("recursive", call_body("recurse", "recursive")))
    assert_refused_quickly(client, engine, "recursive", "recurse", "call_depth")


def test_the_html_report_form_shows_the_refusal_as_a_page(client, engine):
    deploy(engine, "huge_power", diagram("huge_power", script_body("work", "n = len(subject) + 5\nx = n ** n ** n")))
    resp = client.post("/report/huge_power", data={"subject": "hello"})
    assert resp.status_code == 422 and "生成的数字位数超出上限" in resp.get_data(as_text=True)
    english = client.post("/report/huge_power?lang=en", data={"subject": "hello"}).get_data(as_text=True)
    assert "it made a number with more digits than allowed" in english and "Nothing was saved" in english


def test_an_ordinary_diagram_with_loops_and_formatting_still_runs(client, engine):
    script = ("words = subject.split()\nsizes = [len(w) for w in words]\ntotal = sum(sizes) + 2 ** 10\n"
              "label = f'{subject:>12}|' + '-' * 3 + '%05d' % total\njoined = ', '.join(w.upper() for w in words)\n"
              "padded = subject.ljust(8, '.')\nevens = [*range(0, 10, 2)]\nsquare = (lambda v: v * v)(len(words))\n"
              "evens[1:1] = [1]\nevens[0] = -1\ndel evens[-1]\nthird = round(10 / 3, 2)")
    deploy(engine, "ordinary", diagram("ordinary", script_body("work", script)))
    resp = client.post(f"{API}/public/reports", json={"type": "ordinary", "data": {"subject": "two words"}})
    assert resp.status_code == 201, resp.get_json()
    with engine.ctx.db.transaction() as session:
        data = session.scalars(select(Case).where(Case.type_key == "ordinary")).one().data
    assert data["total"] == 1032 and data["label"] == "   two words|---01032"
    assert data["joined"] == "TWO, WORDS" and data["padded"] == "two words"
    assert data["square"] == 4 and data["evens"] == [-1, 1, 2, 4, 6] and data["third"] == 3.33


# --- at deploy: what can be seen statically ----------------------------------------------------------

@pytest.mark.parametrize("script, limit", [
    ("x = 10**10**10", "digits"),
    ("x = 'x' * 10**10", "length"),
    ("for i in range(10**12):\n    pass", "iterations"),
    ("x = 1 << 10**9", "digits"),
])
def test_constants_over_the_limits_are_refused_at_deploy(engine, script, limit):
    started = time.perf_counter()
    with pytest.raises(DeploymentInvalid) as err:
        deploy(engine, "constant", diagram("constant", script_body("work", script)))
    assert time.perf_counter() - started < QUICK
    problem = next(p for p in err.value.details if p["element"] == "work")
    assert f"({limit})" in problem["message"] and problem["line"]


def test_deploy_lists_every_problem_at_once(engine):
    body = script_then_condition_body("x = 10**10**10\ny = 'x' * 10**10", "__import__('os')")
    with pytest.raises(DeploymentInvalid) as err:
        deploy(engine, "many", diagram("many", body))
    messages = {p["element"]: p["message"] for p in err.value.details}
    assert "__import__" in messages["guarded"]
    assert "line 1" in messages["work"] and "line 2" in messages["work"]


def test_a_process_calling_itself_is_refused_at_deploy(engine):
    with pytest.raises(DeploymentInvalid) as err:
        deploy(engine, "recursive", diagram("recursive", call_body("recurse", "recursive")))
    problem = next(p for p in err.value.details if p["element"] == "recurse")
    assert "may not call itself" in problem["message"]


@pytest.mark.parametrize("cell, text, reason", [
    ("output", "__import__('os').system('id')", "__import__"),
    ("entry", "().__class__.__base__", "__class__"),
    ("input", "open('/etc/passwd').read() and subject", "'open' is not available"),  # a name the environment lacks
    ("entry", "> 10**10**10", "digits"),
])
def test_dmn_cells_are_checked_at_deploy(engine, cell, text, reason):
    table = decision_table("teams", **{{"output": "output", "entry": "entry", "input": "input"}[cell]: text})
    files = diagram("decided", decision_body("route", "teams"), **{"teams.dmn": table})
    if reason is None:
        deploy(engine, "decided", files)
        return
    with pytest.raises(DeploymentInvalid) as err:
        deploy(engine, "decided", files)
    problem = next(p for p in err.value.details if p["file"] == "teams.dmn")
    assert reason in problem["message"] and problem["element"].startswith(("rule_1", "input_")) and problem["line"]


# --- the guards themselves -----------------------------------------------------------------------------

@pytest.mark.parametrize("script, limit", [
    ("n = 10\nx = n ** n ** n", "digits"),
    ("n = 10**8\nx = pow(10, n)", "digits"),
    ("n = 10**9\nx = 1 << n", "digits"),
    ("n = 10**10\nx = 'x' * n", "length"),
    ("n = 10**10\nx = [0] * n", "length"),
    ("n = 10**10\nx = f'{1:>{n}}'", "length"),
    ("n = '%' + str(10**10) + 'd'\nx = n % 1", "length"),
    ("n = 10**10\nx = 'a'.ljust(n)", "length"),
    ("s = 'a' * 1000\nx = s.replace('a', 'b' * 100000)", "length"),
    ("x = ','.join(['x' * 1000000] * 100)", "length"),
    ("s = 'ab'\nfor i in range(64):\n    s = f'{s}{s}'", "length"),
    ("l = [1]\nfor i in range(64):\n    l.extend(l)", "length"),
    ("l = [1]\nfor i in range(64):\n    l = [*l, *l]", "iterations"),
    ("l = [1]\nfor i in range(64):\n    l[:0] = l", "length"),
    ("n = 10**7\nx = round(5, -n)", "digits"),
    ("n = 10**9\nx = (1).to_bytes(n, 'big')", "length"),
    ("x = sum([[0] * 1000] * 1001, [])", "length"),
    ("x = ['x' * 1000000 for i in range(100)]", "memory"),
    ("x = json_dumps([1], indent=10**9)", "length"),
    ("x = json_dumps(list(range(99999)), separators=(' ' * 10**6, ':'))", "length"),
    ("l = [x for x in range(99999) for y in range(99999)]", "iterations"),
    ("x = [1]\nfor i in range(40):\n    x = [x, x]\ny = len(str(x))", "length"),  # tiny, 2**40 written out
    ("x = (1,)\nfor i in range(40):\n    x = (x, x)\ny = x == (x[0], x[1])", "length"),
    ("x = (1,)\nfor i in range(40):\n    x = (x, x)\ny = len({x: 1})", "length"),
    ("x = (1,)\nfor i in range(40):\n    x = (x, x)\nd = {}\nd[x] = 1", "length"),
    ("x = (1,)\nfor i in range(40):\n    x = (x, x)\ny = [].count(x)", "length"),
    ("x = (1,)\nfor i in range(40):\n    x = (x, x)\nl = [x, (x[0], x[1])]\nl.sort()", "length"),
    ("x = [1]\nfor i in range(40):\n    x = [x, x]\ny = f'{x}'", "length"),
    ("x = [1]\nfor i in range(40):\n    x = [x, x]", "length"),  # left for the case to store
    ("x = [[[0] * 1000] * 1000] * 1000", "length"),
    ("f = lambda g: g(g) + g(g)\nx = f(f)", None),  # RecursionError: ordinary, bounded by the stack
])
def test_each_guard_refuses_before_computing(script, limit):
    started = time.perf_counter()
    with pytest.raises(Exception) as err:
        RestrictedEnvironment().execute(script, {})
    assert time.perf_counter() - started < QUICK
    if limit:
        assert isinstance(err.value, RunLimitExceeded) and err.value.limit == limit, err.value
    else:
        assert isinstance(err.value, RecursionError)


def test_a_breach_cannot_be_swallowed_by_the_script():
    script = ("def spin(n):\n    try:\n        return spin(n + 1) + spin(n + 1)\n    except:\n        return spin(n)\n"
              "for i in range(3):\n    try:\n        x = 10 ** (10 ** 10 + i)\n    except Exception:\n        pass\n")
    with pytest.raises(RunLimitExceeded) as err:
        RestrictedEnvironment().execute(script, {})
    assert err.value.limit == "digits"


def test_scripts_cannot_raise_what_would_slip_past_every_handler():
    for name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"):
        with pytest.raises(NameError):
            RestrictedEnvironment().execute(f"raise {name}()", {})


# --- other failures of a diagram's code are the filing's 422 too, never a 500 -----------------------------

def boom(context, params):
    raise ValueError("the ledger service is down")


def bad_messages(context, params):
    return {"messages": [{"kind": "notice"}]}  # no body


def a_date(context, params):
    return {"data": {"when": context.now}}  # not plain JSON


def service_body(element: str, operator: str) -> str:
    return f"""<bpmn:serviceTask id="{element}" name="{element}"><bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="result"><spiffworkflow:parameters/>
        </spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
        <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing></bpmn:serviceTask>
      <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
      <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


@pytest.mark.parametrize("key, body, extra, element, reason", [
    ("failing_handler", service_body("post", "test.boom"), {}, "post", "the ledger service is down"),
    ("bad_messages", service_body("post", "test.bad_messages"), {}, "post", "'body'"),
    ("handler_date", service_body("post", "test.a_date"), {}, "post", "datetime"),
    ("script_date", script_body("work", "when = date(2026, 11, 2)"), {}, "work", "when holds a date"),
    ("script_generator", script_body("work", "pending = (w for w in subject)"), {}, "work", "generator"),
    ("decision_date", decision_body("route", "teams"),
     {"teams.dmn": decision_table("teams", entry="-", output="date(2026, 11, 2)")}, "route", "date"),
])
def test_a_failing_handler_or_unstorable_value_is_a_422_naming_the_element(client, engine, key, body, extra,
                                                                          element, reason):
    for operator, handler in (("test.boom", boom), ("test.bad_messages", bad_messages), ("test.a_date", a_date)):
        engine.ctx.registry.register(operator, handler)
    deploy(engine, key, diagram(key, body, **extra))
    before = stored(engine)
    resp, _ = timed_filing(client, key)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["details"]["element_id"] == element and reason in resp.get_json()["message"]
    assert stored(engine) == before
    assert file_public(client).status_code == 201


def test_a_list_grown_in_place_is_charged_by_its_growth_only():
    """90,000 small extends stay far under the memory budget (only what each adds counts)."""
    context = {}
    RestrictedEnvironment().execute("items = []\nfor i in range(90000):\n    items.extend([i])\n"
                                    "total = sum([[i] for i in range(500)], [])", context)
    assert len(context["items"]) == 90000 and len(context["total"]) == 500
