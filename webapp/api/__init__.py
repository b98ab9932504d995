"""The JSON API under /api/v1 for integrations (hotline systems, reporting tools, tender platforms).

Views parse the request, make one engine call and answer JSON; `shared/docs/API.md` is the
contract and `/api/v1/openapi.json` describes every endpoint served here.
"""
from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


from . import errors  # noqa: E402  (the modules below add their routes to `bp`)

errors.register(bp)

from . import audit, auth_tokens, cases, clocks, confidentiality, openapi, process_types, public, tasks  # noqa: E402,F401,I001
from . import directory, insight, versions  # noqa: E402,F401,I001
from . import task_operations  # noqa: E402,F401
