"""The audit log: append-only, hash-chained, verifiable.

Each event stores the SHA-256 of the previous event and of its own canonical content, so
editing or deleting any row breaks the chain at that row. The content hashed is the detail's own
SHA-256 (`detail_hash`), not the detail text: retention may then erase personal values from a
detail (`redact`, marking the row) and the chain still verifies; a redacted row is accepted only
when a later, chained `personal_data_erased` event names it.

Appending is cheap and late: `record` only collects the event in the session; just before the
transaction commits (or when the log is read inside it) the collected events are chained onto
the head (`counter` 'audit_head', always naming the last event, so a deleted tail is detected) and
written in one statement, chained onto the head the transaction last saw (`note_head`: read for
free with the step's first statement). On PostgreSQL that statement moves the head only if it
still holds that value and inserts the events only if it moved (a data-modifying WITH), which takes
the head's lock for the last moments of the transaction only; on SQLite, where writers are
serialised, a trigger (migration 0006) moves the head with each inserted event and refuses one
that does not chain onto it. When another transaction moved the head meanwhile nothing is written,
and the head is read again under `FOR UPDATE` and the events chained onto it. Concurrent writers
therefore never fork the chain, and never wait for each other's whole step.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clocks.clock import aware, to_iso
from engine.models import AuditEvent, Counter

GENESIS = "0" * 64
ERASURE = "personal_data_erased"
HEAD = "audit_head"


def _digest(prev_hash: str, seq: int, case_id: int | None, at: datetime, actor: str, kind: str,
            element_id: str | None, detail: str) -> str:
    at_utc = aware(at).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps([prev_hash, seq, case_id, at_utc, actor, kind, element_id, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


PENDING = "audit_pending"  # session.info: events recorded in this transaction, not yet written
GUESS = "audit_head_seen"  # session.info: (seq, hash) of the head as this transaction last read it


def record(session: Session, *, at: datetime, actor: str, kind: str, case_id: int | None = None,
           element_id: str | None = None, detail: dict | None = None) -> None:
    """Add one event to the chain in the caller's transaction (written when it commits)."""
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    session.info.setdefault(PENDING, []).append(
        {"case_id": case_id, "at": at, "actor": actor, "kind": kind, "element_id": element_id,
         "detail": text, "detail_hash": _text_hash(text)})


def head_columns():
    """The chain head as two scalar columns, for a transaction's first select to carry along
    (then `note_head`): the append at commit needs no read of its own when nobody else wrote."""
    head = select(Counter.value, Counter.text).where(Counter.name == HEAD)
    return (head.with_only_columns(Counter.value).scalar_subquery().label("audit_head_seq"),
            head.with_only_columns(Counter.text).scalar_subquery().label("audit_head_hash"))


def note_head(session: Session, seq: int | None, digest: str | None) -> None:
    if seq is not None and digest is not None:
        session.info[GUESS] = (seq, digest)


def write_pending(session: Session) -> None:
    """Chain the collected events onto the head and write them: one statement when the head is
    still where this transaction saw it, else the head read again under lock and the events
    chained onto it."""
    events = session.info.pop(PENDING, None)
    if not events:
        return
    guess = session.info.pop(GUESS, None)
    if guess is None or not _append_onto(session, guess, events):
        head = _locked_head(session)
        _chain(head, events)
        if not _head_follows_itself(session):
            session.execute(update(Counter).where(Counter.name == HEAD)
                            .values(value=events[-1]["seq"], text=events[-1]["hash"]))
        session.execute(insert(AuditEvent.__table__), events)
    session.info[GUESS] = (events[-1]["seq"], events[-1]["hash"])


def _chain(head: tuple[int, str], events: list[dict]) -> None:
    seq, prev = head
    for ev in events:
        seq += 1
        ev.update(seq=seq, prev_hash=prev, hash=_digest(prev, seq, ev["case_id"], ev["at"], ev["actor"], ev["kind"],
                                                      ev["element_id"], ev["detail_hash"]))
        prev = ev["hash"]


def _head_follows_itself(session: Session) -> bool:
    """On SQLite a trigger (migration 0006) moves the head with every inserted event and refuses
    an event that does not chain onto it."""
    return session.get_bind().dialect.name == "sqlite"


_COLUMNS = ("seq", "case_id", "at", "actor", "kind", "element_id", "detail", "detail_hash", "prev_hash", "hash")


_APPEND = insert(AuditEvent.__table__)
_ARRAY_TYPES = {"seq": "INTEGER", "case_id": "INTEGER", "at": "TIMESTAMP WITH TIME ZONE", "actor": "VARCHAR",
                "kind": "VARCHAR", "element_id": "VARCHAR", "detail": "TEXT", "detail_hash": "VARCHAR",
                "prev_hash": "VARCHAR", "hash": "VARCHAR"}
# PostgreSQL: move the head only if it still holds what this transaction saw, and insert the
# events only if it moved (a data-modifying WITH): the head's lock is taken at the very end.
_PG_APPEND = text(
    "WITH moved AS (UPDATE counter SET value = :new_seq, text = :new_hash"
    " WHERE name = :head AND value = :old_seq AND text = :old_hash RETURNING name) "
    f"INSERT INTO audit_event ({', '.join(_ARRAY_TYPES)}) "
    "SELECT * FROM unnest(" + ", ".join(f"CAST(:a_{name} AS {kind}[])" for name, kind in _ARRAY_TYPES.items()) + ")"
    " WHERE EXISTS (SELECT 1 FROM moved)")


def _append_onto(session: Session, head: tuple[int, str], events: list[dict]) -> bool:
    """Chain the events onto the head this transaction saw and write them in one statement, if
    the head is still there; False (nothing written) when another transaction moved it."""
    _chain(head, events)
    if _head_follows_itself(session):
        # Writers are serialised (BEGIN IMMEDIATE): the head read in this transaction is still
        # current, unless the guess came from elsewhere; then the first event is refused whole.
        try:  # SQLite undoes just the refused statement: the transaction goes on
            session.execute(_APPEND, events)
        except IntegrityError:
            return False
        return True
    # One statement built once for any number of events: the rows travel as one array per column
    # (a VALUES list of literals was a new statement for SQLAlchemy's and psycopg's caches each time).
    columns = {name: [ev[name] for ev in events] for name in _COLUMNS}
    columns["at"] = [aware(at).astimezone(timezone.utc) for at in columns["at"]]
    params = {f"a_{name}": values for name, values in columns.items()}
    params.update(head=HEAD, old_seq=head[0], old_hash=head[1], new_seq=events[-1]["seq"], new_hash=events[-1]["hash"])
    written = session.execute(_PG_APPEND, params).rowcount
    return written == len(events)


def _locked_head(session: Session) -> tuple[int, str]:
    row = session.execute(select(Counter.value, Counter.text).where(Counter.name == HEAD).with_for_update()).first()
    if row is None:  # the very first event of this database
        session.execute(insert(Counter).values(name=HEAD, value=0, text=GENESIS))
        return 0, GENESIS
    return row.value, row.text


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    """SQLAlchemy calls this for savepoints too: their events wait for the transaction's commit,
    so a batch of steps in savepoints (the timer sweep) appends all its events in one statement
    (a savepoint rolled back takes its events out of the pending list itself)."""
    if session.in_nested_transaction():
        return
    write_pending(session)


PROBLEMS = {
    "edited": "event {seq} was changed after it was written",
    "deleted": "event {seq} is missing: it was deleted",
    "inserted": "event {seq} was never written by the application: it was inserted",
}


def verify(session: Session) -> dict:
    """Walk the chain: {"ok", "events", "first_bad_seq", "problem", "message"}. `problem` says
    how the first bad row went wrong: "edited" (its content, or a redaction no erasure vouches
    for), "deleted" (a gap in the numbering, or a missing tail the head still names) or
    "inserted" (a row past the head, or a row the next one skips over to chain onto the row
    before it). An attacker who rewrites every later row and the head as well is not caught by
    any chain kept in the same database; everything short of that is."""
    write_pending(session)
    head = session.get(Counter, HEAD)
    head_seq = head.value if head is not None else 0
    prev, expected_seq, count = GENESIS, 1, 0
    before_prev = None  # the hash of the row before the previous one
    redacted, vouched = [], set()
    # Streamed (a server-side cursor on PostgreSQL, fetched 1,000 at a time): asking the result for
    # `yield_per` after the statement ran fetched the whole log first, then hashed it for minutes
    # without a word to the server, which ends such an idle transaction (1.96 million events).
    walk = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    rows = iter(session.scalars(walk))
    ev = next(rows, None)
    while ev is not None:
        after = next(rows, None)
        count += 1
        problem = _problem(ev, after, (before_prev, prev), expected_seq, head_seq)
        if problem is not None:
            return _broken(count, *problem)
        if ev.redacted_at is not None:
            redacted.append(ev.seq)
        if ev.kind == ERASURE:
            vouched.update(json.loads(ev.detail).get("redacted_events") or [])
        before_prev, prev, expected_seq, ev = prev, ev.hash, ev.seq + 1, after
    unvouched = [seq for seq in redacted if seq not in vouched]
    if unvouched:
        return _broken(count, unvouched[0], "edited")
    if head is not None and (head.value != expected_seq - 1 or head.text != prev):
        return _broken(count, expected_seq, "deleted")
    return {"ok": True, "events": count, "first_bad_seq": None, "problem": None, "message": None}


def _problem(ev: AuditEvent, after: AuditEvent | None, hashes: tuple[str | None, str], expected_seq: int,
             head_seq: int) -> tuple[int, str] | None:
    """(seq, how) when this row breaks the chain, None when it follows it. `hashes`: those of
    the row before the previous one and of the previous one."""
    before_prev, prev = hashes
    if ev.seq > head_seq:
        return ev.seq, "inserted"
    if ev.seq > expected_seq:
        return expected_seq, "deleted"
    sound = ev.hash == _digest(ev.prev_hash, ev.seq, ev.case_id, ev.at, ev.actor, ev.kind, ev.element_id,
                               ev.detail_hash)
    content = ev.redacted_at is not None or _text_hash(ev.detail) == ev.detail_hash
    if ev.seq == expected_seq and ev.prev_hash == prev and sound and content:
        return None
    if before_prev is not None and ev.prev_hash == before_prev:
        return ev.seq - 1, "inserted"  # this row chains onto the one before the last: the last was put between
    if after is not None and after.prev_hash == prev and after.seq == ev.seq + 1:
        return ev.seq, "inserted"  # the next row chains onto the one before: this one was put between
    if ev.prev_hash != prev and sound and content and ev.seq > 1:
        return ev.seq - 1, "edited"  # an intact row that does not follow: the one before it was rewritten
    return ev.seq, "edited"


def _broken(count: int, seq: int, problem: str) -> dict:
    return {"ok": False, "events": count, "first_bad_seq": seq, "problem": problem,
            "message": PROBLEMS[problem].format(seq=seq)}


MASK = "●●●"


def masked(value, secrets: list[str], mask: str = MASK):
    """`value` with every occurrence of the secret texts replaced by `mask`, in strings inside
    dicts and lists too (keys untouched). Showing a masked event leaves the stored one, and so its
    hash, untouched; retention uses the same walk to erase."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, mask)
        return value
    if isinstance(value, dict):
        return {k: masked(v, secrets, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, secrets, mask) for v in value]
    return value


def redact(session: Session, case_id: int, secrets: list[str], replacement: str, now: datetime) -> list[int]:
    """Erase these texts from the case's event details (retention); returns the seqs changed, which
    the caller must name in its `personal_data_erased` event for the chain to verify."""
    write_pending(session)
    changed = []
    for ev in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)):
        text = ev.detail
        for secret in secrets:
            text = text.replace(json.dumps(secret, ensure_ascii=False)[1:-1], replacement)
        if text != ev.detail:
            ev.detail, ev.redacted_at = text, now
            changed.append(ev.seq)
    return changed


def case_events(session: Session, case_id: int, secrets: list[str] | tuple[str, ...] = (),
                after_seq: int | None = None, limit: int | None = None) -> list[dict]:
    """The case's events in order (from after `after_seq`, at most `limit`); with `secrets`,
    those texts are masked wherever they appear."""
    write_pending(session)
    query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
    if after_seq is not None:
        query = query.where(AuditEvent.seq > after_seq)
    if limit is not None:
        query = query.limit(limit)
    secrets = sorted(secrets, key=len, reverse=True)
    return [{"seq": e.seq, "at": to_iso(aware(e.at)), "actor": e.actor, "kind": e.kind,
             "element_id": e.element_id, "detail": masked(json.loads(e.detail), secrets)}
            for e in session.scalars(query)]
