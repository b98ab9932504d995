"""The `complaintflow` command line: scheduler, timers fire, audit verify, deploy, demo (serve, backup
and restore are in cli_ops, key and retention commands in cli_confidential).

The same commands hang under `flask` (`app.cli`) so tests drive them with `app.test_cli_runner()`.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context

from engine.demo import load_demo_cases
from engine.mailer import smtp_sender

from .cli_types import INSTANT


def _engine():
    return _app().extensions["complaintflow"]


def _app() -> Flask:
    """The app of the running command: the test runner's or `flask --app`'s when there is one
    (so `timers fire` acts on the caller's database), else one built from configuration. The
    app context lives as long as the command."""
    from flask.cli import ScriptInfo

    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context else None
    if info is not None and info.create_app is not None:
        app = info.load_app()
    elif has_app_context():
        return current_app._get_current_object()
    else:
        from . import create_app

        app = create_app()
    app_context = app.app_context()
    app_context.push()
    if context is not None:
        context.call_on_close(app_context.pop)
    return app


@click.group(help="complaintflow: a BPM deployment for complaint centres.")
def cli() -> None:
    """Entry point."""


@cli.command("scheduler")
@click.option("--interval", default=30, show_default=True, type=int, help="Seconds between ticks.")
def scheduler(interval: int) -> None:
    """Run only the timer scheduler (production: one or more of these beside the web workers)."""
    from engine.clocks.scheduler import run_blocking_scheduler

    run_blocking_scheduler(_engine(), interval, sender=smtp_sender(_app().config))


@cli.group("timers")
def timers() -> None:
    """Timer commands."""


@timers.command("fire")
@click.option("--as-of", "as_of", required=True, type=INSTANT, help="e.g. 2026-11-05T00:00:00+08:00")
def timers_fire(as_of: datetime) -> None:
    """Fire every timer due at that instant and print how many fired."""
    engine = _engine()
    fired = engine.fire_timers(as_of)
    click.echo(f"{fired} timer(s) fired")
    click.echo(f"{engine.send_task_alerts(as_of)} task reminder(s) and escalation(s) sent")


@cli.group("audit")
def audit() -> None:
    """Audit log commands."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 and name the first bad event if it is broken."""
    result = _engine().verify_audit()
    click.echo(json.dumps(result))
    if not result["ok"]:
        click.echo(f"audit chain broken at event {result['first_bad_seq']} ({result['problem']}): "
                   f"{result['message']}", err=True)
        sys.exit(1)


@cli.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", required=True)
@click.option("--name", required=True)
@click.option("--private", is_flag=True, help="Not offered on the public page.")
@click.option("--comment", default="", help="The version's comment (shown on its versions page).")
@click.option("--confirm-replace", is_flag=True, help="Allow a different process to replace the type.")
@click.option("--lane", "lanes", multiple=True, metavar="LANE=GROUP",
              help='Which group does a lane\'s tasks, e.g. --lane "Finance Team=finance" (repeatable).')
@click.option("--main-process", default=None, help="The process id that runs, when the files hold several.")
def deploy(files: tuple[Path, ...], key: str, name: str, private: bool, comment: str, confirm_replace: bool,
           lanes: tuple[str, ...], main_process: str | None) -> None:
    """Deploy a process type from .bpmn, .dmn and .json form files as its new version."""
    from engine.actors import Actor
    from engine.errors import EngineError

    lane_groups = {}
    for item in lanes:
        lane, sep, group = item.rpartition("=")
        if not sep or not lane.strip() or not group.strip():
            raise click.BadParameter(f"{item!r}: write LANE=GROUP, e.g. \"Finance Team=finance\"", param_hint="--lane")
        lane_groups[lane.strip()] = group.strip()
    operator = Actor(username="cli", roles=frozenset({"admin"}))
    try:
        result = _engine().deploy(operator, key, name, {f.name: f.read_bytes() for f in files}, not private,
                                  comment=comment, confirm_replace=confirm_replace,
                                  lane_groups=lane_groups or None, main_process=main_process)
    except EngineError as exc:
        click.echo(json.dumps(exc.to_dict(), ensure_ascii=False, indent=2), err=True)
        sys.exit(1)
    click.echo(f"deployed {result['key']} version {result['version']}")


@cli.command("demo")
def demo() -> None:
    """Create the demo users and demo cases without starting the server."""
    engine = _engine()
    engine.seed_demo_users("demo-pass")
    click.echo(f"{load_demo_cases(engine)} demo case(s) created")


@cli.group("calendar")
def calendar() -> None:
    """Working-calendar commands (holidays and adjusted working weekends)."""


def _cli_admin():
    from engine.actors import Actor

    return Actor(username="cli", roles=frozenset({"admin"}))


@calendar.command("import")
@click.option("--year", required=True, type=int)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The official notice as lines `YYYY-MM-DD[..YYYY-MM-DD] holiday|working [name]`; "
                   "without it, chinese_calendar's data for a year it covers.")
def calendar_import(year: int, path: Path | None) -> None:
    """Import a year's official schedule; provisional deadlines of open cases are recounted."""
    from engine.errors import EngineError

    try:
        result = _engine().calendar_import_year(_cli_admin(), year, path.read_text("utf-8") if path else None)
    except EngineError as exc:
        click.echo(json.dumps(exc.to_dict(), ensure_ascii=False), err=True)
        sys.exit(1)
    click.echo(f"imported {year}: {result['days']} day(s); recounted {len(result['recounted'])} case(s)")


@calendar.command("recount")
def calendar_recount() -> None:
    """Recount every open case's provisional deadlines on the calendar as it stands."""
    moved = _engine().recount_provisional_deadlines(_cli_admin())
    click.echo(f"recounted {len(moved)} case(s)")


@cli.group("outbox")
def outbox() -> None:
    """Mail outbox commands."""


@outbox.command("send")
def outbox_send() -> None:
    """Deliver queued mail through SMTP (COMPLAINTFLOW_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM)."""
    sender = smtp_sender(_app().config)
    if sender is None:
        click.echo("SMTP_HOST is not configured; mail stays in the outbox", err=True)
        sys.exit(1)
    result = _engine().send_outbox(sender)
    click.echo(f"{result['sent']} sent, {result['failed']} failed")


from .cli_confidential import register as _register_confidential  # noqa: E402
from .cli_ops import register as _register_ops  # noqa: E402
from .cli_users import register as _register_users  # noqa: E402

_register_confidential(cli)
_register_users(cli)
_register_ops(cli)


def init_app(app: Flask) -> None:
    for command in cli.commands.values():
        app.cli.add_command(command)


def main() -> None:
    cli(prog_name="complaintflow")
