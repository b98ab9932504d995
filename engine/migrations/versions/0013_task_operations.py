"""Task operations (issue 11): who delegated a task (委派), who copied a colleague in (抄送),
comments on cases and tasks, deputies (and which task a deputy holds for whom), follow-up dates, saved inbox filters.

Revision ID: 0013
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegated_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('covering_for', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('follow_up_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('copied_by', sa.String(length=80), nullable=True))
    op.create_table(
        'case_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('visibility', sa.String(length=20), nullable=False),
        sa.Column('mentions', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_comment_case', 'case_comment', ['case_id', 'id'], unique=False)
    op.create_table(
        'deputy',
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('deputy', sa.String(length=80), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied', sa.Boolean(), nullable=False),
        sa.Column('set_by', sa.String(length=80), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_index('ix_deputy_period', 'deputy', ['applied', 'starts_at', 'ends_at'], unique=False)
    op.create_table(
        'saved_filter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('criteria', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_saved_filter_user', 'saved_filter', ['username', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_saved_filter_user', table_name='saved_filter')
    op.drop_table('saved_filter')
    op.drop_index('ix_deputy_period', table_name='deputy')
    op.drop_table('deputy')
    op.drop_index('ix_comment_case', table_name='case_comment')
    op.drop_table('case_comment')
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.drop_column('copied_by')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('follow_up_at')
        batch_op.drop_column('covering_for')
        batch_op.drop_column('delegated_by')
