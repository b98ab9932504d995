"""The hot lists' query plans: each walks an index in its list order (no full scan of the big
tables, no sort of everything matching), on SQLite and, when DATABASE_URL is set, PostgreSQL;
and no list statement reads workflow or spec JSON."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from engine.paging import encode

LIST_CALLS = ("tasks available", "tasks mine", "cases", "cases by type", "cases by status", "cases next page",
              "notifications", "history", "alert sweep", "timer sweep", "audit log", "audit log by actor",
              "audit log by kind", "audit log by case", "stuck tasks")


@contextmanager
def captured(db_engine):
    """The SELECT statements (with their parameters) run inside the block."""
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db_engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db_engine, "before_cursor_execute", keep)


def run_lists(engine, case_id: int) -> dict[str, list]:
    """The statements of each hot list, by name."""
    intake1, auditor = engine.actor_for("intake1"), engine.actor_for("auditor1")
    calls = {
        "tasks available": lambda: engine.list_tasks(intake1, "available"),
        "tasks mine": lambda: engine.list_tasks(intake1, "mine"),
        "cases": lambda: engine.list_cases(intake1),
        "cases by type": lambda: engine.list_cases(intake1, type="complaint"),
        "cases by status": lambda: engine.list_cases(auditor, status="open"),
        "cases next page": lambda: engine.list_cases(intake1, cursor=encode("cases", (case_id + 1,))),
        "notifications": lambda: engine.list_notifications(intake1),
        "history": lambda: engine.case_history(auditor, case_id),
        "alert sweep": lambda: engine.send_task_alerts(engine.now()),
        "timer sweep": lambda: engine.fire_timers(engine.now()),
        "audit log": lambda: engine.audit_events(auditor),
        "audit log by actor": lambda: engine.audit_events(auditor, actor="intake1"),
        "audit log by kind": lambda: engine.audit_events(auditor, kind="task_created"),
        "audit log by case": lambda: engine.audit_events(auditor, case_id=case_id),
        "stuck tasks": lambda: engine.stuck_tasks(engine.actor_for("admin1")),
    }
    out = {}
    for name, call in calls.items():
        with captured(engine.ctx.db.engine) as seen:
            call()
        out[name] = [(s, p) for s, p in seen if _list_statement(s)]
    return out


def _list_statement(statement: str) -> bool:
    """The statements reading a list's tables (not the token, actor or calendar look-ups)."""
    lowered = statement.lower()
    return any(f"from {t}" in lowered or f"join {t}" in lowered
               for t in ("human_task", "complaint_case", "notification", "audit_event", "case_viewer", "timer"))


# What each list's statements must use: one of these indexes (SQLite names the rowid walk
# "INTEGER PRIMARY KEY" / a bare SCAN in rowid order with no sort).
EXPECTED = {
    "tasks available": ("ix_task_available", "ix_task_candidate_user"),
    "tasks mine": ("ix_task_mine",),
    "cases": ("PRIMARY KEY", "ix_viewer_group_case", "ix_viewer_user_case", "complaint_case_pkey", "SCAN complaint_case"),
    "cases by type": ("ix_case_type_id", "ix_case_type_status_id"),
    "cases by status": ("ix_case_status_id", "ix_case_type_status_id"),
    "cases next page": ("PRIMARY KEY", "complaint_case_pkey", "ix_viewer_group_case", "ix_viewer_user_case"),
    "notifications": ("ix_notification_user", "ix_notification_group"),
    "history": ("ix_audit_case_seq",),
    "alert sweep": ("ix_task_remind", "ix_task_escalate"),
    "timer sweep": ("ix_timer_due",),
    "audit log": ("PRIMARY KEY", "SCAN audit_event", "audit_event_pkey"),
    "audit log by actor": ("ix_audit_actor_seq",),
    "audit log by kind": ("ix_audit_kind_seq",),
    "audit log by case": ("ix_audit_case_seq",),
    "stuck tasks": ("ix_task_stuck",),
}


def sqlite_plan(connection, statement, params) -> str:
    return "\n".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))


def pg_plan(connection, statement, params) -> str:
    return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, params))


def test_hot_lists_walk_their_indexes(engine, make_case, work):
    cases = [make_case("complaint", by="intake1") for _ in range(3)]
    make_case("internal_report")
    statements = run_lists(engine, cases[-1]["id"])
    assert set(statements) == set(LIST_CALLS) and all(statements.values())
    db = engine.ctx.db.engine
    with db.connect() as connection:
        sqlite = db.dialect.name == "sqlite"
        if not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for name, found in statements.items():
            plans = [(sqlite_plan if sqlite else pg_plan)(connection, s, p) for s, p in found]
            joined = "\n".join(plans)
            assert any(index in joined for index in EXPECTED[name]), (name, joined)
            for plan in plans:
                if sqlite:
                    assert "SCAN human_task" not in plan and "SCAN timer" not in plan, (name, plan)
                    if name.startswith("audit log by"):
                        assert "SCAN audit_event" not in plan.replace("SCAN audit_event USING", ""), (name, plan)
                    if "SCAN complaint_case" in plan:  # only the newest-first walk of the rowid, never sorted
                        assert "USING" not in plan.split("SCAN complaint_case")[1].split("\n")[0], (name, plan)
                        assert "TEMP B-TREE FOR ORDER BY" not in plan, (name, plan)
                else:
                    assert not any(f"Seq Scan on {t}" in plan for t in ("human_task", "complaint_case", "timer")), (name, plan)
        connection.rollback()


def test_list_statements_never_read_workflow_or_definition_json(engine, make_case):
    case = make_case("complaint", by="intake1")
    statements = run_lists(engine, case["id"])
    for name in ("tasks available", "tasks mine", "cases", "cases by type", "cases next page", "notifications",
                 "history", "alert sweep", "audit log", "audit log by case", "stuck tasks"):
        for statement, _ in statements[name]:
            lowered = statement.lower()
            for column in ("workflow_json", "spec_json", "process_definition.summary", "process_definition.files"):
                assert column not in lowered, (name, statement)


def test_a_tender_complainants_earlier_cases_are_found_through_their_index(engine, make_case):
    """Filing a tender complaint looks up the organisation's earlier complaints (repeat baseless
    complaints, duplicates): that read seeks the (type, complainant name) index rather than
    walking every tender complaint, so it stays cheap at 100,000 cases."""
    make_case("tender_complaint", by="clerk1", complainant_name="甲公司")
    with captured(engine.ctx.db.engine) as seen:
        second = make_case("tender_complaint", by="clerk1", complainant_name="甲公司")
    assert second["id"]
    lookups = [(s, p) for s, p in seen if "complainant_name" in s and "from complaint_case" in s.lower()]
    assert lookups, "the filing looked up the complainant's earlier cases"
    db = engine.ctx.db.engine
    with db.connect() as connection:
        sqlite = db.dialect.name == "sqlite"
        if not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in lookups:
            plan = (sqlite_plan if sqlite else pg_plan)(connection, statement, params)
            assert "ix_case_type_complainant" in plan, plan
        connection.rollback()
