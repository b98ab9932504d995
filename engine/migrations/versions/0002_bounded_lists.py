"""bounded lists and sweeps: named task candidates as rows, stored alert times, list indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

- `human_task.candidates` held JSON 'null' where it meant SQL NULL: fixed, and mirrored into
  `task_candidate` rows so the inbox decides eligibility in SQL.
- `human_task.remind_at` / `escalate_at`: when the scheduler sends 催办 / 督办, backfilled for
  open tasks (the calendar's time zone is the configured one; Asia/Shanghai unless the
  migration is given `timezone` in the Alembic config attributes).
- Indexes in the order the lists page (keyset) and the sweeps select.
"""
import sqlalchemy as sa
import sqlalchemy.orm
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_candidate',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], ),
    sa.PrimaryKeyConstraint('task_id', 'username')
    )
    op.create_index('ix_task_candidate_user', 'task_candidate', ['username', 'task_id'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_task_state_group')
        batch_op.drop_index('ix_task_assignee_state')
        batch_op.create_index('ix_task_available', ['state', 'candidate_group', 'assignee', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_task_mine', ['assignee', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_task_remind', ['state', 'reminded_at', 'remind_at'], unique=False)
        batch_op.create_index('ix_task_escalate', ['state', 'escalated_at', 'escalate_at'], unique=False)

    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_case_type_key')
        batch_op.drop_index('ix_complaint_case_status')
        batch_op.create_index('ix_case_type_status_id', ['type_key', 'status', 'id'], unique=False)
        batch_op.create_index('ix_case_type_id', ['type_key', 'id'], unique=False)
        batch_op.create_index('ix_case_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.drop_index('ix_case_viewer_case_id')
        batch_op.drop_index('ix_case_viewer_group_name')
        batch_op.drop_index('ix_case_viewer_username')
        batch_op.create_index('ix_viewer_case_group', ['case_id', 'group_name'], unique=False)
        batch_op.create_index('ix_viewer_case_user', ['case_id', 'username'], unique=False)
        batch_op.create_index('ix_viewer_group_case', ['group_name', 'case_id'], unique=False)
        batch_op.create_index('ix_viewer_user_case', ['username', 'case_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_group_name')
        batch_op.drop_index('ix_notification_username')
        batch_op.create_index('ix_notification_user', ['username', 'read_at', 'id'], unique=False)
        batch_op.create_index('ix_notification_group', ['group_name', 'read_at', 'id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_case_id')
        batch_op.create_index('ix_audit_case_seq', ['case_id', 'seq'], unique=False)

    _backfill()


def _backfill() -> None:
    """JSON 'null' to SQL NULL, candidate rows, and alert times of open tasks (Core with the
    columns of this revision only, so later revisions' columns never get in the way)."""
    from alembic import context

    from engine.clocks import calendar_store, task_alerts
    from engine.models import Stamp

    bind = op.get_bind()
    task = sa.table('human_task', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                    sa.column('element_id', sa.String), sa.column('state', sa.String),
                    sa.column('candidates', sa.JSON(none_as_null=True)), sa.column('due_at', Stamp),
                    sa.column('remind_at', Stamp), sa.column('escalate_at', Stamp))
    case = sa.table('complaint_case', sa.column('id', sa.Integer), sa.column('definition_id', sa.Integer))
    definition = sa.table('process_definition', sa.column('id', sa.Integer), sa.column('summary', sa.JSON))
    candidate = sa.table('task_candidate', sa.column('task_id', sa.Integer), sa.column('username', sa.String))

    bind.execute(sa.update(task).where(sa.cast(task.c.candidates, sa.Text) == 'null').values(candidates=None))
    rows = bind.execute(sa.select(task.c.id, task.c.candidates).where(task.c.candidates.is_not(None))).all()
    pairs = [{"task_id": tid, "username": u} for tid, names in rows for u in dict.fromkeys(names or []) if u]
    if pairs:
        bind.execute(sa.insert(candidate), pairs)

    zone = context.config.attributes.get("timezone", "Asia/Shanghai")
    with sa.orm.Session(bind=bind) as session:
        calendar = calendar_store.load(session, zone)
    drawn_by_definition = {}
    open_tasks = bind.execute(sa.select(task.c.id, task.c.element_id, task.c.due_at, case.c.definition_id)
                              .join(case, case.c.id == task.c.case_id)
                              .where(task.c.state == "ready", task.c.due_at.is_not(None))).all()
    for task_id, element_id, due, definition_id in open_tasks:
        if definition_id not in drawn_by_definition:
            summary = bind.scalar(sa.select(definition.c.summary).where(definition.c.id == definition_id)) or {}
            drawn_by_definition[definition_id] = summary.get("drawn_alerts") or {}
        drawn = drawn_by_definition[definition_id].get(element_id) or []
        bind.execute(sa.update(task).where(task.c.id == task_id).values(
            remind_at=None if "reminder" in drawn else task_alerts.remind_time(calendar, due),
            escalate_at=None if "escalation" in drawn else due))


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_case_seq')
        batch_op.create_index('ix_audit_event_case_id', ['case_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_group')
        batch_op.drop_index('ix_notification_user')
        batch_op.create_index('ix_notification_username', ['username'], unique=False)
        batch_op.create_index('ix_notification_group_name', ['group_name'], unique=False)

    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.drop_index('ix_viewer_user_case')
        batch_op.drop_index('ix_viewer_group_case')
        batch_op.drop_index('ix_viewer_case_user')
        batch_op.drop_index('ix_viewer_case_group')
        batch_op.create_index('ix_case_viewer_username', ['username'], unique=False)
        batch_op.create_index('ix_case_viewer_group_name', ['group_name'], unique=False)
        batch_op.create_index('ix_case_viewer_case_id', ['case_id'], unique=False)

    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_status_id')
        batch_op.drop_index('ix_case_type_id')
        batch_op.drop_index('ix_case_type_status_id')
        batch_op.create_index('ix_complaint_case_status', ['status'], unique=False)
        batch_op.create_index('ix_complaint_case_type_key', ['type_key'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_escalate')
        batch_op.drop_index('ix_task_remind')
        batch_op.drop_index('ix_task_mine')
        batch_op.drop_index('ix_task_available')
        batch_op.create_index('ix_task_assignee_state', ['assignee', 'state'], unique=False)
        batch_op.create_index('ix_task_state_group', ['state', 'candidate_group'], unique=False)
        batch_op.drop_column('escalate_at')
        batch_op.drop_column('remind_at')

    op.drop_index('ix_task_candidate_user', table_name='task_candidate')
    op.drop_table('task_candidate')
