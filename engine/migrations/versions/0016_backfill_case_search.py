"""Cases filed before 0014 get their `case_search` row, so inbox search finds them too.

The row is built the way filing builds it (engine.search.search_row): the intake form's text
fields, the subject and complainant fields, keyed hashes of the personal values unless the case is
confidential. The cases are read in batches by id (keyset), so a database of many cases is never
held in memory at once; on SQLite the FTS5 triggers of 0014 index each inserted row. Personal
values need the field key: the engine passes it (`config.attributes["field_key"]`), the `alembic`
command reads FIELD_ENCRYPTION_KEY.

Revision ID: 0016
Revises: 0015
"""
import os

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BATCH = 500

case = sa.table('complaint_case', sa.column('id', sa.Integer), sa.column('definition_id', sa.Integer),
                sa.column('data', sa.JSON), sa.column('personal_sealed', sa.LargeBinary),
                sa.column('confidential', sa.Boolean), sa.column('personal_erased_at', sa.DateTime))
definition = sa.table('process_definition', sa.column('id', sa.Integer), sa.column('summary', sa.JSON))
case_search = sa.table('case_search', sa.column('case_id', sa.Integer), sa.column('subject', sa.String),
                       sa.column('complainant', sa.String), sa.column('doc', sa.Text))


def upgrade() -> None:
    from engine.confidential.crypto import FieldCipher
    from engine.forms import personal_fields
    from engine.search import search_row

    conn = op.get_bind()
    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    key = attributes.get("field_key") or os.environ.get("FIELD_ENCRYPTION_KEY")
    cipher = FieldCipher(key) if key else None
    batch = int(attributes.get("search_backfill_batch") or BATCH)
    intakes: dict[int, dict] = {}
    missing = ~sa.exists().where(case_search.c.case_id == case.c.id)
    last = 0
    while True:
        rows = conn.execute(sa.select(case).where(case.c.id > last, missing)
                            .order_by(case.c.id).limit(batch)).all()
        if not rows:
            return
        out = []
        for row in rows:
            if row.definition_id not in intakes:
                summary = conn.execute(sa.select(definition.c.summary)
                                       .where(definition.c.id == row.definition_id)).scalar()
                intakes[row.definition_id] = (summary or {}).get("intake_form") or {}
            intake = intakes[row.definition_id]
            props = intake.get("properties") or {}
            secret = set(personal_fields(intake))
            data = {k: v for k, v in (row.data or {}).items() if k in props and k not in secret}
            personal = {}
            if row.personal_sealed and not row.confidential and row.personal_erased_at is None:
                if cipher is None:
                    raise RuntimeError("migration 0016 indexes personal values for search: "
                                       "set FIELD_ENCRYPTION_KEY")
                personal = cipher.open(row.personal_sealed)
            built = search_row(cipher, bool(row.confidential), intake, data, personal)
            if row.personal_erased_at is not None:
                built["complainant"] = None
            out.append({"case_id": row.id, **built})
        conn.execute(case_search.insert(), out)
        last = rows[-1].id


def downgrade() -> None:
    pass  # the rows stay: they are what filing writes (0014's downgrade drops the table)
