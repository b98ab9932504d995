"""A lean timer sweep: due timers of many cases fire in one transaction per batch, each case
still stepped through its workflow in its own savepoint, with a pinned number of statements
per case (no per-timer claim, case read, calendar read, chain-head read or commit)."""
from __future__ import annotations

from sqlalchemy import event, func, select

from engine.models import Timer

# Pinned, per case whose reminder fires: savepoint, save the case, the notice for the department,
# its members' addresses, the fired timer row, release the savepoint.
STATEMENTS_PER_CASE = 6
# Per batch: find the due cases, claim their timers (two on SQLite, three on PostgreSQL with the
# case locks), read the cases, their inbox rows, the audit chain head and the calendar stamp (one
# statement), append every case's audit events (one statement); then one more look finding nothing due.
STATEMENTS_PER_BATCH = 9


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
    appends = [s for s in sent if "INSERT INTO AUDIT_EVENT" in " ".join(s.upper().split())]
    assert len(appends) == 1  # the batch's events in one statement, not one per case's savepoint
    with engine.ctx.db.transaction() as s:
        rows = s.scalars(select(Timer).where(Timer.id.in_([t.id for t in due]))).all()
        assert all(r.fired_at is not None and r.claimed_by for r in rows)
    auditor = engine.actor_for("auditor1")
    for case_id in cases:
        kinds = [e["kind"] for e in engine.case_history(auditor, case_id, limit=100)["items"]]
        assert kinds.count("timer_fired") == 1
    assert engine.verify_audit()["ok"]


def test_a_failing_case_in_a_batch_takes_back_only_its_own_events(engine, make_case, work, monkeypatch):
    """Events wait for the batch's commit: a case whose step fails leaves none of its own (its
    savepoint rolled back) and the other cases' events are written and chained."""
    from engine.clocks import timers
    from engine.errors import WorkflowFailed

    cases = [make_case("complaint", by="intake1")["id"] for _ in range(3)]
    for case_id in cases:
        work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    with engine.ctx.db.transaction() as s:
        first_due = s.scalar(select(func.min(Timer.due_at)).where(Timer.case_id.in_(cases), Timer.fired_at.is_(None)))
    real = timers.CaseStep.finish

    def finish(self):
        real(self)
        if self.case.id == cases[1]:
            self.audit("note", {"doomed": True})
            raise WorkflowFailed("this case fails after its rows were written", {})

    monkeypatch.setattr(timers.CaseStep, "finish", finish)
    assert engine.fire_timers(first_due) == 2
    auditor = engine.actor_for("auditor1")
    kinds = {c: [e["kind"] for e in engine.case_history(auditor, c, limit=100)["items"]] for c in cases}
    assert kinds[cases[0]].count("timer_fired") == 1 and kinds[cases[2]].count("timer_fired") == 1
    assert "timer_fired" not in kinds[cases[1]] and "note" not in kinds[cases[1]]
    assert "step_failed" in kinds[cases[1]]
    with engine.ctx.db.transaction() as s:
        unfired = s.scalars(select(Timer.case_id).where(Timer.case_id.in_(cases), Timer.fired_at.is_(None),
                                                        Timer.due_at <= first_due)).all()
    assert unfired == [cases[1]]
    assert engine.verify_audit()["ok"]
