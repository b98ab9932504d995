"""The heatmap's and the reports' statements walk indexes (no full scan of the audit, inbox or case
tables), on SQLite and, when DATABASE_URL is set, PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from test_query_plans import captured, pg_plan, sqlite_plan
from test_reports import driven  # noqa: F401  (the fixture)


def plans_of(engine, call) -> list[str]:
    db = engine.ctx.db.engine
    with captured(db) as seen:
        call()
    statements = [(s, p) for s, p in seen if "audit_event" in s or "human_task" in s or "complaint_case" in s]
    assert statements
    with db.connect() as connection:
        sqlite = db.dialect.name == "sqlite"
        if not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        plans = [(sqlite_plan if sqlite else pg_plan)(connection, s, p) for s, p in statements]
        connection.rollback()
    return plans


def assert_no_full_scan(plans: list[str]) -> None:
    for plan in plans:
        for table in ("audit_event", "human_task", "complaint_case"):
            assert f"Seq Scan on {table}" not in plan, plan
            for line in plan.splitlines():  # SQLite: a SCAN of a table is fine only through an index
                if f"SCAN {table}" in line:
                    assert "USING" in line and "INDEX" in line, plan


def test_heatmap_statements_use_indexes(engine, make_case, work):
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    plans = plans_of(engine, lambda: engine.heatmap(engine.actor_for("auditor1"), "complaint", 1))
    joined = "\n".join(plans)
    if engine.ctx.db.engine.dialect.name == "sqlite":
        assert "ix_audit_case_kind_element" in joined and "ix_task_case_element_done" in joined, joined
    else:  # PostgreSQL picks among the case indexes by its statistics; an index all the same
        assert all("Index" in plan for plan in plans), joined
    assert_no_full_scan(plans)


def test_report_statements_use_indexes(engine, driven):  # noqa: F811
    t0 = driven["t0"]
    plans = plans_of(engine, lambda: engine.reports(engine.actor_for("auditor1"), t0, t0 + timedelta(days=60)))
    if engine.ctx.db.engine.dialect.name == "sqlite":
        assert "ix_case_type_created" in "\n".join(plans)
    assert_no_full_scan(plans)
