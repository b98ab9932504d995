"""How much one case step costs: file complaints and complete their review, through the facade.

Prints milliseconds per filing and per completed task, and the stored size of a case, on
SQLite in a temporary folder (or DATABASE_URL). Not a test: a number to watch.

    python bench/step_cost.py [cases]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/ is not installed

from engine import EngineSettings, build_engine  # noqa: E402
from engine.clock import FakeClock  # noqa: E402
from engine.crypto import generate_key
from handlers import build_registry
from tests.factories import intake_data


def main(count: int) -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    clock = FakeClock(datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    engine = build_engine(EngineSettings(url, generate_key(), clock=clock, fast_hashing=True), build_registry())
    engine.deploy_bundled_processes()
    engine.seed_demo_users("pw")
    intake = engine.actor_for("intake1")

    started = time.perf_counter()
    ids = [engine.file_case(intake, "complaint", intake_data("complaint"))["id"] for _ in range(count)]
    filing = (time.perf_counter() - started) / count

    started = time.perf_counter()
    for case_id in ids:
        task = engine.get_case(intake, case_id)["open_tasks"][0]
        engine.claim_task(intake, task["id"])
        engine.complete_task(intake, task["id"], {"decision": "accept", "complex": False})
    completing = (time.perf_counter() - started) / count

    with engine.ctx.db.transaction() as session:
        size = session.execute(text("select avg(length(workflow_json)) from complaint_case")).scalar()
        spec = session.execute(text("select avg(length(spec_json)) from process_definition")).scalar()
    print(f"cases: {count}  database: {engine.ctx.db.engine.dialect.name}")
    print(f"file a complaint (validate, start, run to review, save): {filing * 1000:.1f} ms")
    print(f"claim + complete review (restore, run, save): {completing * 1000:.1f} ms")
    print(f"stored workflow per case: {size / 1024:.1f} KiB (spec, stored once per version: {spec / 1024:.1f} KiB)")
    engine.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
