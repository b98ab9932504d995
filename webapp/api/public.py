"""The complainant's side (no account): open types, filing, and following a case by receipt.

The receipt is the only key to a case. It is answered once, at filing; look-ups are rate
limited per client, and a wrong receipt reads exactly like a missing case (404).
"""
from __future__ import annotations

from flask import request

from . import bp, engine, limits
from .errors import ApiError
from .parsing import Fields, filing, is_multipart, json_body, payload_and_files, uploaded_files
from .respond import NO_STORE, reply

MAX_RECEIPT = 100


@bp.get("/public/types")
def public_types():
    """The complaint types open to the public, each with its intake form (JSON Schema)."""
    return reply(engine().list_process_types(public_only=True))


@bp.post("/public/reports")
def file_report():
    """`{"type", "data", "anonymous", "attachments"}` as JSON, or multipart `payload` + files."""
    type_key, data, files, anonymous = filing()
    filed = engine().file_case(None, type_key, data, files, anonymous=anonymous)
    return reply({"number": filed["number"], "receipt": filed["receipt"], "status": filed["status"]},
                 201, NO_STORE)


def _checked_receipt(receipt: str) -> str:
    """Count the look-up against the client's limit; an absurd receipt is simply not found."""
    limits.attempt("receipt")
    if len(receipt) > MAX_RECEIPT:
        raise ApiError(404, "no case with this receipt")
    return receipt


@bp.get("/public/reports/<receipt>")
def public_report(receipt: str):
    """What the complainant may see of the case: status, messages, open requests."""
    case = engine().public_case(_checked_receipt(receipt))
    return reply(case, 200, NO_STORE)


@bp.post("/public/reports/<receipt>/messages")
def post_message(receipt: str):
    """`{"body", "attachments"}` as JSON, or multipart with a `body` field (or `payload`) and files."""
    receipt = _checked_receipt(receipt)
    if is_multipart() and "payload" not in request.form:
        body = {"body": request.form.get("body")}
        files = uploaded_files()
    elif is_multipart():
        body, files = payload_and_files()
    else:
        body, files = json_body(), []
    fields = Fields(body)
    text = fields.string("body", max_length=10000)
    files = fields.attachments() + files
    fields.check()
    posted = engine().post_public_message(receipt, text, files)
    return reply(posted, 201, NO_STORE)

