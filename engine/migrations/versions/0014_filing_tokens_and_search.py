"""Public forms carry a one-time token (a double submit files one case) and hold the receipt
sealed until it was shown. The inbox can be sorted newest first (two indexes). Staff attach files with a task's form
(attachment.uploaded_by). Cases get a search document: a GIN full-text index on PostgreSQL, an
FTS5 index (external content, kept in step by triggers) on SQLite.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
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
    with op.batch_alter_table('attachment') as batch_op:
        batch_op.add_column(sa.Column('uploaded_by', sa.String(80), nullable=True))
    op.create_index('ix_task_available_newest', 'human_task', ['candidate_group', 'assignee', 'state', 'id'])
    op.create_index('ix_task_mine_newest', 'human_task', ['assignee', 'state', 'id'])
    op.create_table(
        'case_search',
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('complaint_case.id'), primary_key=True),
        sa.Column('subject', sa.String(300), nullable=True),
        sa.Column('complainant', sa.String(200), nullable=True),
        sa.Column('doc', sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_case_search_doc ON case_search USING gin (to_tsvector('simple', doc))")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


SQLITE_FTS = [
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(doc, content='case_search', content_rowid='case_id')",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts(rowid, doc) VALUES (new.case_id, new.doc); END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, doc) VALUES ('delete', old.case_id, old.doc); END",
    "CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, doc) VALUES ('delete', old.case_id, old.doc); "
    "INSERT INTO case_search_fts(rowid, doc) VALUES (new.case_id, new.doc); END",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('case_search_ai', 'case_search_ad', 'case_search_au'):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE case_search_fts")
    op.drop_table('case_search')
    op.drop_index('ix_task_mine_newest', 'human_task')
    op.drop_index('ix_task_available_newest', 'human_task')
    with op.batch_alter_table('attachment') as batch_op:
        batch_op.drop_column('uploaded_by')
    op.drop_index('ix_filing_token_created_at', 'filing_token')
    op.drop_table('filing_token')
