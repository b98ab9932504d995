"""How much one case step costs, beside SpiffWorkflow's own in-memory cycle on the same diagram.

Files complaints, then claims and completes their review through the facade, and prints the
median milliseconds and SQL statements of each part, with SpiffWorkflow's stateless cycle as the
reference: the case's stored instance JSON deserialized (the spec parsed once, as any process
holding a diagram keeps it), the review completed, the engine run to the next wait (the real
service handlers, with in-memory lookups), the instance serialized back to JSON. On SQLite in a
temporary folder, or on DATABASE_URL. Not a test: numbers to watch.

    python bench/step_cost.py [cases] [--profile]
"""
from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/ is not installed

from engine import EngineSettings, build_engine  # noqa: E402
from engine.clocks.clock import FakeClock  # noqa: E402
from engine.confidential.crypto import generate_key  # noqa: E402
from engine.handler_api import HandlerContext  # noqa: E402
from bench.reference import MemoryLookups  # noqa: E402
from engine.models import Case, ProcessDefinition, Task  # noqa: E402
from engine.runtime import clock_at, serializer  # noqa: E402
from engine.diagrams.script_env import CaseScriptEngine  # noqa: E402
from handlers import build_registry  # noqa: E402
from tests.factories import intake_data  # noqa: E402

REVIEW = {"decision": "accept", "complex": False}


class StatementCounter:
    """Counts the SQL statements an engine sends while `counting` is on."""

    def __init__(self, sa_engine):
        self.count, self.counting = 0, False
        event.listen(sa_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        if self.counting:
            self.count += 1

    def measure(self, call):
        """(seconds, CPU seconds of this process, statements) of one call."""
        self.count, self.counting = 0, True
        started, cpu = time.perf_counter(), time.process_time()
        try:
            call()
        finally:
            self.counting = False
        return time.perf_counter() - started, time.process_time() - cpu, self.count


def reference_cycle(engine, case_id: int, rounds: int) -> float:
    """Median (seconds, CPU seconds) of SpiffWorkflow's own stateless cycle on this case's review, through its
    public serializer API: the spec parsed once and reused; per round the instance JSON is
    deserialized, the task completed, the engine run, the instance serialized to JSON again."""
    ctx = engine.ctx
    with ctx.db.transaction() as session:
        case = session.get(Case, case_id)
        task = session.scalars(select(Task).where(Task.case_id == case_id, Task.state == "ready")).one()
        instance, spiff_id = case.workflow_json, UUID(task.spiff_id)
        specs = json.loads(session.get(ProcessDefinition, case.definition_id).spec_json)
    s = serializer()
    spec = s.from_dict(specs["spec"])
    subprocess_specs = {name: s.from_dict(sub) for name, sub in specs["subprocess_specs"].items()}
    lookups = MemoryLookups(ctx.calendar, ctx.now(), ctx.zone)

    def call_service(task, operator, params):
        context = HandlerContext(case_id=case_id, case_type="complaint", number="CP-0", data=dict(task.data),
                                 now=ctx.now(), filed_by="intake1", lookups=lookups)
        result = ctx.registry.get(operator)(context, params) or {}
        task.data.update(result.get("data") or {})
        task.data.update(result.get("deadlines") or {})
        return "{}"

    times, cpu_times = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        dct = json.loads(instance)
        dct.update(spec=spec, subprocess_specs=dict(subprocess_specs))  # restored as they are
        workflow = s.from_dict(dct)
        workflow.script_engine = CaseScriptEngine(call_service)
        with clock_at(ctx.now()):
            ready = workflow.get_task_from_id(spiff_id)
            ready.set_data(**REVIEW)
            ready.run()
            workflow.do_engine_steps()
        out = s.to_dict(workflow)
        out.pop("spec", None), out.pop("subprocess_specs", None)  # stored once per version, not per case
        json.dumps(out)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
    return statistics.median(times), statistics.median(cpu_times)


def main(count: int, profile: bool) -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    clock = FakeClock(datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    engine = build_engine(EngineSettings(url, generate_key(), clock=clock, fast_hashing=True), build_registry())
    if url.startswith("postgres"):
        with engine.ctx.db.engine.begin() as conn:  # a fresh schema each run
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.ctx.db.upgrade()
    engine.deploy_bundled_processes()
    engine.seed_demo_users("pw")
    intake = engine.actor_for("intake1")
    counter = StatementCounter(engine.ctx.db.engine)

    filings = [counter.measure(lambda: engine.file_case(intake, "complaint", intake_data("complaint")))
               for _ in range(count)]
    with engine.ctx.db.transaction() as session:
        pending = session.execute(select(Task.case_id, Task.id).where(Task.state == "ready", Task.element_id == "review")
                                  .order_by(Task.id)).all()
    reference = reference_cycle(engine, pending[0][0], max(count, 20))

    claims, completions, steps = [], [], []
    profiler = cProfile.Profile() if profile else None
    for _, task_id in pending:
        if profiler:
            profiler.enable()
        claims.append(counter.measure(lambda: engine.claim_task(intake, task_id)))
        completions.append(counter.measure(lambda: engine.complete_task(intake, task_id, dict(REVIEW))))
        if profiler:
            profiler.disable()
        steps.append(tuple(a + b for a, b in zip(claims[-1], completions[-1])))

    def row(name, samples):
        ms, cpu_ms = (statistics.median(s[i] for s in samples) * 1000 for i in (0, 1))
        statements = statistics.median(s[2] for s in samples)
        print(f"{name:<46} {ms:8.2f} ms {ms / (reference[0] * 1000):6.1f}x {cpu_ms:8.2f} ms "
              f"{cpu_ms / (reference[1] * 1000):6.1f}x {statements:6.0f}")

    print(f"cases: {count}  database: {engine.ctx.db.engine.dialect.name}  (median per call; CPU: this process)")
    print(f"{'':<46} {'wall':>11} {'ratio':>7} {'CPU':>11} {'ratio':>7} {'statements':>6}")
    print(f"{'SpiffWorkflow in-memory cycle (the reference)':<46} {reference[0] * 1000:8.2f} ms {1:6.1f}x "
          f"{reference[1] * 1000:8.2f} ms {1:6.1f}x")
    row("file a complaint (start, run to review, save)", filings)
    row("claim", claims)
    row("complete review (restore, run, save)", completions)
    row("claim + complete", steps)
    engine.close()
    if profiler:
        if os.environ.get("PROFILE_OUT"):  # for pstats browsing (callers, callees)
            profiler.dump_stats(os.environ["PROFILE_OUT"])
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler).sort_stats(order).print_stats(45)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 50, "--profile" in sys.argv)
