"""engine.rows: a step's rows written with Core statements built once, the objects left exactly
as an ORM flush leaves them."""
from __future__ import annotations

from sqlalchemy import text

from engine import rows
from engine.models import Case, Task
from tests.test_engine_core import core, simple_files, stamp  # noqa: F401 - the small-diagram engine fixture


def test_an_inserted_row_leaves_unset_columns_null_and_is_persistent(core):
    case_id = core.file_case(None, "simple", {"subject": "rows"})["id"]
    with core.ctx.db.transaction() as session:
        case = session.get(Case, case_id)
        task = Task(case_id=case.id, spiff_id="x-1", element_id="extra", name="Extra", state="ready",
                    created_at=core.now())
        rows.add(session, task)
        assert task.id is not None and task in session and task not in session.dirty and task not in session.new
        task.assignee = "intake1"  # later changes reach the database through the ORM as usual
    with core.ctx.db.transaction() as session:
        row = session.execute(text("select candidates is null, assignee from human_task where id = :i"),
                              {"i": task.id}).one()
    assert tuple(row) == (1, "intake1")  # SQL NULL, not the JSON text 'null'


def test_a_saved_row_is_clean_and_a_rolled_back_savepoint_takes_its_values_back(core):
    case_id = core.file_case(None, "simple", {"subject": "before"})["id"]
    with core.ctx.db.transaction() as session:
        case = session.get(Case, case_id)
        version = case.version
        savepoint = session.begin_nested()
        case.category = "changed"
        rows.save(session, case)
        assert case.version == version + 1 and case not in session.dirty
        savepoint.rollback()
        assert case.category != "changed" and case.version == version  # expired, read again
        case.category = "kept"
        rows.save(session, case)
    with core.ctx.db.transaction() as session:
        assert session.execute(text("select category, version from complaint_case where id = :i"),
                               {"i": case_id}).one() == ("kept", version + 1)
