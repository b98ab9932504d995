"""Task operations (issue 11): who delegated a task (委派), who copied a colleague in (抄送).

Revision ID: 0013
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegated_by', sa.String(length=80), nullable=True))
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('copied_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.drop_column('copied_by')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('delegated_by')
