"""Key rotation for the personal data encrypted at rest.

FIELD_ENCRYPTION_KEY holds a comma-separated list: the first key encrypts, all of them decrypt.
To rotate, put a new key first, run `complaintflow keys rotate` (everything is re-encrypted with
the first key), then drop the old key from the list.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.models import Attachment, Case, OutboxMail, User

BATCH = 500


def rotate_all(ctx: EngineContext, session: Session) -> dict:
    """Re-encrypt every sealed value with the first configured key; returns counts."""
    counts = {"cases": 0, "mails": 0, "files": 0, "second_factors": 0}
    for model, column, name in ((Case, "personal_sealed", "cases"), (OutboxMail, "recipient_sealed", "mails"),
                                (Attachment, "data", "files"), (User, "totp_sealed", "second_factors")):
        last = 0
        while True:
            rows = list(session.scalars(select(model).where(model.id > last, getattr(model, column).is_not(None))
                                        .order_by(model.id).limit(BATCH)))
            if not rows:
                break
            for row in rows:
                if getattr(row, column):  # an erased file is empty: nothing to re-encrypt
                    setattr(row, column, ctx.cipher.rotate(getattr(row, column)))
            session.flush()
            counts[name] += len(rows)
            last = rows[-1].id
    return counts
