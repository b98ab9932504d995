"""Command-line account tools (added to `complaintflow`): create and list users, set a password,
disable a user, remove a lost second factor; create and list groups, add and remove members. They
act as the system, through the same engine calls as the API (audited the same way). A fresh
install creates its first admin with `complaintflow users create <name> --role admin`."""
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


def _password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, default=("staff",), show_default=True,
              type=click.Choice(["admin", "process_owner", "auditor", "staff"]), help="Repeat for several roles.")
@click.option("--group", "groups", multiple=True, help="A group key to join (repeatable; the group must exist).")
@click.option("--display-name", default="", help="The name people see.")
@click.option("--email", default=None, help="For reminders by mail.")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin.")
def users_create(username: str, roles: tuple, groups: tuple, display_name: str, email: str | None,
                 from_stdin: bool) -> None:
    """Create a user (the first admin of a fresh install: --role admin); the password is asked for."""
    password = _password(from_stdin, "Password")
    user = _run(_engine().create_user, {"username": username, "password": password, "roles": list(roles),
                                        "groups": list(groups), "display_name": display_name, "email": email})
    click.echo(f"created {user['username']} ({', '.join(user['roles'])})")


@users.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
@click.option("--cursor", default=None, help="The `next:` value printed by the page before.")
def users_list(limit: int, cursor: str | None) -> None:
    """One page of users: name, roles, groups, active."""
    page = _run(_engine().list_users, limit, cursor)
    for user in page["items"]:
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['username']}\t{','.join(user['roles'])}\t{','.join(user['groups'])}\t{state}\t"
                   f"{user['display_name']}")
    if page["next"]:
        click.echo(f"next: {page['next']}")


@users.command("passwd")
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def users_passwd(username: str, from_stdin: bool) -> None:
    """Set a user's password; every session and token of the user ends."""
    password = _password(from_stdin, "New password")
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


@click.group("groups")
def groups() -> None:
    """Staff groups (a lane's tasks go to one) and their members."""


@groups.command("create")
@click.argument("key")
@click.option("--name-zh", required=True, help="中文名称")
@click.option("--name-en", required=True, help="English name")
def groups_create(key: str, name_zh: str, name_en: str) -> None:
    """Create a group."""
    group = _run(_engine().create_group, {"key": key, "name_zh": name_zh, "name_en": name_en})
    click.echo(f"created group {group['key']}")


@groups.command("add")
@click.argument("key")
@click.argument("username")
def groups_add(key: str, username: str) -> None:
    """Add a member; the group's tasks reach their inbox at once."""
    _run(_engine().add_group_member, key, username)
    click.echo(f"{username} is in {key}")


@groups.command("remove")
@click.argument("key")
@click.argument("username")
def groups_remove(key: str, username: str) -> None:
    """Remove a member; the group's tasks they held go back to the group."""
    _run(_engine().remove_group_member, key, username)
    click.echo(f"{username} left {key}")


@groups.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
@click.option("--cursor", default=None, help="The `next:` value printed by the page before.")
def groups_list(limit: int, cursor: str | None) -> None:
    """One page of groups: key, names, members."""
    page = _run(_engine().list_groups, limit, cursor)
    for group in page["items"]:
        click.echo(f"{group['key']}\t{group['name_zh']}\t{group['name_en']}\t{','.join(group['members'])}")
    if page["next"]:
        click.echo(f"next: {page['next']}")


def register(cli: click.Group) -> None:
    cli.add_command(users)
    cli.add_command(groups)
