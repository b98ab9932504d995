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
