"""Public forms carry a one-time token (a double submit files one case) and hold the receipt
sealed until it was shown.

Revision ID: 0014
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'filing_token',
        sa.Column('token_hash', sa.String(64), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('complaint_case.id'), nullable=True),
        sa.Column('receipt_sealed', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_filing_token_created_at', 'filing_token', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_filing_token_created_at', 'filing_token')
    op.drop_table('filing_token')
