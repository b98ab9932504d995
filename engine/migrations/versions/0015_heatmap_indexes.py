"""Indexes for the process heatmap (issue 9): a version's cases' completed elements, read per case
and kind from the audit events, and their inbox rows' waits per element; the reports' cases of a type filed in a period.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_case_kind_element', 'audit_event', ['case_id', 'kind', 'element_id', 'at'])
    op.create_index('ix_task_case_element_done', 'human_task', ['case_id', 'element_id', 'completed_at'])
    op.create_index('ix_case_type_created', 'complaint_case', ['type_key', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_case_type_created', table_name='complaint_case')
    op.drop_index('ix_task_case_element_done', table_name='human_task')
    op.drop_index('ix_audit_case_kind_element', table_name='audit_event')
