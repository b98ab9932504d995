"""Database connection, sessions and schema migrations (Alembic, never `create_all` in production).

Nothing waits on the database for ever: on PostgreSQL every connection carries a
`statement_timeout`, a `lock_timeout` and an `idle_in_transaction_session_timeout`; on SQLite a
writer waits `busy_timeout` for the write lock. A statement that hits one of them rolls its
transaction back and surfaces as an engine error (409 busy, 503 unavailable), never as a 500.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import DatabaseBusy, DatabaseUnavailable, EngineError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, the driver we ship (SQLAlchemy would pick psycopg2)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class Timeouts:
    """Seconds; 0 turns one off. The scheduler or a maintenance job may be given longer ones."""

    statement: float = 30.0            # one SQL statement (PostgreSQL)
    lock: float = 10.0                 # waiting for a row or table lock (PostgreSQL), for the write lock (SQLite)
    idle_in_transaction: float = 60.0  # a transaction left open doing nothing (PostgreSQL)

    def postgresql_options(self) -> str:
        """The libpq `options` that set them on every new connection."""
        return " ".join(f"-c {name}={int(seconds * 1000)}" for name, seconds in (
            ("statement_timeout", self.statement), ("lock_timeout", self.lock),
            ("idle_in_transaction_session_timeout", self.idle_in_transaction)))


class Database:
    """One SQLAlchemy engine and session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, timeouts: Timeouts | None = None):
        url = normalize_url(url)
        self.url = url
        self.timeouts = timeouts or Timeouts()
        kwargs = {"future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": self.timeouts.lock}
        else:
            kwargs["pool_pre_ping"] = True
            given = make_url(url).query.get("options")  # options in the URL come last and win
            given = " ".join(given) if isinstance(given, tuple) else given
            kwargs["connect_args"] = {"options": " ".join(filter(None, [self.timeouts.postgresql_options(), given]))}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            busy_ms = int(self.timeouts.lock * 1000)
            event.listen(self.engine, "connect", lambda conn, record: _sqlite_pragmas(conn, busy_ms))
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_transaction_end", _forget_transaction_state)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def upgrade(self, field_key: str | None = None) -> None:
        """Bring the schema to the newest migration (`field_key`: for a migration that rebuilds
        data from personal values, such as 0016's search backfill)."""
        cfg = alembic_config(self.url)
        if field_key:
            cfg.attributes["field_key"] = field_key
        with self.engine.begin() as conn:
            if not self.is_sqlite:  # building an index over many rows may take longer than a request
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            refusal = refusal_for(exc)
            if refusal is not None:
                raise refusal from exc
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


# PostgreSQL SQLSTATEs: lock_not_available (lock_timeout, NOWAIT), deadlock_detected, serialization_failure
_BUSY_STATES = {"55P03", "40P01", "40001"}
# query_canceled (statement_timeout), idle_in_transaction_session_timeout, admin/crash shutdown
_UNAVAILABLE_STATES = {"57014", "25P03", "57P01", "57P02", "57P03"}


def refusal_for(exc: BaseException) -> EngineError | None:
    """The engine error for a database failure a client should simply retry, else None."""
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None) or ""
    reason = str(exc.orig).split("\n")[0]
    sqlite_busy = isinstance(exc.orig, sqlite3.OperationalError) and (
        getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in reason)
    if state in _BUSY_STATES or sqlite_busy:
        return DatabaseBusy("another change holds what this one needs; try again in a moment", {"reason": reason})
    if state in _UNAVAILABLE_STATES or state.startswith("08") or exc.connection_invalidated:
        return DatabaseUnavailable("the database did not answer in time; try again shortly", {"reason": reason})
    return None


def _forget_transaction_state(session: Session, transaction) -> None:
    """What a transaction cached under its locks (the audit chain's head) dies with it — with the
    database transaction, not with a savepoint inside it (the timer sweep steps each case in one)."""
    if transaction.parent is None:
        session.info.clear()


def _sqlite_pragmas(dbapi_connection, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={busy_ms}")
    cur.close()


def _sqlite_begin_immediate(conn) -> None:
    """Writers queue on SQLite's single write lock instead of failing mid-transaction."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")
