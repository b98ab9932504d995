"""The benchmark: one table, one run, on the configured database (DATABASE_URL, else a temporary
SQLite file), beside SpiffWorkflow's in-memory cycle on the same diagram (the reference).

For each size (cases of the three types in realistic states, seeded by bench/seed.py) it measures,
median and p95 and their ratio to the reference's median:
  file a case and claim + complete (the facade, in this process);
  claim and complete over HTTP, inbox mine/available, case list page 1 and a deep page (5,000
  rows in, through the cursor when the list is paged by cursor), a case's history — all against
  the production server (`complaintflow serve`, gunicorn) started here on a free loopback port;
  a sweep firing 100 due timers among all pending ones (the facade, as the scheduler does);
and the server's peak RSS (VmHWM of the gunicorn master and its workers).

    python bench/run.py [--sizes 10000,100000] [--samples 30] [--workers 2] [--threads 4]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.reference import REVIEW, reference_cycle  # noqa: E402
from bench.seed import FIELD_KEY, PASSWORD, bench_url, file_one, open_engine, open_task, seed  # noqa: E402
from bench.server import Server, login, median_p95  # noqa: E402
from engine.clocks.clock import FakeClock  # noqa: E402

DEEP_ROWS = 5000
PAGE = 50
SWEEP_TIMERS = 100
SWEEP_ROUNDS = 5
BUDGET_SECONDS = 30  # a measure stops sampling after this long (at least 3 samples)
SLOW_SECONDS = 600


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Failed(list):
    """A measure that could not be taken (the error is shown in the table instead of numbers)."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = f"failed: {type(error).__name__}"


def timed(call, samples: int, prepare=None) -> list[float]:
    """Seconds of each call, `samples` times or until the budget is spent; `prepare()` (untimed,
    e.g. walking a cursor) returns the call when given."""
    times, spent = [], time.monotonic()
    try:
        call = prepare() if prepare is not None else call
        for _ in range(samples):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
            if len(times) >= 3 and time.monotonic() - spent > BUDGET_SECONDS:
                break
    except Exception as exc:  # noqa: BLE001 (shown in the table; the other measures go on)
        log(f"  a measure failed: {exc!r}")
        return Failed(exc)
    return times


def summary(times: list[float]) -> tuple[float, float, int]:
    """(median ms, p95 ms, samples)."""
    return (*median_p95(times), len(times))


def ok(answer, what: str):
    status, body = answer
    if status >= 400:
        raise RuntimeError(f"{what}: {status} {str(body)[:300]}")
    return body


class LiveServer:
    """The production server for the HTTP measures, watched for memory: when the watchdog kills
    it (the measure in flight fails), the next request starts it again and signs in again."""

    def __init__(self, url: str, field_key: str, args):
        self.url, self.field_key, self.args = url, field_key, args
        self.server: Server | None = None
        self.staff = None
        self.peak = (0.0, 0.0)
        self.kills: list[float] = []

    def request(self, method: str, path: str, body=None, query=None):
        if self.server is None or self.server.process.poll() is not None:
            self._retire()
            # Slow answers are measured, not cut: gunicorn and the client wait up to SLOW_SECONDS.
            self.server = Server(self.url, self.field_key, self.args.workers, self.args.threads,
                                 timeout=SLOW_SECONDS).start()
            self.server.watch(self.args.max_rss)
            self.staff = login(self.server.port, "intake1", PASSWORD, timeout=SLOW_SECONDS)
        return self.staff.request(method, path, body, query)

    def _retire(self) -> None:
        if self.server is None:
            return
        if self.server.killed_at_mb is not None:
            self.kills.append(self.server.killed_at_mb)
            peak = self.server.peak_at_kill
        else:
            peak = self.server.peak_rss_mb()
        self.peak = (max(self.peak[0], peak[0]), max(self.peak[1], peak[1]))
        self.staff.close()
        self.server.stop()
        self.server = None

    def stop(self) -> None:
        self._retire()


class Lists:
    """The list endpoints as they are: paged by cursor ({"items", "next", "total"}) or not."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **query):
        probe = ok(self.client.request("GET", path, query=query), path)
        if isinstance(probe, dict) and "next" in probe:
            query = {"limit": PAGE, **query}
        return lambda: ok(self.client.request("GET", path, query=query), path)

    def deep(self, path: str):
        """A call fetching the page DEEP_ROWS rows in (cursor walked there once, untimed)."""
        first = ok(self.client.request("GET", path, query={"limit": PAGE}), path)
        if isinstance(first, dict) and "next" in first:
            cursor, walked = first["next"], PAGE
            while cursor and walked < DEEP_ROWS:
                page = ok(self.client.request("GET", path, query={"limit": PAGE, "cursor": cursor}), path)
                cursor, walked = page["next"], walked + PAGE
            query = {"limit": PAGE, "cursor": cursor}
        else:  # page numbers
            query = {"page": DEEP_ROWS // PAGE + 1, "per_page": PAGE}
        return lambda: ok(self.client.request("GET", path, query=query), path)


def measure_size(engine, clock: FakeClock, url: str, field_key: str, args, templates) -> dict:
    results: dict[str, object] = {}
    now = datetime.now(timezone.utc)
    clock.set(now)
    intake = engine.actor_for("intake1")

    filed = [file_one(engine, clock, "complaint", "intake1")["id"] for _ in range(3)]
    results["reference"] = reference_cycle(engine, filed[0], max(args.samples, 50))

    results["commit"] = durable_commits(engine, args.samples)
    ids: list[int] = []
    results["file"] = timed(lambda: ids.append(file_one(engine, clock, "complaint", "intake1")["id"]), args.samples)

    reviews = iter([open_task(engine, case_id, "review")["id"] for case_id in ids])  # found before: not timed

    def claim_complete():
        task_id = next(reviews)
        engine.claim_task(intake, task_id)
        engine.complete_task(intake, task_id, REVIEW)
    results["claim + complete"] = timed(claim_complete, len(ids))

    live = LiveServer(url, field_key, args)
    try:
        live.request("GET", "/login")
        http_cases = [file_one(engine, clock, "complaint", "intake1")["id"] for _ in range(args.samples)]
        tasks = iter([open_task(engine, case_id, "review")["id"] for case_id in http_cases])
        held: list[int] = []

        def claim():
            held.append(next(tasks))
            ok(live.request("POST", f"/api/v1/tasks/{held[-1]}/claim"), "claim")
        results["claim (HTTP)"] = timed(claim, args.samples)
        done = iter(held)
        results["complete (HTTP)"] = timed(
            lambda: ok(live.request("POST", f"/api/v1/tasks/{next(done)}/complete", {"data": REVIEW}), "complete"),
            len(held))

        lists = Lists(live)
        results["inbox mine (HTTP)"] = timed(None, args.samples, lambda: lists.get("/api/v1/tasks", scope="mine"))
        results["inbox available (HTTP)"] = timed(None, args.samples,
                                                  lambda: lists.get("/api/v1/tasks", scope="available"))
        results["case list page 1 (HTTP)"] = timed(None, args.samples, lambda: lists.get("/api/v1/cases"))
        results[f"case list {DEEP_ROWS} rows in (HTTP)"] = timed(None, args.samples,
                                                                 lambda: lists.deep("/api/v1/cases"))
        closed = templates["complaint/closed"][0]
        history = f"/api/v1/cases/{closed}/history"
        results["case history (HTTP)"] = timed(lambda: ok(live.request("GET", history), "history"), args.samples)
    finally:
        live.stop()
    results["server peak RSS"] = live.peak
    results["server kills"] = live.kills

    results.update(sweep(engine, clock, now))
    with engine.ctx.db.engine.connect() as conn:
        results["cases"] = conn.execute(sa.text("SELECT count(*) FROM complaint_case")).scalar()
    return results


def durable_commits(engine, samples: int) -> list[float]:
    """Seconds of committing one small row, nothing else: what durability alone costs per
    transaction on this machine and database (SQLite: WAL with synchronous=FULL, an fsync per
    commit; PostgreSQL: a WAL flush). A claim + complete is two such commits."""
    db = engine.ctx.db.engine
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_commit (at TEXT)")

    def one():
        with db.begin() as conn:
            conn.execute(sa.text("INSERT INTO bench_commit (at) VALUES (:at)"), {"at": str(time.time())})
    times = timed(one, max(samples, 50))
    with db.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_commit")
    return times


def sweep(engine, clock: FakeClock, now: datetime) -> dict:
    """Fire 100 due timers among all pending ones, SWEEP_ROUNDS times: each round files tender
    complaints three weeks back (their acceptance deadline has passed), then times one sweep."""
    engine.fire_timers(now)  # whatever the seed left due: not part of the measure
    times, fired = [], []

    def count(where: str) -> int:
        with engine.ctx.db.engine.connect() as conn:  # closed at once: no lock kept on SQLite
            return conn.execute(sa.text(f"SELECT count(*) FROM timer WHERE {where}"), {"now": now}).scalar()

    for _ in range(SWEEP_ROUNDS):
        clock.set(now - timedelta(days=21))
        while count("fired_at IS NULL AND due_at <= :now") < SWEEP_TIMERS:
            file_one(engine, clock, "tender_complaint", "clerk1")
            clock.advance(minutes=1)
        pending = count("fired_at IS NULL")
        clock.set(now)
        started = time.perf_counter()
        fired.append(engine.fire_timers(now))
        times.append(time.perf_counter() - started)
    return {"sweep": times, "sweep fired": fired, "sweep pending": pending}


def table(sizes: list[int], by_size: dict[int, dict], database: str, args) -> str:
    rows = ["reference", "commit", "file", "claim + complete", "claim (HTTP)", "complete (HTTP)", "inbox mine (HTTP)",
            "inbox available (HTTP)", "case list page 1 (HTTP)", f"case list {DEEP_ROWS} rows in (HTTP)",
            "case history (HTTP)", "sweep"]
    labels = {"reference": "SpiffWorkflow in-memory cycle (reference)", "file": "file a case (facade)",
              "commit": "one durable commit of one row (no engine)",
              "claim + complete": "claim + complete (facade)",
              "sweep": f"sweep: {SWEEP_TIMERS} due timers among all pending"}
    width = 46
    head = f"{'':{width}}" + "".join(f"{f'{size:,} cases':>30}" for size in sizes)
    sub = f"{'measure (ms)':{width}}" + "".join(f"{'median':>10}{'p95':>10}{'x ref':>10}" for _ in sizes)
    lines = [f"complaintflow bench: {database}, {os.cpu_count()} cores ({platform.machine()}), Python "
             f"{platform.python_version()}, gunicorn {args.workers} worker(s) x {args.threads} thread(s)",
             head, sub]
    for key in rows:
        line = f"{labels.get(key, key):{width}}"
        for size in sizes:
            found = by_size[size]
            if isinstance(found[key], Failed):
                line += f"{found[key].error:>30}"
                continue
            median, p95, _n = summary(found[key])
            reference = summary(found["reference"])[0]
            line += f"{median:10.2f}{p95:10.2f}{median / reference:10.1f}"
        lines.append(line)
    line = f"{'server peak RSS, MiB (largest / all processes)':{width}}"
    for size in sizes:
        largest, total = by_size[size]["server peak RSS"]
        line += f"{f'{largest:.0f} / {total:.0f}':>30}"
    lines.append(line)
    line = f"{'server killed by the memory watchdog at, MiB':{width}}"
    for size in sizes:
        kills = by_size[size]["server kills"]
        line += f"{', '.join(f'{mb:.0f}' for mb in kills) or 'never':>30}"
    lines.append(line)
    line = f"{'timers fired per sweep; pending at the sweep':{width}}"
    for size in sizes:
        found = by_size[size]
        fired = f"{min(found['sweep fired'])}-{max(found['sweep fired'])}; {found['sweep pending']:,}"
        line += f"{fired:>30}"
    lines.append(line)
    line = f"{'cases in the database at the end':{width}}"
    for size in sizes:
        line += f"{by_size[size]['cases']:>30,}"
    lines.append(line)
    line = f"{'audit verify after seeding':{width}}"
    for size in sizes:
        chain = by_size[size]["audit"]
        line += f"{('ok, ' if chain['ok'] else 'BROKEN, ') + format(chain['events'], ',') + ' events':>30}"
    lines.append(line)
    return "\n".join(lines)


def settle(engine) -> None:
    """After a bulk seed, let the database catch up as a running centre's would have: fresh
    planner statistics and the seed's writes flushed (PostgreSQL; else autovacuum and a checkpoint
    would run during the first measures). SQLite checkpoints its WAL by itself: nothing to do."""
    if engine.ctx.db.is_sqlite:
        return
    started = time.perf_counter()
    with engine.ctx.db.engine.connect() as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.exec_driver_sql("VACUUM ANALYZE")
        try:
            auto.exec_driver_sql("CHECKPOINT")  # superuser only: else the server's own checkpoints
        except sa.exc.DBAPIError:
            pass
    log(f"  settled (analyze, checkpoint) in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated case counts, ascending")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-rss", type=float, default=4096,
                        help="MiB (master and workers together) at which the server is killed; the measure fails")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    url, folder = bench_url()
    field_key = FIELD_KEY
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(days=1))
    engine = open_engine(url, field_key, clock)
    database = engine.ctx.db.engine.dialect.name
    by_size: dict[int, dict] = {}
    templates = None
    try:
        for size in sizes:
            log(f"seeding {size:,} cases on {database}")
            clock.set(datetime.now(timezone.utc) - timedelta(days=1))
            templates = seed(engine, clock, size, templates, progress=log)
            chain = engine.verify_audit()
            log(f"  audit verify: {chain}")
            settle(engine)
            log(f"measuring at {size:,} cases")
            by_size[size] = {**measure_size(engine, clock, url, field_key, args, templates), "audit": chain}
    finally:
        engine.close()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    print(table(sizes, by_size, database, args))


if __name__ == "__main__":
    main()
