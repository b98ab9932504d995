"""The Alembic migrations create exactly the schema the models describe (no create_all anywhere)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.models import Base


def test_migrated_schema_matches_the_models(engine):
    with engine.ctx.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
