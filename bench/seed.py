"""Seed a benchmark database with many cases of the three types in realistic states, honestly.

Filing 100,000 cases through the engine (about 15 ms each, several steps for closed ones) would
take hours, so: a few template cases of each type and state are filed and worked through the
engine (the facade), then their rows — case, tasks, timers, viewers, exclusions, messages,
attachments, notifications, mail, pauses, extension requests and audit events — are cloned in
bulk INSERTs with fresh ids and case numbers. The cloned audit events are appended to the chain
in order, each hashed by the engine's own chain function, so `audit verify` passes.

Columns are read from the database (reflection), so columns added by later migrations are copied
too. Receipts of cloned cases are fresh look-ups that no one holds (their codes are not known).

    python bench/seed.py --cases 10000        # on DATABASE_URL or a temporary SQLite file
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/ is not installed

from engine import EngineSettings, build_engine  # noqa: E402
from engine.oversight import audit as audit_chain# noqa: E402
from engine.clocks.clock import FakeClock  # noqa: E402
from engine.demo import DEMO_USERS  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from handlers import build_registry  # noqa: E402
from tests.factories import decoded, default_attachments, intake_data  # noqa: E402

PASSWORD = "bench-pass"
# One key for every bench database (throwaway data), so a rerun on the same DATABASE_URL can still
# open the cases an earlier run sealed; COMPLAINTFLOW_FIELD_ENCRYPTION_KEY overrides it.
FIELD_KEY = os.environ.get("COMPLAINTFLOW_FIELD_ENCRYPTION_KEY") or "32KynQIJTNfIY7m6yqKZJk1qul_c8E-TWqbmif--mso="
ZONE = ZoneInfo("Asia/Shanghai")
FINDINGS = {"request_extension": False, "root_cause": "电表计量芯片故障", "responsibility": "company",
            "remedy": "repair", "remedy_detail": "更换电表并退还多收电费"}

# (type, who files (None: the public), steps as (element id, form data)), and the share of cases.
SCENARIOS = {
    "complaint/filed": ("complaint", "intake1", [], 0.20),
    "complaint/investigating": ("complaint", "intake1", [("review", {"decision": "accept", "reason": "受理",
                                                                     "complex": False})], 0.15),
    "complaint/approving": ("complaint", "intake1", [("review", {"decision": "accept", "reason": "受理",
                                                                 "complex": False}), ("investigate", FINDINGS)], 0.05),
    "complaint/closed": ("complaint", "intake1", [
        ("review", {"decision": "accept", "reason": "受理", "complex": False}), ("investigate", FINDINGS),
        ("approve", {"approved": True, "comment": "同意"}), ("reply", {"reply_text": "已为您更换电表。"}),
        ("followup", {"satisfaction": "satisfied", "comment": "满意"})], 0.15),
    "complaint/rejected": ("complaint", "intake1", [
        ("review", {"decision": "reject", "reason": "不属于本单位受理范围", "complex": False}),
        ("reply_rejection", {"reply_text": "您的投诉不属于本单位受理范围。"})], 0.05),
    "tender_complaint/filed": ("tender_complaint", "clerk1", [], 0.05),
    "tender_complaint/investigating": ("tender_complaint", "clerk1", [
        ("acceptance_review", {"decision": "accept"}), ("suspension", {"suspend_tender": False})], 0.04),
    "tender_complaint/closed": ("tender_complaint", "clerk1", [
        ("acceptance_review", {"decision": "accept"}), ("suspension", {"suspend_tender": False}),
        ("investigation", {"second_investigator": "tinv2", "findings": "评分符合招标文件规定。",
                           "evidence_reviewed": "评标报告"}),
        ("decision", {"outcome": "rejected", "decision_text": "投诉缺乏事实根据，驳回。", "refer_discipline": False})],
        0.04),
    "tender_complaint/rejected": ("tender_complaint", "clerk1", [
        ("acceptance_review", {"decision": "reject", "reason": "投诉人不是本项目投标人"})], 0.02),
    "internal_report/filed": ("internal_report", None, [], 0.10),
    "internal_report/investigating": ("internal_report", None, [
        ("triage", {"decision": "accept"}), ("form_team", {"investigators": ["inv1", "inv2"]})], 0.10),
    "internal_report/rejected": ("internal_report", None, [
        ("triage", {"decision": "out_of_scope", "reason": "属劳动争议",
                    "note_to_reporter": "请向劳动争议调解委员会申请调解。"})], 0.05),
}
TEMPLATES_PER_SCENARIO = 2
GROUP_MEMBERS = defaultdict(list)
for _username, _name, _roles, _groups in DEMO_USERS:
    for _group in _groups:
        GROUP_MEMBERS[_group].append(_username)

BATCH = 2000
# A tender complaint's clones are spread over this many cases per complainant organisation (a
# province sees many tenderers, each complaining now and then): every clone keeping the
# template's organisation would make its earlier-cases look-up return every tender complaint.
CASES_PER_ORGANISATION = 5


def intake_for(type_key: str, clock: FakeClock) -> dict:
    """A valid intake filed at the clock's time (a tender complaint's dates just before it)."""
    if type_key != "tender_complaint":
        return intake_data(type_key)
    today = clock.now().astimezone(ZONE).date()
    return intake_data(type_key, known_date=(today - timedelta(days=4)).isoformat(),
                       objection_reply_date=(today - timedelta(days=2)).isoformat())


def file_one(engine, clock: FakeClock, type_key: str, by: str | None) -> dict:
    """File one case through the engine, as `by` (None: the public)."""
    actor = engine.actor_for(by) if by else None
    return engine.file_case(actor, type_key, intake_for(type_key, clock), decoded(default_attachments(type_key)))


def open_engine(url: str, field_key: str, clock: FakeClock):
    engine = build_engine(EngineSettings(url, field_key, clock=clock, fast_hashing=True), build_registry())
    engine.deploy_bundled_processes()
    engine.seed_demo_users(PASSWORD)
    return engine


def _actor_for_task(engine, task: dict):
    """Who works the task: its holder, else the first member of its group who may take it."""
    if task.get("assignee"):
        return engine.actor_for(task["assignee"])
    for username in GROUP_MEMBERS.get(task.get("candidate_group") or "", []):
        actor = engine.actor_for(username)
        try:
            engine.claim_task(actor, task["id"])
            return actor
        except EngineError:
            continue
    raise RuntimeError(f"nobody may take {task['element_id']} ({task.get('candidate_group')})")


def open_task(engine, case_id: int, element_id: str) -> dict:
    """The case's ready task at that element (read from the inbox rows: no one sees every case)."""
    with engine.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, element_id, assignee, candidate_group FROM human_task "
                                   "WHERE case_id = :c AND element_id = :e AND state = 'ready'"),
                           {"c": case_id, "e": element_id}).mappings().one()
    return dict(row)


def work_case(engine, case_id: int, steps: list[tuple[str, dict]]) -> None:
    """Complete the case's tasks in order, each by someone who may."""
    for element_id, data in steps:
        task = open_task(engine, case_id, element_id)
        actor = _actor_for_task(engine, task)
        if task.get("assignee") != actor.username:
            try:
                engine.claim_task(actor, task["id"])
            except EngineError:
                pass  # already claimed by _actor_for_task
        engine.complete_task(actor, task["id"], data)


def file_templates(engine, clock: FakeClock) -> dict[str, list[int]]:
    """Each scenario's template cases, filed and worked through the engine."""
    templates = {}
    for name, (type_key, by, steps, _share) in SCENARIOS.items():
        ids = []
        for _ in range(TEMPLATES_PER_SCENARIO):
            filed = file_one(engine, clock, type_key, by)
            work_case(engine, filed["id"], steps)
            ids.append(filed["id"])
            clock.advance(minutes=7)
        templates[name] = ids
    return templates


def plan(total: int, existing: int) -> dict[str, int]:
    """How many clones of each scenario bring the database to `total` cases in the shares above."""
    wanted = total - existing
    counts = {name: int(wanted * share) for name, (_t, _b, _s, share) in SCENARIOS.items()}
    first = next(iter(counts))
    counts[first] += wanted - sum(counts.values())
    return counts


class Cloner:
    """Bulk copies of template cases: rows read once, written in batches with fresh ids.

    A case's rows are found from the schema itself: the case row, every table with a `case_id`
    column, and every table with a foreign key to one of those (e.g. attachments of a message);
    foreign keys between them are remapped to the copies."""

    def __init__(self, sa_engine):
        self.sa = sa_engine
        self.meta = sa.MetaData()
        with warnings.catch_warnings():  # the expression index on the complainant is not reflected
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            self.meta.reflect(sa_engine)
        self.events = self.meta.tables["audit_event"]
        self.counters = self.meta.tables["counter"]
        self.tables: list[sa.Table] = []
        self.refs: dict[str, list[tuple[str, str]]] = {}  # table -> [(column, owned table it points to)]
        owned: set[str] = set()
        for table in self.meta.sorted_tables:  # parents first
            if table.name == self.events.name:
                continue
            refs = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
                    if fk.column.table.name in owned and fk.parent.name != "case_id"]
            if table.name == "complaint_case" or "case_id" in table.c or refs:
                self.tables.append(table)
                self.refs[table.name] = refs
                owned.add(table.name)

    @staticmethod
    def has_id(table: sa.Table) -> bool:
        return "id" in table.c and table.c.id.primary_key

    def template_rows(self, conn, case_ids: list[int]) -> dict[int, dict[str, list[dict]]]:
        rows: dict[int, dict[str, list[dict]]] = {cid: defaultdict(list) for cid in case_ids}
        case_of: dict[tuple[str, int], int] = {}  # (table, id) -> template case
        for table in self.tables + [self.events]:
            order = [table.c.seq] if table is self.events else list(table.primary_key.columns)
            if table.name == "complaint_case":
                query, owner = sa.select(table).where(table.c.id.in_(case_ids)), (lambda row: row["id"])
            elif "case_id" in table.c:
                query, owner = sa.select(table).where(table.c.case_id.in_(case_ids)), (lambda row: row["case_id"])
            else:
                column, parent = self.refs[table.name][0]
                parents = [i for (name, i) in case_of if name == parent]
                query = sa.select(table).where(table.c[column].in_(parents))
                owner = (lambda row, c=column, p=parent: case_of[(p, row[c])])
            for row in conn.execute(query.order_by(*order)).mappings():
                case_id = owner(row)
                rows[case_id][table.name].append(dict(row))
                if table is not self.events and self.has_id(table):
                    case_of[(table.name, row["id"])] = case_id
        return rows

    def next_ids(self, conn) -> dict[str, int]:
        return {t.name: (conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1
                for t in self.tables if self.has_id(t)}

    def clone(self, counts: dict[str, int], templates: dict[str, list[int]], progress=print) -> int:
        with self.sa.begin() as conn:
            if self.sa.dialect.name == "postgresql":
                conn.execute(sa.text("LOCK TABLE counter IN EXCLUSIVE MODE"))
            all_ids = [cid for ids in templates.values() for cid in ids]
            rows = self.template_rows(conn, all_ids)
            ids = self.next_ids(conn)
            head = conn.execute(sa.select(self.counters).where(self.counters.c.name == audit_chain.HEAD)).mappings().one()
            seq, prev = head["value"], head["text"]
            numbering = {r["name"]: r["value"] for r in conn.execute(sa.select(self.counters)).mappings()}
            pending: dict[str, list[dict]] = defaultdict(list)
            made = 0
            # interleaved as a centre receives them (complaints, tender complaints and reports mixed
            # through the year), not type after type: the newest rows are no one group's alone
            order = sorted(((n + 0.5) / count, scenario, n) for scenario, count in counts.items() for n in range(count))
            for _, scenario, n in order:
                sources = templates[scenario]
                source = rows[sources[n % len(sources)]]
                seq, prev = self._clone_one(source, ids, numbering, pending, seq, prev)
                made += 1
                if len(pending["complaint_case"]) >= BATCH:
                    self._flush(conn, pending)
                if made % 10000 == 0:
                    progress(f"  cloned {made} case(s)")
            self._flush(conn, pending)
            conn.execute(sa.update(self.counters).where(self.counters.c.name == audit_chain.HEAD)
                         .values(value=seq, text=prev))
            for name, value in numbering.items():
                if name not in (audit_chain.HEAD, "bench-organisations"):
                    conn.execute(sa.update(self.counters).where(self.counters.c.name == name).values(value=value))
            if self.sa.dialect.name == "postgresql":
                for table in filter(self.has_id, self.tables):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"(SELECT max(id) FROM {table.name}))"))
        return made

    def _clone_one(self, source, ids, numbering, pending, seq, prev):
        case = dict(source["complaint_case"][0])
        old_number = case["number"]
        new_number = None
        swaps = []  # (old text, new text) wherever they appear: number, complainant organisation
        if old_number:
            prefix = old_number.rsplit("-", 1)[0]
            numbering[prefix] = numbering.get(prefix, 0) + 1
            new_number = f"{prefix}-{numbering[prefix]:04d}"
            swaps.append((old_number, new_number))
        organisation = (_as_dict(case.get("data")) or {}).get("complainant_name")
        if case["type_key"] == "tender_complaint" and organisation:
            numbering["bench-organisations"] = numbering.get("bench-organisations", 0) + 1
            renamed = f"{organisation}（{numbering['bench-organisations'] // CASES_PER_ORGANISATION}）"
            swaps.append((organisation, renamed))
            swaps.append((json.dumps(organisation)[1:-1], json.dumps(renamed)[1:-1]))  # as ASCII-escaped JSON holds it

        def renumbered(value):
            if isinstance(value, str):
                for old, new in swaps:
                    value = value.replace(old, new)
                return value
            if swaps and isinstance(value, (dict, list)):
                text = json.dumps(value, ensure_ascii=False)
                if any(old in text for old, _ in swaps):
                    return json.loads(renumbered(text))
            return value

        new_case_id = ids["complaint_case"]
        id_maps: dict[str, dict[int, int]] = defaultdict(dict)
        for table in self.tables:
            for row in source.get(table.name, []):
                copy = {k: renumbered(v) for k, v in row.items()}
                if self.has_id(table):
                    copy["id"] = ids[table.name]
                    ids[table.name] += 1
                    id_maps[table.name][row["id"]] = copy["id"]
                if "case_id" in copy:
                    copy["case_id"] = new_case_id
                for column, parent in self.refs[table.name]:
                    if row[column] is not None:
                        copy[column] = id_maps[parent][row[column]]
                if table.name == "complaint_case":
                    copy["number"] = new_number
                    if copy.get("receipt_lookup"):
                        copy["receipt_lookup"] = secrets.token_hex(16)
                pending[table.name].append(copy)
        for event in source.get("audit_event", []):
            seq += 1
            detail = renumbered(event["detail"])
            detail_hash = audit_chain._text_hash(detail)
            digest = audit_chain._digest(prev, seq, new_case_id, event["at"], event["actor"], event["kind"],
                                         event["element_id"], detail_hash)
            pending["audit_event"].append({**event, "seq": seq, "case_id": new_case_id, "detail": detail,
                                           "detail_hash": detail_hash, "prev_hash": prev, "hash": digest})
            prev = digest
        return seq, prev

    def _flush(self, conn, pending) -> None:
        for table in self.tables + [self.events]:
            batch = pending.pop(table.name, [])
            if batch:
                conn.execute(table.insert(), batch)


def seed(engine, clock: FakeClock, total: int, templates: dict[str, list[int]] | None = None,
         progress=print) -> dict[str, list[int]]:
    """Bring the database to `total` cases; returns the templates (filed on the first call)."""
    sa_engine = engine.ctx.db.engine
    if templates is None:
        started = time.perf_counter()
        templates = file_templates(engine, clock)
        progress(f"  {sum(map(len, templates.values()))} template case(s) through the engine in "
                 f"{time.perf_counter() - started:.1f} s")
    with sa_engine.connect() as conn:
        existing = conn.execute(sa.text("SELECT count(*) FROM complaint_case")).scalar()
    if total > existing:
        started = time.perf_counter()
        made = Cloner(sa_engine).clone(plan(total, existing), templates, progress)
        progress(f"  {made} clone(s) in {time.perf_counter() - started:.1f} s")
    if sa_engine.dialect.name == "sqlite":  # the statistics `PRAGMA optimize` keeps in a maintained database
        with sa_engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    if sa_engine.dialect.name == "postgresql":
        with sa_engine.connect() as conn:
            # what autovacuum does to a live database: statistics, and the visibility map that lets
            # index-only scans (the inbox counts) skip the heap
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    return templates


def _as_dict(value) -> dict | None:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else None


def bench_url() -> tuple[str, str | None]:
    """DATABASE_URL, or a fresh SQLite file in a temporary folder (returned for cleanup)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    folder = tempfile.mkdtemp(prefix="cf-bench-")
    return f"sqlite:///{folder}/bench.db", folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10000)
    args = parser.parse_args()
    url, _folder = bench_url()
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(days=1))
    engine = open_engine(url, FIELD_KEY, clock)
    seed(engine, clock, args.cases)
    print(f"seeded {url}: audit verify {json.dumps(engine.verify_audit())}")
    engine.close()


if __name__ == "__main__":
    main()
