"""Oversight over the API (issue 9): a process version's heatmap and the report numbers
(see openapi_paths for their description). Each view parses, makes one engine call, replies."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request

from . import bp, engine
from .auth_tokens import staff_required
from .errors import bad_input
from .parsing import query_moment
from .respond import NO_STORE, reply


def period(details: dict, default_days: int | None = None) -> tuple[datetime | None, datetime | None]:
    """`from` (inclusive) and `to` (inclusive day, or an exact moment) query parameters."""
    start = query_moment("from", details)
    end = query_moment("to", details, end_of_day=True)
    if default_days is not None:
        end = end or current_app.extensions["complaintflow"].ctx.now()
        start = start or end - timedelta(days=default_days)
    return start, end


@bp.get("/process-types/<key>/versions/<int:version>/heatmap")
@staff_required()
def heatmap(actor, key: str, version: int):
    """Per element: cases that completed it, and the human task's waits (median, p90 hours)."""
    details: dict[str, str] = {}
    start, end = period(details)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    answer = engine().heatmap(actor, key, version, start, end)
    answer.pop("xml", None)  # the diagram itself is GET /process-types/<key>/versions/<n>
    return reply(answer, 200, NO_STORE)


@bp.get("/reports")
@staff_required()
def reports(actor):
    """The report numbers of a period (default: the last 365 days) for every type the caller reads."""
    details: dict[str, str] = {}
    start, end = period(details, default_days=365)
    if details:
        raise bad_input(details, "some query parameters are invalid")
    return reply(engine().reports(actor, start, end), 200, NO_STORE)


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    from .openapi import ok, op, path_param

    obj = {"type": "object"}
    moment = {"type": "string", "description": "ISO date (whole day, organisation's zone) or datetime with offset"}
    period_params = [{"name": "from", "in": "query", "required": False, "schema": moment},
                     {"name": "to", "in": "query", "required": False, "schema": moment}]
    return {
        "/process-types/{key}/versions/{version}/heatmap": {"get": op(
            "A version's heatmap: per element the cases that passed it and the waits (median, p90 hours)",
            "reports", {"200": ok("Per element: cases, waits, median_hours, p90_hours", obj)},
            errors=("400", "403", "404"),
            params=[path_param("key", "The type key", {"type": "string"}),
                    path_param("version", "The version number", {"type": "integer"}), *period_params],
            description="Owners, auditors and admins. Counted from stored rows (audit events of completed "
                        "elements, inbox rows' ready and done times); percentiles are nearest-rank.")},
        "/reports": {"get": op(
            "The report numbers of a period per type: by month, by the diagram's reportDimensions, on-time "
            "rate per deadline, handling time, satisfaction, reopened, repeat complainants", "reports",
            {"200": ok("Per type", obj)}, errors=("400", "403"), params=period_params,
            description="Admins, auditors, process owners, and the groups a type names in reportReaders.")},
    }
