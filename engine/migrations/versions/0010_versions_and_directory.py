"""Versions and the staff directory: each deployed version keeps its comment and content hash;
a type's `latest` pointer (which version new cases start on) can be rolled back and forward;
cases are found per version for migration; groups carry display names in Chinese and English.

Revision ID: 0010
Revises: 0009
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), server_default='', nullable=False))

    _hash_deployed_files()

    op.create_table('process_type',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    # every type deployed so far starts on its newest version
    op.execute("INSERT INTO process_type (key, latest_version, updated_by, updated_at) "
               "SELECT key, MAX(version), 'system', MAX(deployed_at) FROM process_definition GROUP BY key")

    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.create_index('ix_case_definition_status_id', ['definition_id', 'status', 'id'], unique=False)

    with op.batch_alter_table('staff_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), server_default='', nullable=False))
    op.execute("UPDATE staff_group SET name_zh = label, name_en = label")


def _hash_deployed_files() -> None:
    """Versions deployed before this revision get their content hash (as engine.diagrams.definitions.content_hash)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, files FROM process_definition")).all()
    for row_id, files in rows:
        files = json.loads(files) if isinstance(files, str) else (files or {})
        digest = hashlib.sha256()
        for name in sorted(files):
            content = files[name].encode("utf-8")
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(content).hexdigest().encode() + b"\n")
        connection.execute(sa.text("UPDATE process_definition SET sha256 = :h WHERE id = :i"),
                           {"h": digest.hexdigest(), "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table('staff_group', schema=None) as batch_op:
        batch_op.drop_column('name_en')
        batch_op.drop_column('name_zh')
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_definition_status_id')
    op.drop_table('process_type')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('sha256')
        batch_op.drop_column('comment')
