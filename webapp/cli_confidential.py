"""Command-line tools for confidentiality: key rotation, retention (added to `complaintflow`)."""
from __future__ import annotations

import json
from datetime import datetime

import click

from .cli_types import INSTANT


def _engine():
    """The engine of the running command's app (see webapp.cli._app)."""
    from .cli import _engine as engine

    return engine()


@click.group("keys")
def keys() -> None:
    """Encryption keys of personal data (FIELD_ENCRYPTION_KEY: comma-separated, first encrypts)."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a fresh key (put it first in FIELD_ENCRYPTION_KEY, keep the old one after it)."""
    from engine.confidential.crypto import generate_key

    click.echo(generate_key())


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt all personal data with the first configured key; then the old key can go."""
    try:
        counts = _engine().rotate_field_keys()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(counts))


@click.group("retention")
def retention() -> None:
    """Retention of personal data of closed cases."""


@retention.command("set")
@click.argument("type_key")
@click.argument("days", type=int, required=False)
def retention_set(type_key: str, days: int | None) -> None:
    """Keep TYPE_KEY's personal data DAYS days after closing (no DAYS: keep until set again)."""
    from engine.actors import Actor
    from engine.errors import EngineError

    operator = Actor(username="cli", roles=frozenset({"admin"}))
    try:
        result = _engine().set_retention(operator, type_key, days)
    except EngineError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps(result))


@retention.command("run")
@click.option("--as-of", "as_of", default=None, type=INSTANT, help="ISO datetime with offset (default: now)")
def retention_run(as_of: datetime | None) -> None:
    """Erase personal data of every closed case past its type's retention period."""
    erased = _engine().erase_expired_personal_data(as_of)
    click.echo(f"{len(erased)} case(s) erased" + (": " + ", ".join(erased) if erased else ""))


def register(cli: click.Group) -> None:
    """Add this module's commands to the `complaintflow` group."""
    cli.add_command(keys)
    cli.add_command(retention)
