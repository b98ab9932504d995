"""Facade operations of the browser modeler: open a type's files, keep a draft, validate,
start a new type from a template, compare versions. Process owners and admins only."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable

from sqlalchemy.orm import Session

from engine.oversight import audit
from engine.diagrams import definitions, modeling
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.models import ProcessDefinition


class ModelingOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext  # settings, database, clock, handler registry
    _tx: Callable[[], AbstractContextManager[Session]]  # one transaction per call (ComplaintEngine._tx)

    def _require_modeler(self, actor: Actor) -> None:
        if not actor.has_role("admin", "process_owner"):
            raise Forbidden("only admins and process owners model processes")

    def model_to_edit(self, actor: Actor, key: str, prefer_version: bool = False) -> dict:
        """The type's draft, else its latest version: what the modeler page opens."""
        self._require_modeler(actor)
        with self._tx() as session:
            return modeling.files_to_edit(session, key, prefer_version)

    def save_model_draft(self, actor: Actor, key: str, name: str, public: bool, files: dict[str, bytes]) -> dict:
        self._require_modeler(actor)
        with self._tx() as session:
            saved = modeling.save_draft(session, key, name, public, files, actor.username, self.ctx.now())
            audit.record(session, at=self.ctx.now(), actor=actor.username, kind="process_draft_saved",
                         detail={"key": key, "files": saved["files"]})
            return saved

    def validate_model(self, actor: Actor, key: str, files: dict[str, bytes], main_process: str | None = None,
                       lane_groups: dict | None = None) -> dict:
        """{"ok", "problems"}: every problem a deploy of these files would meet (lanes mapped to
        groups that exist included); nothing stored."""
        self._require_modeler(actor)
        with self._tx() as session:
            return modeling.validate(files, self.ctx.registry, key, main_process, lane_groups,
                                     definitions.existing_groups(session))

    def check_form(self, actor: Actor, schema, layout) -> list[str]:
        """The form editor's live check of a form and its ui-schema."""
        self._require_modeler(actor)
        with self._tx():
            return modeling.check_form(schema, layout)

    def model_templates(self, actor: Actor) -> list[dict]:
        self._require_modeler(actor)
        with self._tx():
            return modeling.templates(self.ctx.settings.processes_dir)

    def start_type_from(self, actor: Actor, key: str, name: str, public: bool, template: str | None,
                        files: dict[str, bytes]) -> dict:
        """A new type's first draft: a template's files, or the uploaded ones. The key must be new."""
        self._require_modeler(actor)
        if template:
            files = modeling.template_files(self.ctx.settings.processes_dir, template)
        if not files:
            raise InvalidInput("choose a template or upload the files", {"files": "a template or a .bpmn file is required"})
        if not (name or "").strip():
            raise InvalidInput("invalid name", {"name": "a name is required"})
        with self._tx() as session:
            if session.query(ProcessDefinition.id).filter(ProcessDefinition.key == key).first():
                raise InvalidInput("this key is taken", {"key": "a type with this key exists; open it in the modeler"})
            saved = modeling.save_draft(session, key, name, public, files, actor.username, self.ctx.now())
            audit.record(session, at=self.ctx.now(), actor=actor.username, kind="process_draft_saved",
                         detail={"key": key, "files": saved["files"], "template": template})
            return saved

    def model_groups(self, actor: Actor) -> list[dict]:
        """The groups a lane can be given to (the lane mapping's choices), by key."""
        self._require_modeler(actor)
        with self._tx() as session:
            return modeling.groups(session)

    def model_versions(self, actor: Actor, key: str) -> list[dict]:
        self._require_modeler(actor)
        with self._tx() as session:
            return modeling.versions(session, key)

    def model_version_files(self, actor: Actor, key: str, version: int) -> dict:
        self._require_modeler(actor)
        with self._tx() as session:
            return modeling.version_files(session, key, version)
