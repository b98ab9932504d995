"""Tasks stuck without an eligible holder: when each became stuck, and the index the admins' list
walks (rows with a stuck time, oldest first; partial, so it holds only those).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stuck_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_task_stuck', ['stuck_since', 'id'], unique=False,
                              postgresql_where=sa.text('stuck_since IS NOT NULL'),
                              sqlite_where=sa.text('stuck_since IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_stuck')
        batch_op.drop_column('stuck_since')
