"""A lean timer sweep: due timers of many cases fire in one transaction per batch, each case
still stepped through its workflow in its own savepoint, with a pinned number of statements
per case (no per-timer claim, case read, calendar read, chain-head read or commit)."""
from __future__ import annotations

from sqlalchemy import event, func, select

from engine.models import Timer

# Pinned, per case whose reminder fires: savepoint, save the case, the notice for the department,
# its members' addresses, the fired timer row, the step's audit events, release the savepoint.
STATEMENTS_PER_CASE = 7
# Per batch: find the due cases, claim their timers (two on SQLite, three on PostgreSQL with the
# case locks), read the cases, their inbox rows, the audit chain head and the calendar stamp (one
# statement); then one more look finding nothing due.
STATEMENTS_PER_BATCH = 8


def test_due_timers_of_many_cases_fire_in_one_transaction_with_few_statements(engine, make_case, work):
    cases = [make_case("complaint", by="intake1")["id"] for _ in range(4)]
    for case_id in cases:
        work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    with engine.ctx.db.transaction() as s:
        first_due = s.scalar(select(func.min(Timer.due_at)).where(Timer.case_id.in_(cases), Timer.fired_at.is_(None)))
        due = s.scalars(select(Timer).where(Timer.case_id.in_(cases), Timer.fired_at.is_(None),
                                            Timer.due_at <= first_due)).all()
    assert len(due) == len(cases)  # each case's first reminder, due at the same moment
    sent, transactions = [], []

    def note(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("BEGIN"):
            transactions.append(statement)
        elif not statement.lstrip().upper().startswith(("COMMIT", "ROLLBACK")):
            sent.append(statement)

    db = engine.ctx.db.engine
    begins = []
    event.listen(db, "before_cursor_execute", note)
    event.listen(db, "begin", lambda conn: begins.append(1))
    try:
        fired = engine.fire_timers(first_due)
    finally:
        event.remove(db, "before_cursor_execute", note)
    assert fired == len(cases)
    assert len(begins) == 2  # the batch, then the look that finds nothing left
    assert len(sent) <= STATEMENTS_PER_BATCH + STATEMENTS_PER_CASE * len(cases), "\n".join(sent)
    with engine.ctx.db.transaction() as s:
        rows = s.scalars(select(Timer).where(Timer.id.in_([t.id for t in due]))).all()
        assert all(r.fired_at is not None and r.claimed_by for r in rows)
    auditor = engine.actor_for("auditor1")
    for case_id in cases:
        kinds = [e["kind"] for e in engine.case_history(auditor, case_id, limit=100)["items"]]
        assert kinds.count("timer_fired") == 1
    assert engine.verify_audit()["ok"]
