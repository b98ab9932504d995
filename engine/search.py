"""Searching cases by number, subject, description and names, as the caller may see them.

Each case has a `case_search` row: its subject (the intake form's `x-subject-field`) and a
document of tokens. Latin words and digits are tokens as they are (lower case); Chinese, which has
no spaces, becomes overlapping two-character tokens, so "污水处理" is found inside
"城南污水处理厂". Personal values (names, phones, e-mails) enter only as keyed hashes of the whole
value (`FieldCipher.blind`): typing a complainant's full name finds the case, the table never holds
it readable; a confidential report's personal values do not enter at all. PostgreSQL matches the
document through a GIN full-text index (`to_tsvector('simple', doc)`), SQLite through FTS5.
"""
from __future__ import annotations

import re

from sqlalchemy import func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.models import Case, CaseSearch

CJK = r"\u3400-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
MAX_QUERY_TOKENS = 12
LITERAL = re.compile(r"[^\w\s\-]", re.UNICODE)


def tokens(value: str) -> list[str]:
    """Search tokens of a text: words as they are, Chinese runs as two-character pieces."""
    out: list[str] = []
    for run in RUNS.findall(str(value).lower()):
        if re.match(rf"[{CJK}]", run):
            out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            out.append(run)
    return out


def _key(ctx: EngineContext, value: str) -> str:
    return _blind_key(ctx.cipher, value)


def _blind_key(cipher, value: str) -> str:
    return "k" + cipher.blind(" ".join(str(value).split()).lower())


def index_case(ctx: EngineContext, session: Session, case: Case, intake: dict, data: dict, personal: dict) -> None:
    """Write the case's search row from its intake data (on filing)."""
    session.add(CaseSearch(case_id=case.id, **search_row(ctx.cipher, bool(case.confidential), intake, data, personal)))


def search_row(cipher, confidential: bool, intake: dict, data: dict, personal: dict) -> dict:
    """A case's search row (subject, complainant, doc) from its intake data without the personal
    fields (`data`) and its personal values (`personal`, left out of a confidential case).
    Filing and the backfill of migration 0016 both build it here."""
    props = intake.get("properties") or {}
    words: list[str] = []
    for name, value in data.items():
        prop = props.get(name) or {}
        if isinstance(value, str) and prop.get("type", "string") == "string" and "enum" not in prop:
            words += tokens(value)
    if not confidential:
        words += [_blind_key(cipher, v) for v in personal.values() if isinstance(v, str) and v.strip()]
    subject_field, who_field = intake.get("x-subject-field"), intake.get("x-complainant-field")
    subject = data.get(subject_field) if subject_field else None
    who = data.get(who_field) if who_field and not confidential else None
    return {"subject": " ".join(str(subject).split())[:80] if subject else None,
            "complainant": str(who)[:200] if isinstance(who, str) else None,
            "doc": " ".join(dict.fromkeys(words))}


def forget_personal(session: Session, case_id: int, erased: list[str]) -> None:
    """Personal data erased: its keys and the tokens of the erased texts leave the search document."""
    row = session.get(CaseSearch, case_id)
    if row is not None:
        gone = {t for value in erased for t in tokens(value)}
        row.doc = " ".join(t for t in row.doc.split() if t not in gone and not (t.startswith("k") and len(t) == 25))
        row.complainant = None


def matching_cases(ctx: EngineContext, session: Session, q: str):
    """A condition on Case: its number contains the text, or its document holds every token of it,
    or the whole text is one of its personal values."""
    q = q.strip()[:200]
    # Words only: a query with symbols (%, _, \ ...) asks for that literal text, which the number
    # and category comparisons take literally; dropping the symbols would find far more.
    words = [] if LITERAL.search(q) else tokens(q)[:MAX_QUERY_TOKENS]
    key = _key(ctx, q)
    if session.get_bind().dialect.name == "postgresql":
        vector = func.to_tsvector(literal_column("'simple'"), CaseSearch.doc)
        query = func.plainto_tsquery(literal_column("'simple'"), key)
        if words:  # every word, or the whole text as a personal value
            query = func.plainto_tsquery(literal_column("'simple'"), " ".join(words)).op("||")(query)
        found = select(CaseSearch.case_id).where(vector.op("@@")(query))
    else:
        match = f'"{key}"' if not words else "(" + " ".join(f'"{w}"' for w in words) + f') OR "{key}"'
        found = text("SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH :m") \
            .bindparams(m=match).columns(literal_column("rowid"))
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(Case.number.ilike(like, escape="\\"), Case.id.in_(found))
