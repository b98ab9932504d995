"""The database schema (SQLAlchemy 2). Alembic migrations under engine/migrations create it.

A case row holds the serialized workflow without its spec (the spec is stored once per
definition version), a version counter for optimistic locking, and the business fields that
lists filter on. Inbox rows (`task`) and timer rows (`timer`) are kept in step at every save,
so the inbox and the scheduler never deserialize a workflow.
"""
from __future__ import annotations

from datetime import datetime, timezone

from datetime import date

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        TypeDecorator, UniqueConstraint, and_, false, literal_column, text)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator):
    """Instants stored in UTC on every database. SQLite keeps no offset: an instant given with
    +08:00 would otherwise be stored as its wall time and read back 8 hours off."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


Stamp = UTCDateTime()


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[str] = mapped_column(String(200), default="staff")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)  # reminders by mail
    # The second factor (RFC 6238): the secret sealed with the field cipher; enabled once a code
    # confirmed it; the last time step used, so a code is accepted once.
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StaffGroup(Base):
    """A group of staff (a lane's tasks go to one); `name` is its key, shown as name_zh / name_en."""

    __tablename__ = "staff_group"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    name_zh: Mapped[str] = mapped_column(String(200), default="", server_default="")
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")


class GroupMember(Base):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_name", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(80), ForeignKey("staff_group.name"), index=True)
    username: Mapped[str] = mapped_column(String(80), ForeignKey("user_account.username"), index=True)


class ApiToken(Base):
    """A sign-in held on the server: an API bearer token (`kind` "api") or the key a browser
    session carries ("browser"). Only its SHA-256 is stored; signing out, a password change or
    disabling the user sets `revoked_at`."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(80), ForeignKey("user_account.username"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(Stamp)
    expires_at: Mapped[datetime] = mapped_column(Stamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)


class RateHit(Base):
    """One counted attempt (a failed sign-in, a receipt look-up) of a `key` (a username, a client
    address) in a `bucket`; throttles count the recent ones, so every worker shares the limits."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_key_at", "bucket", "key", "at"),
                      Index("ix_rate_hit_bucket_at", "bucket", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(Stamp)


class Conflict(Base):
    """A declared conflict of interest: this staff member must not handle cases involving `party`."""

    __tablename__ = "conflict_of_interest"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), ForeignKey("user_account.username"), index=True)
    party: Mapped[str] = mapped_column(String(200))
    party_kind: Mapped[str] = mapped_column(String(20), default="person")
    relation: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    valid_to: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(80), default="")


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    files: Mapped[dict] = mapped_column(JSON)
    spec_json: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(JSON)
    deployed_at: Mapped[datetime] = mapped_column(Stamp)
    deployed_by: Mapped[str] = mapped_column(String(80))
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")  # of the deployed files


class ProcessType(Base):
    """A type's pointer to the version new cases start on (rolled back or forward by owners)."""

    __tablename__ = "process_type"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class Case(Base):
    __tablename__ = "complaint_case"
    # The case list pages newest first (id descending) within its filters.
    __table_args__ = (Index("ix_case_type_status_id", "type_key", "status", "id"),
                      Index("ix_case_type_id", "type_key", "id"),
                      Index("ix_case_status_id", "status", "id"),
                      Index("ix_case_definition_status_id", "definition_id", "status", "id"),
                      Index("ix_case_type_created", "type_key", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    type_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    workflow_json: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    personal_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(80), nullable=True)
    department: Mapped[str | None] = mapped_column(String(80), nullable=True)
    first_responsible: Mapped[str | None] = mapped_column(String(80), nullable=True)
    filed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    deadlines: Mapped[dict] = mapped_column(JSON, default=dict)
    next_due: Mapped[datetime | None] = mapped_column(Stamp, nullable=True, index=True)
    provisional_deadlines: Mapped[list] = mapped_column(JSON, default=list)
    # How each deadline was counted ({name: {"from", "amount", "unit"} or {"follows", "days"}}),
    # so an imported official calendar, a pause or an extension can recount it.
    deadline_basis: Mapped[dict] = mapped_column(JSON, default=dict)
    paused_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    personal_erased_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    receipt_lookup: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    receipt_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)
    closed_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)

    __mapper_args__ = {"version_id_col": version}


class DataText(ColumnElement):
    """One key of a JSON column as text, written with the key as a literal so that the index on it
    (below) and the queries reading it are the same expression (SQLite and PostgreSQL only match
    an expression index to a query that spells it identically, which a bound key would not)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement), ("key", InternalTraversal.dp_string)]

    def __init__(self, column, key: str):
        if not key.replace("_", "").isalnum():
            raise ValueError(f"not a plain key: {key!r}")
        self.column, self.key = column, key
        self.type = String()

    @property
    def _from_objects(self):
        return self.column._from_objects


@compiles(DataText)
def _data_text(element, compiler, **kw):
    return f"json_extract({compiler.process(element.column, **kw)}, '$.{element.key}')"


@compiles(DataText, "postgresql")
def _data_text_pg(element, compiler, **kw):
    return f"({compiler.process(element.column, **kw)} ->> '{element.key}')"


def data_text(key: str):
    """A key of a case's data as text: the same expression as an index on it where the key is a
    plain name (DataText), else a JSON path (not indexed)."""
    if key.replace("_", "").isalnum():
        return DataText(Case.__table__.c.data, key)
    return Case.data[key].as_string()


def complainant_name_text():
    """A case's complainant organisation as stored in its data (earlier tender complaints are
    looked up by it: `ix_case_type_complainant`)."""
    return DataText(Case.__table__.c.data, "complainant_name")


Index("ix_case_type_complainant", Case.__table__.c.type_key, complainant_name_text())


class CaseViewer(Base):
    """Who may see a case: a group or a user. Exclusions (recusal) always win."""

    __tablename__ = "case_viewer"
    __table_args__ = (Index("ix_viewer_case_group", "case_id", "group_name"),
                      Index("ix_viewer_case_user", "case_id", "username"),
                      Index("ix_viewer_group_case", "group_name", "case_id"),
                      Index("ix_viewer_user_case", "username", "case_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"))
    group_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # 抄送: a colleague copied in (read-only) by this user; such rows outlive the lanes' refreshes
    copied_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class CaseExclusion(Base):
    __tablename__ = "case_exclusion"
    __table_args__ = (UniqueConstraint("case_id", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")


# An open task, one free for its group to take (no holder, no named candidates), one whose 催办 or
# 督办 is still to send: the partial indexes of the inbox and of the alert sweep hold only these.
TASK_OPEN = "state = 'ready'"
TASK_FREE_FOR_GROUP = "state = 'ready' AND assignee IS NULL AND candidates IS NULL"
TASK_REMINDER_PENDING = "state = 'ready' AND reminded_at IS NULL AND remind_at IS NOT NULL"
TASK_ESCALATION_PENDING = "state = 'ready' AND escalated_at IS NULL AND escalate_at IS NOT NULL"


class Task(Base):
    """An inbox row per ready or finished human task.

    `candidates` (named people, else the group takes it) is mirrored in `task_candidate` rows so
    the inbox decides eligibility in SQL; `remind_at` / `escalate_at` are when the scheduler
    sends 催办 / 督办 (NULL when the diagram draws that timer itself), kept in step with due_at."""

    __tablename__ = "human_task"
    # The inbox's indexes hold open tasks only (partial), so a million finished ones cost them
    # nothing; the queries name the same conditions literally (engine/tasks.py, OPEN and FREE_FOR_GROUP).
    __table_args__ = (Index("ix_task_available", "candidate_group", "due_at", "id",
                            postgresql_where=text(TASK_FREE_FOR_GROUP), sqlite_where=text(TASK_FREE_FOR_GROUP)),
                      Index("ix_task_mine", "assignee", "due_at", "id",
                            postgresql_where=text(TASK_OPEN), sqlite_where=text(TASK_OPEN)),
                      # the inbox sorted newest first (migration 0014)
                      Index("ix_task_available_newest", "candidate_group", "id",
                            postgresql_where=text(TASK_FREE_FOR_GROUP), sqlite_where=text(TASK_FREE_FOR_GROUP)),
                      Index("ix_task_mine_newest", "assignee", "state", "id"),
                      # the alerts still to send, in the order the sweep sends them
                      Index("ix_task_remind", "remind_at", "id", postgresql_where=text(TASK_REMINDER_PENDING),
                            sqlite_where=text(TASK_REMINDER_PENDING)),
                      Index("ix_task_escalate", "escalate_at", "id", postgresql_where=text(TASK_ESCALATION_PENDING),
                            sqlite_where=text(TASK_ESCALATION_PENDING)),
                      # partial: holds only the stuck rows, so no other query is tempted by it
                      Index("ix_task_stuck", "stuck_since", "id", postgresql_where=text("stuck_since IS NOT NULL"),
                            sqlite_where=text("stuck_since IS NOT NULL")),
                      Index("ix_task_case_element_done", "case_id", "element_id", "completed_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    spiff_id: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(80), nullable=True)
    candidate_group: Mapped[str | None] = mapped_column(String(80), nullable=True)
    candidates: Mapped[list | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(80), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="ready")
    form_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    claimed_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    remind_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    escalate_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    # when routing found nobody eligible to hold it (its lane, the escalation group and the admins
    # exhausted): listed for admins to reassign; NULL again once someone holds it
    stuck_since: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    # 委派: the holder who asked the assignee to work this task; it comes back to them to complete
    delegated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # a deputy holds it while this user is away; it returns to them when the period ends
    covering_for: Mapped[str | None] = mapped_column(String(80), nullable=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)  # the holder's own reminder


# The partial indexes' conditions as query terms, written literally so the database sees they apply
# whatever the parameters (a prepared statement's generic plan included).
OPEN_TASK = Task.state == literal_column("'ready'")
FREE_FOR_GROUP = and_(OPEN_TASK, Task.assignee.is_(None), Task.candidates.is_(None))


class TaskCandidate(Base):
    """One named candidate of an inbox row (the rows mirror `Task.candidates`)."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_user", "username", "task_id"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)


class Timer(Base):
    """A waiting timer event; the scheduler claims due rows and fires them through the workflow."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_due", "fired_at", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    spiff_id: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(Stamp)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    fired_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)


class AuditEvent(Base):
    """Append-only; each row carries the SHA-256 of the previous row and of its own content."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_case_seq", "case_id", "seq"), Index("ix_audit_actor_seq", "actor", "seq"),
                      Index("ix_audit_kind_seq", "kind", "seq"), Index("ix_audit_at", "at"),
                      Index("ix_audit_case_kind_element", "case_id", "kind", "element_id", "at"))
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(Stamp)
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(80))
    element_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    # The chain covers the detail's SHA-256, so retention can erase personal values from a detail
    # (marking the row redacted) without breaking the chain.
    detail_hash: Mapped[str] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Counter(Base):
    """Named counters: case numbers per prefix and month, and the audit chain's head."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(64), default="")


class CaseMessage(Base):
    """The complainant's mailbox: what the organisation told them, what they asked or sent."""

    __tablename__ = "case_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(Stamp)
    direction: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(80), nullable=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)


class Attachment(Base):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("case_message.id"), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(Stamp)
    # staff who attached it with a task's form (None: the complainant's, with the report or a message)
    uploaded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Notification(Base):
    """An in-app notice to a staff member or group (reminders, escalations, assignments)."""

    __tablename__ = "notification"
    # Lists page newest first (id descending) per addressee, unread ones through read_at.
    __table_args__ = (Index("ix_notification_user", "username", "read_at", "id"),
                      Index("ix_notification_group", "group_name", "read_at", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="notice")
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    group_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Stamp)
    read_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)


class OutboxMail(Base):
    """E-mail waiting for delivery; the recipient address is personal data, so it is sealed."""

    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    recipient_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    sent_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CalendarDay(Base):
    """An admin's or an imported schedule's word on one day: a holiday or an adjusted working day."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(20), default="admin")
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class CalendarYear(Base):
    """A year whose official schedule (State Council notice) has been imported."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    imported_at: Mapped[datetime] = mapped_column(Stamp)
    imported_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(200), default="")


class CasePause(Base):
    """A stopped case clock (waiting for the complainant's correction, expert review): paused
    time does not count toward any deadline of the case."""

    __tablename__ = "case_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="other")
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(Stamp)
    started_by: Mapped[str] = mapped_column(String(80))
    ended_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ExtensionRequest(Base):
    """A request to extend a case's deadline, decided by a supervisor within the type's cap."""

    __tablename__ = "extension_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    deadline: Mapped[str] = mapped_column(String(80))
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(Stamp)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)
    approved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")


class TypeSetting(Base):
    """Per complaint type settings that outlive definition versions (retention of personal data)."""

    __tablename__ = "type_setting"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime | None] = mapped_column(Stamp, nullable=True)


class ProcessDraft(Base):
    """A type's work in progress from the browser modeler: its files, not yet deployed. One per
    type (the latest save wins); a new type is a draft before its first version."""

    __tablename__ = "process_draft"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    files: Mapped[dict] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime] = mapped_column(Stamp)


class CaseComment(Base):
    """A comment on a case or one of its tasks: internal (staff who may see the case) or, where
    the type lets the complainant follow their case, shown on their tracking page too."""

    __tablename__ = "case_comment"
    __table_args__ = (Index("ix_comment_case", "case_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"))
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(20), default="internal")
    mentions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(Stamp)


class Deputy(Base):
    """A user's deputy for a period: tasks offered to or held by the absent user reach the
    deputy while it lasts (`applied`: the period has been started), and return after."""

    __tablename__ = "deputy"
    __table_args__ = (Index("ix_deputy_period", "applied", "starts_at", "ends_at"),)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    deputy: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column(Stamp)
    ends_at: Mapped[datetime] = mapped_column(Stamp)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(Stamp)


class SavedFilter(Base):
    """A user's saved inbox filter (type, category, status, due window, assignee, text)."""

    __tablename__ = "saved_filter"
    __table_args__ = (Index("ix_saved_filter_user", "username", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(100))
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Stamp)


class FilingToken(Base):
    """A public form's one-time token: a second submit of the same form (a double click, a reload
    of the POST) answers with the case the first one filed. The receipt is held sealed only until
    the complainant has seen it (`receipt_sealed` emptied then, or read no more after an hour)."""
    __tablename__ = "filing_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_case.id"), nullable=True)
    receipt_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Stamp, index=True)


class CaseSearch(Base):
    """What search finds a case by, one row per case: its subject (the intake form's
    `x-subject-field`) and a document of search tokens (engine/search.py): word and two-character
    tokens of the intake form's non-personal text, and keyed hashes of its personal values (so a
    complainant's name is found without being stored readable). PostgreSQL indexes the document
    with a GIN full-text index, SQLite with an FTS5 table over it (migration 0014)."""
    __tablename__ = "case_search"
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # the complainant's name as lists show it, only when the form keeps it readable (not `x-personal`)
    complainant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    doc: Mapped[str] = mapped_column(Text, default="")
