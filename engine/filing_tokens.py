"""One-time tokens of the public report form: a double submit files one case, and the receipt
can be shown again (a reload, a language switch) until the complainant has seen it.

Only a hash of the token is stored; the receipt is sealed with the field cipher and emptied once
the complainant confirms they saved it, and is never read back after RECEIPT_SHOWN_FOR.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound
from engine.models import Case, FilingToken

RECEIPT_SHOWN_FOR = timedelta(hours=1)


def _hash(token: str) -> str:
    if not token or len(token) < 16 or len(token) > 200:
        raise InvalidInput("the form token is missing or malformed", details={"form_token": "invalid"})
    return hashlib.sha256(token.encode()).hexdigest()


def claim(ctx: EngineContext, session: Session, token: str) -> FilingToken | None:
    """Take the token for this filing, or answer the row of the filing that already took it
    (a concurrent submit waits for the first one's commit, then finds its row)."""
    key = _hash(token)
    row = session.get(FilingToken, key)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(FilingToken(token_hash=key, created_at=ctx.now()))
            session.flush()
    except IntegrityError:
        return session.get(FilingToken, key, populate_existing=True)
    return None


def record(ctx: EngineContext, session: Session, token: str, filed: dict) -> None:
    """The filing took the token: remember its case and hold its receipt sealed."""
    row = session.get(FilingToken, _hash(token))
    row.case_id = filed["id"]
    if filed.get("receipt"):
        row.receipt_sealed = ctx.cipher.seal({"receipt": filed["receipt"]})


def filed(ctx: EngineContext, session: Session, token: str) -> dict:
    """What the token filed: {"id", "number", "status", "type_key", "receipt" (None once shown)}."""
    row = session.get(FilingToken, _hash(token))
    case = session.get(Case, row.case_id) if row is not None and row.case_id else None
    if case is None:
        raise NotFound("no filing for this form")
    receipt = None
    fresh = row.created_at + RECEIPT_SHOWN_FOR > ctx.now()
    if row.receipt_sealed and fresh:
        receipt = ctx.cipher.open(row.receipt_sealed).get("receipt")
    return {"id": case.id, "number": case.number, "status": case.status, "type_key": case.type_key,
            "receipt": receipt}


def forget_receipt(session: Session, token: str) -> None:
    """The complainant saved the receipt: it is no longer held."""
    row = session.get(FilingToken, _hash(token))
    if row is not None:
        row.receipt_sealed = None
