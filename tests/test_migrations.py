"""The Alembic migrations create exactly the schema the models describe (no create_all anywhere)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.models import Base


# Search indexes the ORM cannot describe: SQLite's FTS5 table (and its shadow tables) and
# PostgreSQL's expression GIN index over case_search.doc (migration 0014).
NOT_MODELLED = ("case_search_fts", "ix_case_search_doc")


def modelled(obj, name, type_, reflected, compare_to) -> bool:
    return not (name or "").startswith(NOT_MODELLED)


def test_migrated_schema_matches_the_models(engine):
    with engine.ctx.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": modelled})
        assert compare_metadata(context, Base.metadata) == []


def test_0016_backfills_search_rows_of_cases_filed_before_0014(engine, make_case):
    """Cases without a case_search row (filed before 0014) get the very row filing writes, in
    batches; search then finds them by words and full names, still within need-to-know."""
    from alembic import command
    from sqlalchemy import text

    from engine.db import alembic_config
    from tests.conftest import TEST_FIELD_KEY

    complaint = make_case("complaint")
    other = make_case("complaint", subject="电费账单错误", description="十月电费重复收取。", complainant_name="李四")
    tender = make_case("tender_complaint", by="clerk1")
    report = make_case("internal_report")
    db = engine.ctx.db
    with db.engine.begin() as conn:
        filed = {r.case_id: tuple(r) for r in conn.execute(text("SELECT * FROM case_search"))}
        conn.execute(text("DELETE FROM case_search WHERE case_id <> :keep"), {"keep": other["id"]})
        conn.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    intake1 = engine.actor_for("intake1")
    assert engine.list_cases(intake1, q="包装")["items"] == []  # the old case is not found

    cfg = alembic_config(db.url)
    cfg.attributes.update(field_key=TEST_FIELD_KEY, search_backfill_batch=2)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with db.engine.connect() as conn:
        assert {r.case_id: tuple(r) for r in conn.execute(text("SELECT * FROM case_search"))} == filed

    for q in ("包装", "两条卷烟", "王小明"):
        assert [c["number"] for c in engine.list_cases(intake1, q=q)["items"]] == [complaint["number"]], q
    clerk1 = engine.actor_for("clerk1")
    for q in ("污水处理", "李工", "021-55550000"):
        assert [c["number"] for c in engine.list_cases(clerk1, q=q)["items"]] == [tender["number"]], q
    assert engine.list_cases(intake1, q="回扣")["items"] == []  # need-to-know holds
    integ1 = engine.actor_for("integ1")
    assert [c["number"] for c in engine.list_cases(integ1, q="回扣")["items"]] == [report["number"]]
    assert engine.list_cases(integ1, q="赵举报")["items"] == []  # a reporter's name is never a key
