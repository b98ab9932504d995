"""Versions deployed before types described themselves keep their meaning.

Until this revision a case's end status came from its end event's id (`end_<status>_...`) and
the clock keepers, extension rules, sealed-case readers, identity revealers, complainant history
and deadline labels of the shipped types were tables in the code, keyed by type. Now they are
diagram properties read into each definition's summary at deploy (engine.type_rules). A version
deployed earlier has none of them in its summary, so its running cases would lose them: this
writes them in. End statuses are read from the stored diagram's end event ids as they were meant
then; the type-level rules of a key the application ships (processes/bundled.json) are those of
the shipped diagram, which now carries what the tables said. Schema unchanged.

Revision ID: 0008
Revises: 0007
"""
import json
import re

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
OLD_END_ID = re.compile(r"^end_(closed|rejected|transferred|pending|sealed)(_\w+)?$")
TYPE_LEVEL = ("clock_keeper", "lane_clock_keepers", "lane_escalation_groups", "extension", "sealed_readers", "identity_revealers",
              "case_prefix", "complainant_history_field", "deadline_labels", "escalation_group")


def _tree(text: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    return etree.fromstring(text.encode("utf-8"), parser=parser)


def _shipped_rules() -> dict:
    """key -> the type-level rules of the diagram the application ships under that key."""
    from engine.diagrams import type_rules
    from engine.context import PROCESSES_DIR

    manifest = PROCESSES_DIR / "bundled.json"
    if not manifest.exists():
        return {}
    out = {}
    for shipped in json.loads(manifest.read_text(encoding="utf-8")):
        path = PROCESSES_DIR / shipped["diagram"]
        if not path.exists():
            continue
        tree = _tree(path.read_text(encoding="utf-8"))
        main = next((p.get("id") for p in tree.iter(f"{{{BPMN}}}process")), None)
        rules, _ = type_rules.read({path.name: tree}, main)
        out[shipped["key"]] = {k: rules[k] for k in TYPE_LEVEL if k in rules}
    return out


def upgrade() -> None:
    bind = op.get_bind()
    definition = sa.table("process_definition", sa.column("id", sa.Integer), sa.column("key", sa.String),
                          sa.column("files", sa.JSON), sa.column("summary", sa.JSON))
    shipped = None
    for row_id, key, files, summary in bind.execute(
            sa.select(definition.c.id, definition.c.key, definition.c.files, definition.c.summary)).all():
        summary = dict(summary or {})
        if "end_statuses" in summary:
            continue
        if shipped is None:
            shipped = _shipped_rules()
        statuses = {}
        for name, text in (files or {}).items():
            if not name.lower().endswith((".bpmn", ".bpmn20.xml")):
                continue
            for end in _tree(text).iter(f"{{{BPMN}}}endEvent"):
                matched = OLD_END_ID.match(end.get("id") or "")
                statuses[end.get("id")] = matched.group(1) if matched else "closed"
        summary = {**shipped.get(key, {}), **{k: v for k, v in summary.items() if v is not None},
                   "end_statuses": statuses}
        summary.setdefault("drawn_alerts", {})
        bind.execute(sa.update(definition).where(definition.c.id == row_id).values(summary=summary))


def downgrade() -> None:
    pass  # the added summary entries mean nothing to the code before this revision
