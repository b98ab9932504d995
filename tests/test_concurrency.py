"""Two staff claiming one task, two saves of one case: one wins, the other gets a clean 409.

On PostgreSQL (DATABASE_URL set) these run with real concurrent connections; on SQLite the
write lock serializes them, and the outcome must be the same.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from engine.errors import Conflict
from engine.steps import CaseStep
from engine.models import Case, ProcessDefinition
from tests.test_engine_core import core  # noqa: F401 - the small-diagram engine fixture
from tests.factories import every


def _race(calls):
    """Run the calls at the same moment in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_claiming_one_task_one_wins(core, attempt):
    case = core.file_case(None, "simple", {"subject": f"race {attempt}"})
    i1, i2 = core.actor_for("intake1"), core.actor_for("intake2")
    task_id = core.get_case(i1, case["id"])["open_tasks"][0]["id"]
    results = _race([lambda: core.claim_task(i1, task_id), lambda: core.claim_task(i2, task_id)])
    wins = [r for r in results if isinstance(r, dict)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    holder = core.get_case(i1, case["id"])["open_tasks"][0]["assignee"]
    assert holder == wins[0]["assignee"]
    claims = [e for e in every(core.case_history, core.actor_for("auditor1"), case["id"])
              if e["kind"] == "task_claimed"]
    assert len(claims) == 1


def test_a_stale_save_of_a_case_is_refused_not_overwritten(core):
    case = core.file_case(None, "simple", {"subject": "stale"})
    with pytest.raises(Exception) as err, core.ctx.db.transaction() as session:
        row = session.get(Case, case["id"])
        definition = session.get(ProcessDefinition, row.definition_id)
        step = CaseStep(core.ctx, session, row, definition, "intake1", core.now())
        step.restore()
        with core.ctx.db.engine.connect() as other:  # another worker saves the case meanwhile
            if core.ctx.db.is_sqlite:
                pytest.skip("SQLite holds one writer at a time: the stale window cannot open")
            other.execute(text("update complaint_case set version = version + 1 where id = :i"), {"i": row.id})
            other.commit()
        row.data = {"overwritten": True}
        session.flush()
    assert "StaleDataError" in type(err.value).__name__
    detail = core.get_case(core.actor_for("auditor1"), case["id"])
    assert "overwritten" not in detail["data"]


def test_concurrent_completions_of_one_task_complete_it_once(core):
    case = core.file_case(None, "simple", {"subject": "double"})
    i1 = core.actor_for("intake1")
    task_id = core.get_case(i1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(i1, task_id)
    results = _race([lambda: core.complete_task(i1, task_id, {"ok": True}),
                     lambda: core.complete_task(i1, task_id, {"ok": True})])
    assert sum(isinstance(r, dict) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    events = every(core.case_history, core.actor_for("auditor1"), case["id"])
    assert [e["kind"] for e in events].count("task_completed") == 1
    assert core.verify_audit()["ok"]


@pytest.mark.parametrize("attempt", range(2))
def test_concurrent_steps_on_different_cases_both_land_on_one_chain(core, attempt):
    """Each step appends its events at commit onto the head as it then stands: neither waits for
    the other's whole step, neither fails, and the chain stays one valid line."""
    i1, i2 = core.actor_for("intake1"), core.actor_for("intake2")
    cases = [core.file_case(None, "simple", {"subject": f"parallel {attempt} {n}"}) for n in range(2)]
    tasks = [core.get_case(i1, c["id"])["open_tasks"][0]["id"] for c in cases]
    core.claim_task(i1, tasks[0])
    core.claim_task(i2, tasks[1])
    results = _race([lambda: core.complete_task(i1, tasks[0], {"ok": True}),
                     lambda: core.complete_task(i2, tasks[1], {"ok": False})])
    assert [r["case_status"] for r in results] == ["closed", "rejected"], results
    assert core.verify_audit()["ok"]
    auditor = core.actor_for("auditor1")
    for case in cases:
        kinds = [e["kind"] for e in core.case_history(auditor, case["id"], limit=100)["items"]]
        assert kinds.count("task_completed") == 1
