"""The production server (`complaintflow serve`, gunicorn) as a subprocess on a free loopback port,
and a small keep-alive JSON client for it. Used by bench/run.py and bench/load.py."""
from __future__ import annotations

import http.client
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`complaintflow serve --no-scheduler` against `url`, with the bench's secrets."""

    def __init__(self, url: str, field_key: str, workers: int = 2, threads: int = 4, port: int | None = None,
                 log: str | None = None, timeout: int = 60):
        self.url, self.field_key, self.workers, self.threads, self.log = url, field_key, workers, threads, log
        self.timeout = timeout  # gunicorn kills a worker silent for longer
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def start(self, within: float = 120) -> "Server":
        env = {**os.environ, "DATABASE_URL": self.url, "COMPLAINTFLOW_SECRET_KEY": "bench-secret",
               "COMPLAINTFLOW_FIELD_ENCRYPTION_KEY": self.field_key, "COMPLAINTFLOW_FAST_PASSWORD_HASHING": "true",
               "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", str(self.timeout),
             "--no-scheduler"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab") if self.log else subprocess.DEVNULL)  # noqa: SIM115 (the child holds it)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if Client(self.port).request("GET", "/login")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer in time")

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        if self.process is None or self.process.poll() is not None:
            return []
        found = [self.process.pid]
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    def peak_rss_mb(self) -> tuple[float, float]:
        """(largest single process, sum over master and workers) of VmHWM, in MiB."""
        peaks = []
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
        return (max(peaks), sum(peaks)) if peaks else (0.0, 0.0)

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS) of the master and workers together, in MiB."""
        total = 0.0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += sum(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
        return total

    def watch(self, limit_mb: float) -> None:
        """SIGKILL the server if master and workers together pass `limit_mb` (a shared machine must
        not be driven out of memory by an unbounded endpoint); `killed_at_mb` says it happened."""
        self.killed_at_mb = None

        def watchdog():
            while self.process is not None and self.process.poll() is None:
                now = self.rss_mb()
                if now > limit_mb:
                    self.peak_at_kill = self.peak_rss_mb()
                    self.killed_at_mb = now
                    self.kill()
                    return
                time.sleep(0.25)

        threading.Thread(target=watchdog, daemon=True).start()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (a crash, not a shutdown)."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Client:
    """One keep-alive connection; `request` answers (status, parsed JSON or text)."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 60):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        if query:
            path = f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        while True:
            reused = self.conn is not None
            if not reused:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, payload, headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed an idle keep-alive connection: once more on a new one
                if not reused:
                    raise
        text = raw.decode("utf-8", "replace")
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, (json.loads(text) if is_json and text else text)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(port: int, username: str, password: str, timeout: float = 60) -> Client:
    status, body = Client(port).request("POST", "/api/v1/auth/token", {"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"token for {username}: {status} {body}")
    return Client(port, body["token"], timeout)


def median_p95(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) of the seconds, in milliseconds."""
    ordered = sorted(times)
    rank = min(len(ordered), max(1, math.ceil(0.95 * len(ordered))))
    return statistics.median(ordered) * 1000, ordered[rank - 1] * 1000


def items_of(answer) -> list:
    """List endpoints answer a list (before paging) or {"items", "next", "total"}."""
    return answer if isinstance(answer, list) else answer["items"]
