"""A lean step: few statements per claim and completion, the definition's spec parsed once per
engine, rows written only where they changed, a step's audit events in one insert."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select, text

from engine import EngineSettings, build_engine
from engine.oversight import audit
from engine.diagrams import definitions
from engine.handler_api import HandlerRegistry
from engine.models import CaseViewer
from tests.conftest import TEST_FIELD_KEY
from tests.test_engine_core import core, simple_files, stamp  # noqa: F401 - the small-diagram engine fixture

# Pinned: claim = read task+case+audit head, claim the row, append the event (moving the head);
# complete = read, save the case, the task row, the cancelled timer, append the events.
CLAIM_STATEMENTS, COMPLETE_STATEMENTS = 3, 5


def appends(sent: list[str]) -> list[str]:
    """The statements that write audit events (on PostgreSQL headed by the head's move)."""
    return [s for s in sent if "INSERT INTO AUDIT_EVENT" in " ".join(s.upper().split())]


@contextmanager
def statements(engine):
    """The SQL statements the engine sends inside the block (transaction control left out)."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine.ctx.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.ctx.db.engine, "before_cursor_execute", note)


def test_claim_and_complete_send_few_statements_and_one_audit_insert_each(core):
    case = core.file_case(None, "simple", {"subject": "lean"})
    intake1 = core.actor_for("intake1")
    task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
    with statements(core) as claim:
        core.claim_task(intake1, task_id)
    with statements(core) as complete:
        result = core.complete_task(intake1, task_id, {"ok": True})
    assert result["case_status"] == "closed"
    assert len(claim) <= CLAIM_STATEMENTS, claim
    assert len(complete) <= COMPLETE_STATEMENTS, complete
    for sent in (claim, complete):
        assert len(appends(sent)) == 1
        assert not [s for s in sent if s.lstrip().upper().startswith("UPDATE COUNTER")]  # no head move of its own
    kinds = [e["kind"] for e in core.case_history(core.actor_for("auditor1"), case["id"], limit=100)["items"]]
    assert kinds.count("task_claimed") == 1 and kinds.count("task_completed") == 1 and "element_completed" in kinds
    assert core.verify_audit()["ok"]


def test_the_spec_is_parsed_once_per_engine_not_at_every_step(core, monkeypatch):
    parsed = []
    real = definitions.parse_spec
    monkeypatch.setattr(definitions, "parse_spec", lambda spec_json: parsed.append(1) or real(spec_json))
    intake1 = core.actor_for("intake1")
    for n in range(2):
        case = core.file_case(None, "simple", {"subject": f"cached {n}"})
        task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
        core.claim_task(intake1, task_id)
        core.complete_task(intake1, task_id, {"ok": n == 0})
    assert len(parsed) == 1
    statuses = [c["status"] for c in core.list_cases(core.actor_for("auditor1"))["items"]]
    assert sorted(statuses) == ["closed", "rejected"]


def test_engines_on_different_databases_keep_their_own_definitions(tmp_path, clock):
    """Two engines in one process (as tests and multi-tenant hosts have) each see their own
    version 1, though both rows have id 1."""
    registry = HandlerRegistry()
    registry.register("test.stamp", stamp)
    files = simple_files()
    renamed = {**files, "simple.bpmn": files["simple.bpmn"].replace(b'name="Check"', b'name="Verify"')}
    names = []
    for folder, bundle in (("a", files), ("b", renamed)):
        (tmp_path / folder).mkdir()
        engine = build_engine(EngineSettings(database_url=f"sqlite:///{tmp_path / folder / 'db.sqlite'}",
                                             field_key=TEST_FIELD_KEY, clock=clock, fast_hashing=True), registry)
        try:
            engine.seed_demo_users("pw")
            engine.deploy(engine.actor_for("admin1"), "simple", "Simple", bundle, True)
            case = engine.file_case(None, "simple", {"subject": folder})
            names.append(engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"][0]["name"])
        finally:
            engine.close()
    assert names == ["Check", "Verify"]


def test_a_step_that_changes_nobody_s_view_leaves_the_viewer_rows_alone(core):
    case = core.file_case(None, "simple", {"subject": "viewers"})
    intake1 = core.actor_for("intake1")

    def viewer_rows():
        with core.ctx.db.transaction() as session:
            return sorted(session.execute(select(CaseViewer.id, CaseViewer.group_name, CaseViewer.username)
                                          .where(CaseViewer.case_id == case["id"])).all())

    before = viewer_rows()
    assert "intake" in {group for _, group, _ in before}
    task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(intake1, task_id)
    core.complete_task(intake1, task_id, {"ok": True})
    assert viewer_rows() == before  # same rows, same ids: nothing deleted and re-inserted
    assert core.get_case(intake1, case["id"])["status"] == "closed"


def test_events_chained_onto_a_head_another_transaction_moved_still_verify(core):
    """The head a transaction saw first may be stale by its commit: the one-statement append then
    writes nothing, and the events are chained onto the head as it is, read again under lock."""
    core.file_case(None, "simple", {"subject": "stale head"})
    with statements(core) as sent, core.ctx.db.transaction() as session:
        audit.note_head(session, 0, audit.GENESIS)  # as if read before every event so far was written
        audit.record(session, at=core.now(), actor="system", kind="note", detail={"n": 1})
        audit.record(session, at=core.now(), actor="system", kind="note", detail={"n": 2})
    assert len(appends(sent)) == 2  # the guess missed, the append after the locked read landed
    assert "FOR UPDATE" in " ".join(sent).upper() or core.ctx.db.is_sqlite
    result = core.verify_audit()
    assert result["ok"], result
    with core.ctx.db.transaction() as session:
        last = session.execute(text("select kind from audit_event order by seq desc limit 2")).scalars().all()
        head = session.execute(text("select value from counter where name = 'audit_head'")).scalar_one()
    assert last == ["note", "note"] and head == result["events"]


def test_deleting_the_newest_event_is_detected(core):
    """The head always names the last event: removing the tail of the log breaks verification."""
    case = core.file_case(None, "simple", {"subject": "tail"})
    intake1 = core.actor_for("intake1")
    task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(intake1, task_id)
    intact = core.verify_audit()
    assert intact["ok"], intact
    with core.ctx.db.transaction() as session:
        session.execute(text("delete from audit_event where seq = (select max(seq) from audit_event)"))
    broken = core.verify_audit()
    assert not broken["ok"] and broken["first_bad_seq"] == intact["events"]


def test_events_recorded_are_readable_in_the_same_transaction(core):
    """The history read inside the transaction that recorded an event shows it (an export lists
    its own export event)."""
    case = core.file_case(None, "simple", {"subject": "same transaction"})
    with core.ctx.db.transaction() as session:
        audit.record(session, at=core.now(), actor="system", kind="note", case_id=case["id"], detail={})
        kinds = [e["kind"] for e in audit.case_events(session, case["id"])]
    assert kinds[-1] == "note"
    assert core.verify_audit()["ok"]


def test_a_claimed_task_shows_its_holder_without_a_reload(core):
    case = core.file_case(None, "simple", {"subject": "holder"})
    intake1 = core.actor_for("intake1")
    task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
    claimed = core.claim_task(intake1, task_id)
    assert claimed["assignee"] == "intake1"
    assert [t["id"] for t in core.list_tasks(intake1, "mine")["items"]] == [task_id]


# Pinned, completing the shipped complaint's review (accepted): read task + case + head; the
# handler's conflict-of-interest look-up; save the case; the complainant's notice and its mail;
# the completed inbox row; the investigation's row; whether its group has an eligible member; its
# two timers (one insert); the lanes' viewer change (one delete, one insert); the events (one insert).
REVIEW_STATEMENTS = 12


def test_completing_the_complaint_review_writes_each_row_once_and_reads_no_viewer_or_search_row(engine, make_case):
    case = make_case("complaint", by="intake1")
    intake1 = engine.actor_for("intake1")
    task_id = next(t["id"] for t in engine.get_case(intake1, case["id"])["open_tasks"] if t["element_id"] == "review")
    engine.claim_task(intake1, task_id)

    def search_row():
        with engine.ctx.db.transaction() as session:
            return session.execute(text("select * from case_search where case_id = :c"), {"c": case["id"]}).all()

    searchable = search_row()
    assert searchable
    with statements(engine) as sent:
        result = engine.complete_task(intake1, task_id, {"decision": "accept", "reason": "受理", "complex": False})
    assert [t["element_id"] for t in result["next_tasks"]] == ["investigate"]
    flat = [" ".join(s.split()).upper() for s in sent]
    assert len(sent) <= REVIEW_STATEMENTS, "\n".join(flat)
    assert not [s for s in flat if "CASE_SEARCH" in s]  # the searchable text did not change: not rewritten
    assert not [s for s in flat if s.startswith("SELECT CASE_VIEWER.")]  # the rows before are known from the case
    assert len([s for s in flat if s.startswith("UPDATE HUMAN_TASK")]) == 1  # the completed row, once
    assert len([s for s in flat if s.startswith("UPDATE COMPLAINT_CASE")]) == 1
    assert len(appends(sent)) == 1
    assert search_row() == searchable
    with engine.ctx.db.transaction() as session:
        groups = set(session.scalars(select(CaseViewer.group_name).where(CaseViewer.case_id == case["id"])))
    assert result["next_tasks"][0]["candidate_group"] in groups  # the lanes' change was written
    assert engine.verify_audit()["ok"]


def test_a_case_saved_meanwhile_refuses_the_step_whole(core, monkeypatch):
    """The case row is written under its version counter: a save that finds another version
    (another transaction saved the case after this one read it) is a 409, and nothing of the step
    stays."""
    from engine import steps
    from engine.errors import Conflict

    case = core.file_case(None, "simple", {"subject": "raced"})
    intake1 = core.actor_for("intake1")
    task_id = core.get_case(intake1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(intake1, task_id)
    real = steps.CaseStep.restore

    def restore_then_someone_saves(self):
        real(self)
        self.session.execute(text("update complaint_case set version = version + 1 where id = :c"), {"c": self.case.id})

    monkeypatch.setattr(steps.CaseStep, "restore", restore_then_someone_saves)
    try:
        core.complete_task(intake1, task_id, {"ok": True})
        raise AssertionError("the stale save went through")
    except Conflict:
        pass
    monkeypatch.setattr(steps.CaseStep, "restore", real)
    again = core.get_case(intake1, case["id"])
    assert again["status"] == "open" and [t["id"] for t in again["open_tasks"]] == [task_id]
    assert core.complete_task(intake1, task_id, {"ok": True})["case_status"] == "closed"
    assert core.verify_audit()["ok"]
