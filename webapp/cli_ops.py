"""Running the app in production: `serve` (gunicorn, one scheduler beside it), `backup`, `restore`.

`serve` builds the app once in the gunicorn master — that migrates the schema and deploys the
bundled processes before any worker forks — then forks the workers from it (`preload_app`).
Timers fire in one `complaintflow scheduler` child process, never once per worker.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import click

from engine.demo import load_demo_cases

PG_RECIPE = """\
On PostgreSQL use its own tools (consistent while the app runs):
  pg_dump --format=custom --file=complaintflow.dump "$DATABASE_URL"
  pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" complaintflow.dump
  complaintflow audit verify"""

DEFAULT_WORKERS = os.cpu_count() or 2
DEFAULT_THREADS = 4


def _app():
    from .cli import _app as app

    return app()


@click.command("serve")
@click.option("--demo", is_flag=True, help="Create the demo users and a few demo cases (idempotent).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes (about one per core).")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker.")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(5, 3600),
              help="Seconds before a silent worker is killed and replaced.")
@click.option("--access-log", is_flag=True, help="Log every request to standard output.")
@click.option("--no-scheduler", is_flag=True, help="Do not fire timers from here (run `complaintflow scheduler`).")
@click.option("--dev", is_flag=True, help="Flask's development server, one process (never in production).")
def serve(demo: bool, host: str, port: int, workers: int, threads: int, timeout: int, access_log: bool,
          no_scheduler: bool, dev: bool) -> None:
    """Start the web app under gunicorn (embedded SQLite unless DATABASE_URL is set)."""
    app = _app()  # migrates and deploys the bundled processes, once, before any worker exists
    engine = app.extensions["complaintflow"]
    if demo:
        engine.seed_demo_users("demo-pass")
        created = load_demo_cases(engine)
        click.echo(f"demo users ready (password demo-pass); {created} demo case(s) created")
    scheduler = None if no_scheduler else start_scheduler_process()
    try:
        if dev:
            click.echo(f"complaintflow (development server) on http://{host}:{port}/")
            app.run(host=host, port=port, threaded=True, use_reloader=False)
        else:
            click.echo(f"complaintflow on http://{host}:{port}/  ({workers} worker(s) x {threads} thread(s); "
                       f"staff: /login, public: /)")
            run_gunicorn(app, f"{host}:{port}", workers, threads, timeout, access_log)
    finally:
        stop_process(scheduler)


def start_scheduler_process() -> subprocess.Popen:
    """`complaintflow scheduler` as a child that reads the same configuration and dies with us."""
    return subprocess.Popen([sys.executable, "-m", "webapp", "scheduler"], preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when `serve` dies, even by SIGKILL (no orphaned scheduler)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_gunicorn(app, bind: str, workers: int, threads: int, timeout: int, access_log: bool) -> None:
    """Serve `app` (already built) from forked gunicorn workers until SIGTERM or SIGINT."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise click.ClickException("gunicorn is not installed: `pip install gunicorn` (or use --dev)") from None

    database = app.extensions["complaintflow"].ctx.db
    database.engine.dispose()  # no connection crosses the fork

    def post_fork(_server, _worker) -> None:
        database.engine.dispose(close=False)

    settings = {
        "bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread", "timeout": timeout,
        "graceful_timeout": 30, "preload_app": True, "post_fork": post_fork, "proc_name": "complaintflow",
        "accesslog": "-" if access_log else None, "control_socket_disable": True,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in settings.items():
                if value is not None and name in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(name, value)

        def load(self):
            return app

    Server().run()


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Copy the SQLite database to FILE, consistently while the app runs (SQLite's online backup)."""
    database = _app().extensions["complaintflow"].ctx.db
    if not database.is_sqlite:
        click.echo("backup copies the embedded SQLite database only.\n" + PG_RECIPE, err=True)
        sys.exit(2)
    if file.exists():
        click.echo(f"{file} exists; choose a new file name", err=True)
        sys.exit(1)
    raw = database.engine.raw_connection()
    try:
        with closing(sqlite3.connect(file)) as target:
            raw.driver_connection.backup(target)
    finally:
        raw.close()
    click.echo(f"backed up to {file}: {_describe(check_copy(file))}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the configured database without asking.")
def restore(file: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup, after checking the backup's audit chain.

    Stop the server and the scheduler first: running processes would keep what they cached."""
    engine = _app().extensions["complaintflow"]
    database = engine.ctx.db
    if not database.is_sqlite:
        click.echo("restore writes the embedded SQLite database only.\n" + PG_RECIPE, err=True)
        sys.exit(2)
    staged = Path(database.engine.url.database).with_name(".restore-staging.db")
    staged.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(file)) as source, closing(sqlite3.connect(staged)) as target:
            source.backup(target)
        found = check_copy(staged, upgrade=True,  # a backup of an older release is migrated here
                           field_key=engine.ctx.settings.field_key)
        if not found["audit"]["ok"]:
            click.echo(f"{file} is not restored: {_describe(found)}", err=True)
            sys.exit(1)
        if not yes:
            click.confirm(f"Replace {database.engine.url.database} with {file} ({_describe(found)})?", abort=True)
        raw = database.engine.raw_connection()
        try:
            with closing(sqlite3.connect(staged)) as source:
                source.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)
    database.engine.dispose()
    click.echo(f"restored {file}: {_describe(found)}")


def check_copy(path: Path, upgrade: bool = False, field_key: str | None = None) -> dict:
    """What a copied database holds: its cases and whether its audit chain verifies."""
    from sqlalchemy import func, select

    from engine.oversight import audit
    from engine.db import Database
    from engine.models import Case

    copy = Database(f"sqlite:///{path}")
    try:
        if upgrade:
            copy.upgrade(field_key)
        with copy.transaction() as session:
            return {"cases": session.scalar(select(func.count()).select_from(Case)), "audit": audit.verify(session)}
    finally:
        copy.close()


def _describe(found: dict) -> str:
    chain = found["audit"]
    verdict = "audit chain verifies" if chain["ok"] else f"audit chain BROKEN at event {chain['first_bad_seq']}"
    return f"{found['cases']} case(s), {chain['events']} audit event(s), {verdict}"


def register(cli: click.Group) -> None:
    for command in (serve, backup, restore):
        cli.add_command(command)
