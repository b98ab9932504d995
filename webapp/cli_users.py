"""Command-line account tools (added to `complaintflow`): set a password, disable a user, remove a
lost second factor. They act as the system; each ends the user's sessions and tokens as the web does."""
from __future__ import annotations

import sys

import click

from engine.actors import SYSTEM
from engine.errors import EngineError


def _engine():
    """The engine of the running command's app (see webapp.cli._app)."""
    from .cli import _engine as engine

    return engine()


def _run(operation, *args):
    try:
        return operation(SYSTEM, *args)
    except EngineError as error:
        raise click.ClickException(error.message) from None


@click.group("users")
def users() -> None:
    """Staff accounts."""


@users.command("passwd")
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def users_passwd(username: str, from_stdin: bool) -> None:
    """Set a user's password; every session and token of the user ends."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    ended = _run(_engine().change_password, username, password)
    click.echo(f"password changed; {ended} session(s) and token(s) ended")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: no more sign-ins; every session and token ends."""
    ended = _run(_engine().disable_user, username)
    click.echo(f"{username} disabled; {ended} session(s) and token(s) ended")


@users.command("reset-second-factor")
@click.argument("username")
def users_reset_second_factor(username: str) -> None:
    """Remove a user's second factor (a lost phone); they may set up a new one (their role may require it)."""
    _run(_engine().remove_second_factor, username)
    click.echo(f"second factor of {username} removed")


def register(cli: click.Group) -> None:
    cli.add_command(users)
