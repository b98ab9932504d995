"""Schedulers as real processes on one database: two at once fire each timer exactly once
(PostgreSQL only: SQLite serves one process at a time anyway), and a scheduler killed in the
middle of firing loses nothing — its transaction rolls back and the next run fires what was due.
Processes are awaited by their exit, never by sleeping."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_FIELD_KEY
from tests.test_clock_support import at, notes

ROOT = Path(__file__).resolve().parent.parent
SCHEDULER = """
import os, sys
from datetime import datetime
from engine import EngineSettings, build_engine
from handlers import build_registry
url, key, as_of, mode = sys.argv[1:5]
engine = build_engine(EngineSettings(database_url=url, field_key=key, fast_hashing=True), build_registry(), migrate=False)
if mode == "die":
    from engine import steps
    original = steps.CaseStep.finish
    def finish_then_die(self):
        original(self)
        os._exit(9)  # killed after the workflow moved, before the transaction commits
    steps.CaseStep.finish = finish_then_die
print(engine.fire_timers(datetime.fromisoformat(as_of)))
"""


def scheduler(engine, instant, mode="fire") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    url = engine.ctx.db.engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-c", SCHEDULER, url, TEST_FIELD_KEY, instant.isoformat(), mode],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def accepted_cases(engine, clock, make_case, work, n):
    clock.set(at(2026, 11, 2, 9))
    ids = []
    for _ in range(n):
        case_id = make_case(by="intake1")["id"]
        work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
        ids.append(case_id)
    return ids


def fired_events(engine) -> int:
    with engine.ctx.db.transaction() as s:
        return s.execute(text("select count(*) from audit_event where kind = 'timer_fired'")).scalar()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="two concurrent schedulers need PostgreSQL (FOR UPDATE SKIP LOCKED)")
def test_two_scheduler_processes_fire_each_timer_exactly_once(engine, clock, make_case, work):
    ids = accepted_cases(engine, clock, make_case, work, 8)
    instant = at(2026, 11, 10, 0, 0)  # every reminder and every escalation is due
    first, second = scheduler(engine, instant), scheduler(engine, instant)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert sum(int(out.strip().splitlines()[-1]) for out, _ in outputs) == 16
    assert fired_events(engine) == 16
    for case_id in ids:
        assert [k for k, _, _ in notes(engine, case_id)] == ["reminder", "escalation"]
        assert sorted(t["element_id"] for t in engine.get_case(engine.actor_for("auditor1"), case_id)["open_tasks"]) \
            == ["investigate", "supervise"]


def test_a_killed_scheduler_loses_nothing(engine, clock, make_case, work):
    ids = accepted_cases(engine, clock, make_case, work, 2)
    instant = at(2026, 11, 10, 0, 0)
    killed = scheduler(engine, instant, mode="die")
    killed.communicate(timeout=300)
    assert killed.returncode == 9
    assert fired_events(engine) == 0 and all(notes(engine, c) == [] for c in ids)
    survivor = scheduler(engine, instant)
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    assert int(out.strip().splitlines()[-1]) == 4 and fired_events(engine) == 4
    assert all([k for k, _, _ in notes(engine, c)] == ["reminder", "escalation"] for c in ids)


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="row locks held by another connection need PostgreSQL")
def test_a_case_held_elsewhere_is_passed_over_whole_then_fired_whole(engine, clock, make_case, work):
    """While another connection holds a case (a scheduler firing it, a user's step), a sweep
    neither waits nor fires part of its timers; the next sweep fires them all, each once."""
    held, free = accepted_cases(engine, clock, make_case, work, 2)
    instant = at(2026, 11, 10, 0, 0)
    with engine.ctx.db.engine.connect() as other:
        other.execute(text("select id from complaint_case where id = :id for update"), {"id": held})
        assert engine.fire_timers(instant) == 2  # only the free case's reminder and escalation
        other.rollback()
    assert notes(engine, held) == []
    assert engine.get_case(engine.actor_for("auditor1"), held)["failure"] is None  # passed over, not failed
    assert engine.fire_timers(instant) == 2
    assert fired_events(engine) == 4
    assert [k for k, _, _ in notes(engine, held)] == ["reminder", "escalation"]
