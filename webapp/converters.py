"""URL converters shared by every blueprint."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2 ** 31 - 1



class IdConverter(IntegerConverter):
    """`<id:case_id>`: a database id. A number past what the database stores is simply not found
    (404), never an overflow deep in a query (500)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def init_app(app) -> None:
    """Register before any blueprint, so their rules can use `<id:...>`."""
    app.url_map.converters["id"] = IdConverter
