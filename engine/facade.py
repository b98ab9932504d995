"""`ComplaintEngine`: the one object the web layer and the CLI talk to.

Every method takes and returns plain data (dicts, lists, strings, datetimes as ISO text) and
raises the errors of `engine.errors`. It is a thin facade over small modules (definitions, cases,
tasks, timers, audit, access, users); none of them hands a SpiffWorkflow object upward.

Shapes returned (more keys may appear, these are promised):

process type  {"key", "name", "version", "process_id", "public", "anonymous_allowed",
               "intake_form": JSON Schema}
case summary  {"id", "number", "type", "type_name", "status", "category", "confidential",
               "created_at", "closed_at", "next_due", "overdue"}
case detail   summary + {"version", "data", "deadlines", "open_tasks": [task], "messages": [...],
               "attachments": [{"id", "filename", "content_type", "size"}], "failure": str|None,
               "personal_masked": bool}
task          {"id", "case_id", "case_number", "type", "name", "element_id", "lane",
               "candidate_group", "assignee", "state", "created_at", "due_at", "overdue",
               "completed_at", "completed_by", "form": JSON Schema or None}
public case   {"number", "type", "type_name", "status", "created_at",
               "messages": [{"at", "kind", "from", "body"}], "requests": [{"id", "at", "body", "answered"}]}
"""
from __future__ import annotations

from datetime import datetime

from .actors import Actor


class ComplaintEngine:
    """Facade; see the module docstring for the shapes it returns."""

    # --- process types -------------------------------------------------------------------
    def list_process_types(self, public_only: bool = False) -> list[dict]:
        """Latest version of each deployed type (public_only: those open to the public)."""
        raise NotImplementedError

    def get_process_type(self, key: str) -> dict:
        """Latest version of one type; NotFound when unknown."""
        raise NotImplementedError

    def deploy(self, actor: Actor, key: str, name: str, files: dict[str, bytes], public: bool) -> dict:
        """Validate and deploy a new version: {"key", "version"}; DeploymentInvalid lists problems."""
        raise NotImplementedError

    # --- people ----------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> Actor | None:
        raise NotImplementedError

    def actor_for(self, username: str) -> Actor | None:
        raise NotImplementedError

    def issue_token(self, actor: Actor) -> str:
        raise NotImplementedError

    def actor_for_token(self, token: str) -> Actor | None:
        raise NotImplementedError

    # --- cases -----------------------------------------------------------------------------
    def file_case(self, actor: Actor | None, type_key: str, data: dict,
                  attachments: list[dict] | None = None, anonymous: bool = False) -> dict:
        """Start a case. actor None = a public filing, which also returns the one-time "receipt".
        attachments: [{"filename", "content_type", "data": bytes}]. Returns {"id", "number",
        "status"} (+ "receipt")."""
        raise NotImplementedError

    def list_cases(self, actor: Actor, type: str | None = None, status: str | None = None,
                   overdue: bool = False, q: str | None = None, page: int = 1, per_page: int = 20) -> dict:
        """{"items": [case summary], "total", "page", "per_page"}: only cases the actor may see."""
        raise NotImplementedError

    def get_case(self, actor: Actor, case_id: int) -> dict:
        raise NotImplementedError

    def case_history(self, actor: Actor, case_id: int) -> dict:
        """{"events": [{"seq", "at", "actor", "kind", "element_id", "detail"}]} in order."""
        raise NotImplementedError

    def case_path(self, actor: Actor, case_id: int) -> dict:
        """{"completed": [element ids], "active": [element ids]}."""
        raise NotImplementedError

    def get_attachment(self, actor: Actor, case_id: int, attachment_id: int) -> dict:
        """{"filename", "content_type", "data": bytes}."""
        raise NotImplementedError

    # --- tasks -----------------------------------------------------------------------------
    def list_tasks(self, actor: Actor, scope: str = "mine") -> list[dict]:
        """scope "mine" (assigned to the actor) or "available" (unclaimed, the actor may take)."""
        raise NotImplementedError

    def get_task(self, actor: Actor, task_id: int) -> dict:
        """A task plus "case": the case detail it belongs to."""
        raise NotImplementedError

    def claim_task(self, actor: Actor, task_id: int) -> dict:
        raise NotImplementedError

    def unclaim_task(self, actor: Actor, task_id: int) -> dict:
        raise NotImplementedError

    def complete_task(self, actor: Actor, task_id: int, data: dict) -> dict:
        """{"case_status", "next_tasks": [task]}."""
        raise NotImplementedError

    # --- the complainant -------------------------------------------------------------------
    def public_case(self, receipt: str) -> dict:
        raise NotImplementedError

    def post_public_message(self, receipt: str, body: str, attachments: list[dict] | None = None) -> dict:
        raise NotImplementedError

    # --- time and audit ----------------------------------------------------------------------
    def fire_timers(self, as_of: datetime | None = None) -> int:
        raise NotImplementedError

    def verify_audit(self) -> dict:
        """{"ok", "events", "first_bad_seq"}."""
        raise NotImplementedError
