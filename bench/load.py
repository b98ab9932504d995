"""Load and faults against the production server (not a CI test): N clients for S seconds.

Starts `complaintflow serve` (gunicorn) on a free loopback port against DATABASE_URL (meant for
PostgreSQL; without it a temporary SQLite file), then runs clients that do what a centre's staff
does — file complaints, read their inbox and the case list, claim available tasks and complete
them with valid forms — and afterwards checks:

  * no answer was a 5xx;
  * every completion a client was told succeeded is recorded exactly once (its task row is
    completed and exactly one `task_completed` audit event names it), and no task was completed
    twice; every completed task row has its event and every event its completed row;
  * every open case has a next step (a ready task or a pending timer): no case stopped half-way;
  * `audit verify` passes.

With `--kill` the server (master and workers) is SIGKILLed half-way and started again; requests
in flight then have an unknown outcome, and the checks above must hold all the same.

    DATABASE_URL=postgresql://.../cf_load python bench/load.py [--clients 20] [--seconds 60] [--kill]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.seed import FIELD_KEY, FINDINGS, PASSWORD, bench_url, open_engine  # noqa: E402
from bench.server import Client, Server, items_of, login, median_p95  # noqa: E402
from engine.clocks.clock import SystemClock  # noqa: E402
from tests.factories import intake_data  # noqa: E402

# Who the clients are (round-robin) and the form each of them sends for the tasks they work.
STAFF = ("intake1", "intake2", "quality1", "quality2", "supervisor1", "followup1")
FORMS = {
    "review": {"decision": "accept", "reason": "受理", "complex": False},
    "investigate": FINDINGS,
    "approve": {"approved": True, "comment": "同意"},
    "reply": {"reply_text": "已为您处理。"},
    "followup": {"satisfaction": "satisfied", "comment": "满意"},
}
MAX_CLIENTS, MAX_SECONDS = 50, 600


class Tally:
    """What the clients saw, shared across their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.actions: Counter = Counter()
        self.completed: list[int] = []  # task ids whose completion answered 200
        self.unknown: list[int] = []  # completions in flight when the server died
        self.server_errors: list[str] = []
        self.refusals: Counter = Counter()  # 4xx answers by action and message (races between clients)
        self.refused = 0
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def saw(self, action: str, status: int, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            self.actions[(action, status)] += 1
            self.latencies[action].append(seconds)
            if 400 <= status < 500:
                self.refusals[(action, status, detail.split("'message': ")[-1][:80])] += 1
            if status >= 500:
                self.server_errors.append(f"{action} {status} {detail[:200]}")


def client_loop(port: int, username: str, stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    client: Client | None = None
    while not stop.is_set():
        try:
            if client is None:
                client = login(port, username, PASSWORD)
            action = rng.choices(("file", "list", "work"), weights=(2, 3, 5))[0]
            if action == "file" and username.startswith("intake"):
                call(client, tally, "file", "POST", "/api/v1/cases", {"type": "complaint", "data": intake_data("complaint")})
            elif action == "list" or action == "file":
                path, query = rng.choice((("/api/v1/tasks", {"scope": "mine"}), ("/api/v1/tasks", {"scope": "available"}),
                                          ("/api/v1/cases", {})))
                call(client, tally, "list", "GET", path, query=query)
            else:
                work_one(client, tally, rng)
        except (OSError, http.client.HTTPException):  # the server is down (--kill): wait for it
            with tally.lock:
                tally.refused += 1
            if client is not None:
                client.close()
            client = None
            stop.wait(0.2)
    if client is not None:
        client.close()


def call(client: Client, tally: Tally, action: str, method: str, path: str, body=None, query=None):
    started = time.perf_counter()
    status, answer = client.request(method, path, body, query)
    tally.saw(action, status, time.perf_counter() - started, str(answer))
    return status, answer


def work_one(client: Client, tally: Tally, rng: random.Random) -> None:
    """Hold a task (mine first, else claim an available one) and complete it with a valid form."""
    status, mine = call(client, tally, "list", "GET", "/api/v1/tasks", query={"scope": "mine"})
    held = [t for t in items_of(mine) if t["element_id"] in FORMS] if status == 200 else []
    if not held:
        status, available = call(client, tally, "list", "GET", "/api/v1/tasks", query={"scope": "available"})
        offered = [t for t in items_of(available) if t["element_id"] in FORMS] if status == 200 else []
        if not offered:
            return
        task = rng.choice(offered[:20])
        status, _ = call(client, tally, "claim", "POST", f"/api/v1/tasks/{task['id']}/claim")
        if status != 200:
            return  # 409: someone else took it first
        held = [task]
    task = held[0]
    try:
        status, _ = call(client, tally, "complete", "POST", f"/api/v1/tasks/{task['id']}/complete",
                         {"data": FORMS[task["element_id"]]})
    except (OSError, http.client.HTTPException):
        with tally.lock:
            tally.unknown.append(task["id"])
        raise
    if status == 200:
        with tally.lock:
            tally.completed.append(task["id"])


def check(engine, tally: Tally) -> list[str]:
    """The database after the run: what must hold (an empty list when all is well)."""
    problems = []
    with engine.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, case_id, state FROM human_task")).all()
        events = conn.execute(sa.text("SELECT detail FROM audit_event WHERE kind = 'task_completed'")).scalars()
        completions = Counter(json.loads(detail).get("task") for detail in events)
        stuck = conn.execute(sa.text(
            "SELECT c.id, c.number FROM complaint_case c WHERE c.status = 'open' "
            "AND NOT EXISTS (SELECT 1 FROM human_task t WHERE t.case_id = c.id AND t.state = 'ready') "
            "AND NOT EXISTS (SELECT 1 FROM timer m WHERE m.case_id = c.id AND m.fired_at IS NULL)")).all()
    state = {row.id: row.state for row in rows}
    twice = [task for task, n in completions.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} task(s) completed more than once: {twice[:10]}")
    told = Counter(tally.completed)
    if any(n > 1 for n in told.values()):
        problems.append(f"clients were told twice that a task completed: {[t for t, n in told.items() if n > 1][:10]}")
    missing = [t for t in told if completions.get(t) != 1 or state.get(t) != "completed"]
    if missing:
        problems.append(f"{len(missing)} completion(s) answered 200 but not recorded once: {missing[:10]}")
    no_event = [t for t, s in state.items() if s == "completed" and completions.get(t) != 1]
    if no_event:
        problems.append(f"{len(no_event)} completed task row(s) without exactly one event: {no_event[:10]}")
    no_row = [t for t in completions if state.get(t) != "completed"]
    if no_row:
        problems.append(f"{len(no_row)} task_completed event(s) whose task is not completed: {no_row[:10]}")
    if stuck:
        problems.append(f"{len(stuck)} open case(s) with no ready task and no pending timer: {stuck[:10]}")
    chain = engine.verify_audit()
    if not chain["ok"]:
        problems.append(f"audit chain broken at {chain['first_bad_seq']}")
    if tally.server_errors:
        problems.append(f"{len(tally.server_errors)} 5xx answer(s): {tally.server_errors[:5]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server half-way and start it again")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--cases", type=int, default=50, help="complaints filed before the clients start")
    args = parser.parse_args()
    clients, seconds = min(args.clients, MAX_CLIENTS), min(args.seconds, MAX_SECONDS)

    url, _folder = bench_url()
    field_key = FIELD_KEY
    engine = open_engine(url, field_key, SystemClock())
    intake = engine.actor_for("intake1")
    for _ in range(args.cases):
        engine.file_case(intake, "complaint", intake_data("complaint"))
    database = engine.ctx.db.engine.dialect.name
    print(f"load: {clients} client(s) for {seconds:.0f} s against gunicorn ({args.workers} x {args.threads}) "
          f"on {database}{' with a SIGKILL half-way' if args.kill else ''}")

    log = os.path.join(tempfile.gettempdir(), f"complaintflow-load-{os.getpid()}.log")
    server = Server(url, field_key, args.workers, args.threads, log=log).start()
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=client_loop, args=(server.port, STAFF[i % len(STAFF)], stop, tally, i),
                                daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        if args.kill:
            time.sleep(seconds / 2)
            print(f"  SIGKILL to the server at {time.monotonic() - started:.1f} s "
                  f"({len(tally.completed)} completion(s) so far)")
            server.kill()
            server = Server(url, field_key, args.workers, args.threads, port=server.port, log=log).start()
            print(f"  server back at {time.monotonic() - started:.1f} s")
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.stop()

    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    print(f"  requests by status: {statuses}; refused while down: {tally.refused}")
    for action, times in sorted(tally.latencies.items()):
        median, p95 = median_p95(times)
        answers = ", ".join(f"{status}: {n}" for (name, status), n in sorted(tally.actions.items()) if name == action)
        print(f"  {action:<9} {len(times):6d}  median {median:7.1f} ms  p95 {p95:7.1f} ms  ({answers})")
    for (action, status, message), n in tally.refusals.most_common(4):
        print(f"  refused: {n} x {action} {status} {message}")
    print(f"  completions answered 200: {len(tally.completed)}; outcome unknown (in flight at the kill): "
          f"{len(tally.unknown)}")
    problems = check(engine, tally)
    chain = engine.verify_audit()
    print(f"  audit verify: {json.dumps(chain)}")
    engine.close()
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems) + f"\n  server log: {log}")
        sys.exit(1)
    print(f"OK at {datetime.now(timezone.utc).isoformat(timespec='seconds')}: no 5xx, every completion recorded "
          f"exactly once, every open case has a next step, the audit chain verifies")


if __name__ == "__main__":
    main()
