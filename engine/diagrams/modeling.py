"""The browser modeler's storage: a type's files to edit (its draft, else its latest version, else
a template), drafts saved per type, validation that stores nothing, and the shipped templates.

Templates are folders under `processes/templates/<name>/` holding one BPMN file and its forms
(and any DMN), plus `template.json`: {"name": {"zh_CN", "en"}, "description": {...}}.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.diagrams import definitions
from engine.errors import DeploymentInvalid, InvalidInput, NotFound
from engine.handler_api import HandlerRegistry
from engine.models import ProcessDefinition, ProcessDraft, StaffGroup

TEMPLATE_MANIFEST = "template.json"
MAX_VERSIONS_LISTED = 100
MAX_GROUPS_OFFERED = 500


def files_to_edit(session: Session, key: str, prefer_version: bool = False) -> dict:
    """What the modeler opens for a type: its draft (unless the deployed version is asked for),
    else its latest version. {"key", "name", "public", "files", "source", "version", "draft"}."""
    draft = session.get(ProcessDraft, key)
    latest = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                             .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    if draft is None and latest is None:
        raise NotFound(f"no complaint type {key!r}")
    draft_info = ({"saved_by": draft.saved_by, "saved_at": draft.saved_at.isoformat()} if draft else None)
    if draft is not None and not (prefer_version and latest is not None):
        return {"key": key, "name": draft.name, "public": draft.public, "files": dict(draft.files),
                "source": "draft", "version": latest.version if latest else None, "draft": draft_info}
    return {"key": key, "name": latest.name, "public": latest.public, "files": dict(latest.files),
            "source": "version", "version": latest.version, "draft": draft_info}


def save_draft(session: Session, key: str, name: str, public: bool, files: dict[str, bytes],
               actor: str, now: datetime) -> dict:
    """Keep the modeler's files for the type (the latest save replaces the one before)."""
    if not definitions.KEY_PATTERN.match(key or ""):
        raise InvalidInput("invalid key", {"key": "lowercase letters, digits and _ (2–41 chars)"})
    if not files:
        raise InvalidInput("nothing to save", {"files": "at least one file is required"})
    too_large = {f"files.{n}": "larger than 2 MiB" for n, c in files.items() if len(c) > definitions.MAX_FILE_BYTES}
    if too_large:
        raise InvalidInput("a file is too large", too_large)
    texts = {n: c.decode("utf-8") for n, c in files.items()}
    draft = session.get(ProcessDraft, key)
    if draft is None:
        draft = ProcessDraft(key=key)
        session.add(draft)
    draft.name, draft.public, draft.files = (name or "").strip(), public, texts
    draft.saved_by, draft.saved_at = actor, now
    return {"key": key, "saved_at": now.isoformat(), "files": sorted(texts)}


def drop_draft(session: Session, key: str) -> None:
    """A deployed draft is a version now."""
    draft = session.get(ProcessDraft, key)
    if draft is not None:
        session.delete(draft)


def validate(files: dict[str, bytes], registry: HandlerRegistry, key: str, main_process: str | None = None,
             lane_groups: dict | None = None, groups_that_exist=None) -> dict:
    """Every problem deploying these files would meet, without storing anything."""
    try:
        definitions.inspect_files(files, registry, preferred_process=key, lane_groups=lane_groups,
                                  groups_that_exist=groups_that_exist, main_process=main_process)
    except DeploymentInvalid as refusal:
        details = refusal.details
        problems = details if isinstance(details, list) else [
            {"file": "", "element": None, "name": None, "line": None, "message": f"{k}: {v}"} for k, v in (details or {}).items()]
        return {"ok": False, "problems": [_problem(p) for p in problems]}
    return {"ok": True, "problems": []}


def _problem(p: dict) -> dict:
    return {"file": p.get("file") or "", "element": p.get("element"), "name": p.get("name"),
            "line": p.get("line"), "message": p.get("message", "")}


def check_form(schema, layout) -> list[str]:
    """What is wrong with a form and its layout, in words for the form editor (empty: fine)."""
    problems = []
    if not isinstance(schema, dict):
        return ["the form must be a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        problems.append(f"not a valid JSON Schema: {exc.message}")
    if schema.get("type", "object") != "object" or not isinstance(schema.get("properties", {}), dict):
        problems.append('a form is an object schema with "properties"')
    if layout is not None and not isinstance(layout, dict):
        problems.append("the layout must be a JSON object")
    elif layout:
        fields = set((schema.get("properties") or {}).keys())
        order = layout.get("ui:order", [])
        unknown = [n for n in order if n != "*" and n not in fields] if isinstance(order, list) else ["ui:order"]
        if unknown:
            problems.append("ui:order names fields the form does not have: " + ", ".join(map(str, unknown)))
    return problems


# --- templates -----------------------------------------------------------------------------------

def templates(processes_dir: Path) -> list[dict]:
    """The shipped starting points: [{"name", "title", "description", "files"}]."""
    folder = processes_dir / "templates"
    found = []
    for manifest in sorted(folder.glob(f"*/{TEMPLATE_MANIFEST}")) if folder.is_dir() else []:
        about = json.loads(manifest.read_text(encoding="utf-8"))
        found.append({"name": manifest.parent.name, "title": about.get("name", manifest.parent.name),
                      "description": about.get("description", ""),
                      "files": sorted(p.name for p in manifest.parent.iterdir() if p.name != TEMPLATE_MANIFEST)})
    return found


def template_files(processes_dir: Path, name: str) -> dict[str, bytes]:
    """A template's files by name (NotFound for a name that is not a shipped template)."""
    known = {t["name"]: t for t in templates(processes_dir)}
    if name not in known:
        raise NotFound(f"no template {name!r}")
    folder = processes_dir / "templates" / name
    return {f: (folder / f).read_bytes() for f in known[name]["files"]}


def versions(session: Session, key: str) -> list[dict]:
    """The type's deployed versions, newest first (at most the newest hundred)."""
    rows = session.execute(select(ProcessDefinition.version, ProcessDefinition.deployed_at, ProcessDefinition.deployed_by)
                           .where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
                           .limit(MAX_VERSIONS_LISTED)).all()
    if not rows:
        raise NotFound(f"no complaint type {key!r}")
    return [{"version": v, "deployed_at": at.isoformat(), "deployed_by": by} for v, at, by in rows]


def version_files(session: Session, key: str, version: int) -> dict:
    row = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                          ProcessDefinition.version == version)).first()
    if row is None:
        raise NotFound(f"no version {version} of {key!r}")
    return {"key": key, "version": version, "files": dict(row.files)}


def groups(session: Session) -> list[dict]:
    """[{"key", "name"}] of the staff groups, by key (a picker's choices: the first 500)."""
    rows = session.execute(select(StaffGroup.name, StaffGroup.label).order_by(StaffGroup.name).limit(MAX_GROUPS_OFFERED))
    return [{"key": key, "name": label or key} for key, label in rows]
