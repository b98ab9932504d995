"""The audit chain's head follows every inserted event on SQLite (a trigger), so appending the
events of a transaction is one statement there; an event that does not chain onto the head is
refused by the database.

PostgreSQL gets no trigger: there the app moves the head and inserts the events in one statement
(a data-modifying WITH), which waits for a concurrent writer's lock and then misses cleanly.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

HEAD_FOLLOWS = """
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit event does not chain onto the audit head')
     WHERE NOT EXISTS (SELECT 1 FROM counter
                        WHERE name = 'audit_head' AND value = NEW.seq - 1 AND text = NEW.prev_hash);
    UPDATE counter SET value = NEW.seq, text = NEW.hash WHERE name = 'audit_head';
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(HEAD_FOLLOWS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS audit_head_follows')
