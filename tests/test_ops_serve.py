"""`complaintflow serve` runs gunicorn: the app is built once in the master (schema migrated and
bundled processes deployed once, not per worker), workers are forked from it, one scheduler child
runs beside them, and SIGTERM stops all of them."""
from __future__ import annotations

import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import TEST_FIELD_KEY

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _wait_for_lines(process, needle: str, count: int, within: float) -> list[str]:
    """Read the server's log until `needle` has appeared `count` times (bounded by `within` s)."""
    lines, deadline = [], time.monotonic() + within
    while sum(needle in line for line in lines) < count:
        left = deadline - time.monotonic()
        assert left > 0 and process.poll() is None, "server did not start:\n" + "".join(lines)
        ready, _, _ = select.select([process.stderr], [], [], left)
        if ready:
            lines.append(process.stderr.readline().decode())
    return lines


def test_serve_runs_gunicorn_workers_and_one_scheduler_and_stops_them(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
           "COMPLAINTFLOW_SECRET_KEY": "test-secret", "COMPLAINTFLOW_FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY,
           "COMPLAINTFLOW_FAST_PASSWORD_HASHING": "true"}
    server = subprocess.Popen([sys.executable, "-m", "webapp", "serve", "--port", str(port), "--workers", "2",
                               "--threads", "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        _wait_for_lines(server, "Booting worker", 2, within=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as types:
            assert types.status == 200

        children = _children(server.pid)
        commands = [_cmdline(pid) for pid in children]
        assert sum(" scheduler" in c for c in commands) == 1
        assert sum(" serve " in c for c in commands) == 2  # the forked workers
        with sqlite3.connect(tmp_path / "served.db") as db:
            deployed = db.execute("SELECT count(*) FROM audit_event WHERE kind = 'process_deployed'").fetchone()[0]
        assert deployed == 3  # once, by the master, not once per worker or by the scheduler

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
                       for pid in children)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
