"""Command-line tools for confidentiality: key rotation, retention (added to `complaintflow`)."""
from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this module's commands to the `complaintflow` group."""
