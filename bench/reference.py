"""The reference every bench number is compared with: SpiffWorkflow's own stateless cycle on the
same diagram, in memory. A stored case at its review is restored from its instance JSON (the spec
parsed once, as any process holding a diagram keeps it), the review completed, the engine run to
the next wait (the real service handlers, with in-memory lookups) and the instance serialized to
JSON again. Nothing is read from or written to a database.
"""
from __future__ import annotations

import json
import time
from uuid import UUID

import sqlalchemy as sa

from engine.handler_api import HandlerContext
from engine.lookups import DatabaseLookups
from engine.runtime import clock_at, serializer
from engine.diagrams.script_env import CaseScriptEngine

REVIEW = {"decision": "accept", "reason": "受理", "complex": False}


class MemoryLookups(DatabaseLookups):
    """The handlers' lookups without a database."""

    def __init__(self, calendar, now, zone):
        super().__init__(None, calendar, now, zone)

    def next_number(self, prefix):
        return f"{prefix}-0"

    def group_members(self, group):
        return []

    def user_groups(self, username):
        return []

    def find_username(self, name):
        return None

    def conflicted_users(self, parties):
        return []

    def complainant_history(self, organisation, case_type):
        return []


def reference_cycle(engine, case_id: int, rounds: int) -> list[float]:
    """Seconds of each of `rounds` in-memory cycles completing the review of this stored case."""
    ctx = engine.ctx
    with ctx.db.engine.connect() as conn:
        instance, definition_id, type_key = conn.execute(sa.text(
            "SELECT workflow_json, definition_id, type_key FROM complaint_case WHERE id = :c"), {"c": case_id}).one()
        spiff_id = conn.execute(sa.text("SELECT spiff_id FROM human_task WHERE case_id = :c AND state = 'ready'"),
                                {"c": case_id}).scalar_one()
        specs = json.loads(conn.execute(sa.text("SELECT spec_json FROM process_definition WHERE id = :d"),
                                        {"d": definition_id}).scalar_one())
    s = serializer()
    spec = s.from_dict(specs["spec"])
    subprocess_specs = {name: s.from_dict(sub) for name, sub in specs["subprocess_specs"].items()}
    lookups = MemoryLookups(ctx.calendar, ctx.now(), ctx.zone)

    def call_service(task, operator, params):
        context = HandlerContext(case_id=case_id, case_type=type_key, number="CP-0", data=dict(task.data),
                                 now=ctx.now(), filed_by="intake1", lookups=lookups)
        result = ctx.registry.get(operator)(context, params) or {}
        task.data.update(result.get("data") or {})
        task.data.update(result.get("deadlines") or {})
        return "{}"

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        dct = json.loads(instance)
        dct.update(spec=spec, subprocess_specs=dict(subprocess_specs))
        workflow = s.from_dict(dct)
        workflow.script_engine = CaseScriptEngine(call_service)
        with clock_at(ctx.now()):
            ready = workflow.get_task_from_id(UUID(spiff_id))
            ready.set_data(**REVIEW)
            ready.run()
            workflow.do_engine_steps()
        out = s.to_dict(workflow)
        out.pop("spec", None), out.pop("subprocess_specs", None)  # the stored instance carries no spec
        json.dumps(out)
        times.append(time.perf_counter() - started)
    return times
