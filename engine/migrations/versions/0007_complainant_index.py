"""An index for a tender complainant's earlier cases (type and the organisation's name in the
case data), so filing a tender complaint reads that complainant's cases only, however many cases
the database holds.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_case_type_complainant ON complaint_case (type_key, (data ->> 'complainant_name'))")
    else:
        op.execute("CREATE INDEX ix_case_type_complainant ON complaint_case "
                   "(type_key, json_extract(data, '$.complainant_name'))")


def downgrade() -> None:
    op.execute('DROP INDEX ix_case_type_complainant')
