"""accounts: revocable sign-ins (browser sessions beside API tokens), shared attempt counters,
the TOTP second factor

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='api', nullable=False))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_token_username'), ['username'], unique=False)

    op.create_table('rate_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_hit', schema=None) as batch_op:
        batch_op.create_index('ix_rate_hit_bucket_key_at', ['bucket', 'key', 'at'], unique=False)
        batch_op.create_index('ix_rate_hit_bucket_at', ['bucket', 'at'], unique=False)


def downgrade() -> None:
    op.drop_table('rate_hit')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_username'))
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('kind')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled')
        batch_op.drop_column('totp_sealed')
