"""Time the hot lists on a big database: bulk-seeded cases and tasks, then the inbox and the
case list through the Flask test client (SQLite in a temporary folder, or DATABASE_URL).

    python bench/seed_lists.py [cases] [tasks_per_case]

Three real cases (one per type) are filed through the engine; the rest are bulk copies of them
(same workflow JSON, viewers and task rows, new ids and numbers) inserted in a few statements:
a seeding shortcut for timing reads, not a valid audit history. About a quarter of the tasks are
open, spread over the type's lanes, some held, some overdue.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/ is not installed

from engine.clocks.clock import FakeClock  # noqa: E402
from engine.confidential.crypto import generate_key  # noqa: E402
from engine.models import Case, CaseViewer, Task  # noqa: E402
from tests.factories import decoded, default_attachments, intake_data  # noqa: E402

GROUPS = {"complaint": ["intake", "dept_quality", "supervisor", "followup"],
          "tender_complaint": ["tender_clerk", "tender_investigators", "tender_head"],
          "internal_report": ["integrity_office", "investigation_team", "committee"]}


def seed(engine, cases: int, per_case: int) -> None:
    intake = engine.actor_for("intake1")
    templates = {}
    for key in GROUPS:
        filed = engine.file_case(intake if key == "complaint" else None, key, intake_data(key),
                                 decoded(default_attachments(key)))
        templates[key] = filed["id"]
    db = engine.ctx.db.engine
    columns = {c["name"] for c in sa.inspect(db).get_columns("human_task")}
    with db.begin() as conn:
        rows = {k: conn.execute(sa.select(Case.__table__).where(Case.id == v)).mappings().one() for k, v in templates.items()}
        viewers = {k: conn.execute(sa.select(CaseViewer.group_name, CaseViewer.username)
                                   .where(CaseViewer.case_id == v)).all() for k, v in templates.items()}
        next_id = conn.scalar(sa.select(sa.func.max(Case.id))) + 1
    now = engine.now()
    rng = random.Random(7)
    keys = list(GROUPS)
    done = 0
    while done < cases:
        batch = min(5000, cases - done)
        case_rows, viewer_rows, task_rows = [], [], []
        for i in range(batch):
            cid = next_id + done + i
            key = keys[cid % 3]
            row = dict(rows[key])
            created = now - timedelta(minutes=(cases - done - i))
            row.update(id=cid, number=f"B-{cid:07d}", receipt_lookup=None, created_at=created, updated_at=created,
                       status="open" if rng.random() < 0.4 else "closed")
            case_rows.append(row)
            viewer_rows += [{"case_id": cid, "group_name": g, "username": u} for g, u in viewers[key]]
            for t in range(per_case):
                is_open = row["status"] == "open" and t == per_case - 1
                group = rng.choice(GROUPS[key])
                due = now + timedelta(hours=rng.randint(-72, 400))
                task = {"case_id": cid, "spiff_id": f"s{cid}-{t}", "element_id": f"step{t}", "name": f"步骤 {t}",
                        "lane": group, "candidate_group": group, "candidates": None,
                        "assignee": ("intake1" if group == "intake" and rng.random() < 0.1 else None),
                        "state": "ready" if is_open else "completed", "form_name": None, "due_at": due,
                        "created_at": created}
                if "remind_at" in columns:
                    task.update(remind_at=due - timedelta(days=1), escalate_at=due)
                task_rows.append(task)
        with db.begin() as conn:
            conn.execute(sa.insert(Case.__table__), case_rows)
            conn.execute(sa.insert(CaseViewer.__table__), viewer_rows)
            conn.execute(sa.insert(Task.__table__), task_rows)
        done += batch
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))


def timed(client, url: str, headers: dict, runs: int = int(os.environ.get("BENCH_RUNS", "15"))) -> tuple[float, float, dict]:
    samples, body = [], None
    for _ in range(runs):
        start = time.perf_counter()
        resp = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        body = resp.get_json()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], body


def main(cases: int, per_case: int) -> None:
    from webapp import create_app

    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "FIELD_ENCRYPTION_KEY": generate_key(),
                      "CLOCK": clock, "FAST_PASSWORD_HASHING": True, "RATELIMIT_ENABLED": False})
    engine = app.extensions["complaintflow"]
    engine.seed_demo_users("demo-pass")
    start = time.perf_counter()
    seed(engine, cases, per_case)
    print(f"seeded {cases} cases, {cases * per_case} tasks in {time.perf_counter() - start:.1f} s ({url})")
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "intake1", "password": "demo-pass"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    auditor = client.post("/api/v1/auth/token", json={"username": "auditor1", "password": "demo-pass"}).get_json()["token"]
    checks = [("inbox available (intake1)", "/api/v1/tasks?scope=available", headers),
              ("inbox mine (intake1)", "/api/v1/tasks?scope=mine", headers),
              ("cases page 1 (intake1)", "/api/v1/cases", headers),
              ("cases page 1 (auditor1)", "/api/v1/cases", {"Authorization": f"Bearer {auditor}"})]
    for name, url_, hdrs in checks:
        median, p95, body = timed(client, url_, hdrs)
        size = len(body["items"]) if isinstance(body, dict) else len(body)
        print(f"{name:32} median {median:8.1f} ms  p95 {p95:8.1f} ms  items {size}  total {body.get('total') if isinstance(body, dict) else '-'}")
    deep = "/api/v1/cases?page=400&per_page=50"
    median, p95, _ = timed(client, deep, {"Authorization": f"Bearer {auditor}"})
    print(f"{'cases page 400 by offset':32} median {median:8.1f} ms  p95 {p95:8.1f} ms")
    try:
        from engine import paging
    except ImportError:
        return
    cursor = paging.encode("cases", (cases // 10,))
    median, p95, _ = timed(client, f"/api/v1/cases?cursor={cursor}", {"Authorization": f"Bearer {auditor}"})
    print(f"{'cases deep cursor page':32} median {median:8.1f} ms  p95 {p95:8.1f} ms")
    start = time.perf_counter()
    sent = engine.send_task_alerts(engine.now())
    print(f"alert sweep: {sent} sent in {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50000, int(sys.argv[2]) if len(sys.argv) > 2 else 4)
