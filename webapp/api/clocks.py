"""JSON API endpoints: clocks (see openapi_paths for their description)."""
from __future__ import annotations

from . import bp  # noqa: F401 - routes are added to the API blueprint


def openapi_paths() -> dict:
    """OpenAPI path items for the endpoints of this module (merged into /api/v1/openapi.json)."""
    return {}
