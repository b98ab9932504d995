"""The audit log across cases, filtered by who, what and when: indexes for its pages.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_actor_seq', ['actor', 'seq'], unique=False)
        batch_op.create_index('ix_audit_kind_seq', ['kind', 'seq'], unique=False)
        batch_op.create_index('ix_audit_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_at')
        batch_op.drop_index('ix_audit_kind_seq')
        batch_op.drop_index('ix_audit_actor_seq')
