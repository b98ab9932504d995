"""Command-line parameter types shared by the `complaintflow` commands."""
from __future__ import annotations

from datetime import datetime

import click


class Instant(click.ParamType):
    """An ISO 8601 datetime that names its time zone (time travel must not guess the zone)."""

    name = "ISO datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail("not an ISO 8601 datetime", param, ctx)
        if instant.tzinfo is None:
            self.fail("give a time zone offset, e.g. +08:00", param, ctx)
        return instant


INSTANT = Instant()
