"""The inbox's indexes hold open tasks only: a person's held tasks and a group's free ones (no
holder, no named candidates) in due order and newest first, as partial indexes. At 100,000 cases the
inbox walked a whole-table index past 20,000 tasks that named their candidates, or the primary key
past 230,000 rows for a person holding no undated task; the partial indexes reach the page at once
and stay small however many tasks are finished. The alert sweep's indexes likewise hold only the
reminders and escalations still to send.

Revision ID: 0018
Revises: 0016
"""
from alembic import op
from sqlalchemy import text

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

OPEN = "state = 'ready'"
FREE_FOR_GROUP = "state = 'ready' AND assignee IS NULL AND candidates IS NULL"
REMINDER_PENDING = "state = 'ready' AND reminded_at IS NULL AND remind_at IS NOT NULL"
ESCALATION_PENDING = "state = 'ready' AND escalated_at IS NULL AND escalate_at IS NOT NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(name, 'human_task', columns, postgresql_where=text(where), sqlite_where=text(where))


def upgrade() -> None:
    for name in ('ix_task_available', 'ix_task_mine', 'ix_task_available_newest', 'ix_task_remind',
                 'ix_task_escalate'):
        op.drop_index(name, table_name='human_task')
    _partial('ix_task_remind', ['remind_at', 'id'], REMINDER_PENDING)
    _partial('ix_task_escalate', ['escalate_at', 'id'], ESCALATION_PENDING)
    _partial('ix_task_available', ['candidate_group', 'due_at', 'id'], FREE_FOR_GROUP)
    _partial('ix_task_mine', ['assignee', 'due_at', 'id'], OPEN)
    _partial('ix_task_available_newest', ['candidate_group', 'id'], FREE_FOR_GROUP)


def downgrade() -> None:
    for name in ('ix_task_available', 'ix_task_mine', 'ix_task_available_newest', 'ix_task_remind',
                 'ix_task_escalate'):
        op.drop_index(name, table_name='human_task')
    op.create_index('ix_task_remind', 'human_task', ['state', 'reminded_at', 'remind_at'])
    op.create_index('ix_task_escalate', 'human_task', ['state', 'escalated_at', 'escalate_at'])
    op.create_index('ix_task_available', 'human_task', ['state', 'candidate_group', 'assignee', 'due_at', 'id'])
    op.create_index('ix_task_mine', 'human_task', ['assignee', 'state', 'due_at', 'id'])
    op.create_index('ix_task_available_newest', 'human_task', ['candidate_group', 'assignee', 'state', 'id'])
