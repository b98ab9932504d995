"""The audit log's integrity check, for auditors."""
from __future__ import annotations

from . import bp, engine
from .auth_tokens import staff_required
from .respond import reply


@bp.get("/audit/verify")
@staff_required("auditor")
def verify_audit(actor):
    """Walk the hash chain: `{"ok", "events", "first_bad_seq"}`."""
    return reply(engine().verify_audit())
