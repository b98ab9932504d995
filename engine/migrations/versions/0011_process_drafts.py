"""Drafts of process types saved from the browser modeler (one per type key).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'process_draft',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('saved_by', sa.String(length=80), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('process_draft')
