"""`ComplaintEngine`: the one object the web layer and the CLI talk to.

Every method takes and returns plain data (dicts, lists, ISO text) and raises the errors of
`engine.errors`. Each call is one transaction; the work itself lives in small modules
(definitions, cases, tasks, timers, audit, access, users), none of which hands a SpiffWorkflow
object upward.

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
               "due_soon", "completed_at", "completed_by", "form": JSON Schema or None}
public case   {"number", "type", "type_name", "status", "created_at",
               "messages": [{"at", "kind", "from", "body"}], "requests": [{"id", "at", "body", "answered"}]}
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine import case_pages, cases, tasks
from engine.oversight import audit, audit_log
from engine.accounts import credentials, users
from engine.diagrams import definitions, modeling, versions
from engine.confidential import disclosure
from engine.clocks import task_alerts, timers
from engine.actors import Actor
from engine.context import EngineContext
from engine.accounts.credentials import DeferredActor
from engine.demo import DEMO_GROUPS, DEMO_USERS
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.operations.accounts import AccountOperations
from engine.operations.audit import AuditOperations
from engine.operations.clocks import ClockOperations
from engine.operations.confidential import ConfidentialityOperations
from engine.operations.directory import DirectoryOperations
from engine.operations.insight import InsightOperations
from engine.operations.modeling import ModelingOperations
from engine.operations.pages import PageOperations
from engine.operations.stuck import StuckTaskOperations
from engine.operations.task_operations import TaskOperations
from engine.operations.versions import VersionOperations


class ComplaintEngine(AccountOperations, AuditOperations, ClockOperations, ConfidentialityOperations, InsightOperations,
                      ModelingOperations, PageOperations, VersionOperations, DirectoryOperations, StuckTaskOperations,
                      TaskOperations):
    """Facade; see the module docstring for the shapes it returns."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    @contextmanager
    def _tx(self, credential: DeferredActor | None = None):
        """One transaction. It begins by resolving the request's deferred credential (see
        engine.accounts.credentials), so the auth check and the work share it; concurrency failures
        become 409s."""
        try:
            with self.ctx.db.transaction() as session, credentials.inside(self, session, credential):
                yield session
        except StaleDataError:
            raise Conflict("the case was changed at the same time; reload and try again") from None
        except IntegrityError as exc:
            raise Conflict("a concurrent change conflicted with this one; try again",
                           {"reason": str(exc.orig).split("\n")[0]}) from None
        except OperationalError as exc:
            if "could not obtain lock" in str(exc) or "deadlock" in str(exc).lower():
                raise Conflict("the case is busy; try again") from None
            raise

    def close(self) -> None:
        self.ctx.db.close()

    # --- process types -------------------------------------------------------------------
    def deploy_bundled_processes(self) -> list[dict]:
        """Deploy the shipped processes as version 1 of each type, once (first start)."""
        deployed = []
        with self._tx() as session:
            known = {d.key for d in definitions.latest_of_each(session)}
            for shipped in definitions.bundled_types(self.ctx.settings.processes_dir):
                key, name = shipped["key"], shipped["name"]
                if key in known:
                    continue
                files = definitions.bundled_files(self.ctx.settings.processes_dir, shipped["diagram"], key)
                row = definitions.deploy(session, self.ctx.registry, key, name, files, True, "system", self.ctx.now(),
                                         check_groups=False)
                audit.record(session, at=self.ctx.now(), actor="system", kind="process_deployed",
                             detail={"key": key, "version": row.version})
                deployed.append({"key": key, "version": row.version})
        return deployed

    def list_process_types(self, public_only: bool = False) -> list[dict]:
        with self._tx() as session:
            rows = definitions.latest_of_each(session)
            return [definitions.describe(r) for r in rows if r.public or not public_only]

    def get_process_type(self, key: str) -> dict:
        with self._tx() as session:
            return definitions.describe(definitions.latest(session, key))

    def deploy(self, actor: Actor, key: str, name: str, files: dict[str, bytes], public: bool, *,
               comment: str = "", confirm_replace: bool = False, lane_groups: dict | None = None,
               main_process: str | None = None) -> dict:
        """A new version (new cases start on it); the type's modeler draft, if any, is dropped (it is
        this version now). A different process under an existing key (another main process, or no
        step in common) is refused with what changes (409) unless confirmed. `main_process` chooses
        the process that cases start (else the one whose id is the key, else the first executable
        one)."""
        if not actor.has_role("admin", "process_owner"):
            raise Forbidden("only admins and process owners deploy processes")
        with self._tx() as session:
            row = definitions.deploy(session, self.ctx.registry, key, name, files, public, actor.username,
                                     self.ctx.now(), comment=comment, lane_groups=lane_groups,
                                     main_process=main_process)
            replaced = versions.check_replacement(session, row, confirm_replace)
            modeling.drop_draft(session, key)
            detail = {"key": key, "version": row.version, "files": sorted(files), "sha256": row.sha256,
                      "comment": row.comment, "lane_groups": row.summary.get("lane_groups") or {}}
            if replaced:
                detail["replaced_process"] = replaced["process_id"]
            audit.record(session, at=self.ctx.now(), actor=actor.username, kind="process_deployed", detail=detail)
            return {"key": row.key, "version": row.version}

    # --- people ----------------------------------------------------------------------------
    def actor_for(self, username: str) -> Actor | None:
        with self._tx() as session:
            return users.load_actor(session, username)

    def signed_in(self, key: str) -> DeferredActor:
        """The browser session's user (by its server-held key), checked at the start of the
        request's next transaction."""
        return credentials.defer(self, lambda session: users.actor_for_token(session, key, self.ctx.now(), "browser"))

    def bearer(self, token: str) -> DeferredActor:
        """An API token's user, checked at the start of the request's next transaction."""
        return credentials.defer(self, lambda session: users.actor_for_token(session, token, self.ctx.now(), "api"))

    def end_request(self) -> None:
        """Forget the request's credential (called when a web request ends)."""
        credentials.forget_request()

    def seed_demo_users(self, password: str = "demo-pass") -> None:
        """The demo users and groups of PROCESSES.md (idempotent)."""
        with self._tx() as session:
            for username, display, roles, groups in DEMO_USERS:
                users.ensure_user(session, username, password, display, roles, groups,
                                  fast_hash=self.ctx.settings.fast_hashing)
            users.name_groups(session, DEMO_GROUPS)

    # --- cases -----------------------------------------------------------------------------
    def file_case(self, actor: Actor | None, type_key: str, data: dict,
                  attachments: list[dict] | None = None, anonymous: bool = False) -> dict:
        """actor None = a public filing. Returns {"id", "number", "status", "receipt"}."""
        with self._tx() as session:
            return cases.file_case(self.ctx, session, actor, type_key, data, attachments or [], anonymous)

    def list_cases(self, actor: Actor, type: str | None = None, status: str | None = None,
                   overdue: bool = False, q: str | None = None, page: int = 1, per_page: int = 50,
                   cursor: str | None = None, behind: dict | None = None) -> dict:
        """One page, newest first: by `cursor` (the `next` of the page before) or by `page`;
        `behind`: only the cases behind a report number (engine/oversight/reports.py case_conditions)."""
        if not 1 <= page <= 100000 or not 1 <= per_page <= 100:
            raise InvalidInput("bad paging", {"page": "1 to 100000", "per_page": "1 to 100"})
        with self._tx() as session:
            return cases.list_cases(self.ctx, session, actor, type, status, overdue, q, page, per_page, cursor, behind)

    def get_case(self, actor: Actor, case_id: int) -> dict:
        with self._tx() as session:
            return cases.case_detail(self.ctx, session, actor, case_id)

    def case_history(self, actor: Actor, case_id: int, limit: int | None = None, cursor: str | None = None) -> dict:
        """One page of events in order: {"number", "items", "next", "total"}. Identity masked on
        confidential cases; sealed ones open only with a reason; reads logged."""
        with self._tx() as session:
            return disclosure.history(self.ctx, session, actor, case_id, limit=limit, cursor=cursor)

    def case_path(self, actor: Actor, case_id: int, reason: str | None = None) -> dict:
        """The case on its own diagram version; a sealed case with `reason` is opened (audited)."""
        with self._tx() as session:
            return case_pages.path(self.ctx, session, actor, case_id, reason)

    def get_attachment(self, actor: Actor, case_id: int, attachment_id: int) -> dict:
        with self._tx() as session:
            return cases.attachment(self.ctx, session, actor, case_id, attachment_id)

    # --- tasks -----------------------------------------------------------------------------
    def list_tasks(self, actor: Actor, scope: str = "mine", limit: int | None = None,
                   cursor: str | None = None) -> dict:
        """One page of the inbox: {"items": [task without form], "next", "total"}."""
        with self._tx() as session:
            return tasks.list_tasks(self.ctx, session, actor, scope, limit, cursor)

    def get_task(self, actor: Actor, task_id: int) -> dict:
        with self._tx() as session:
            return case_pages.get_task(self.ctx, session, actor, task_id)

    def claim_task(self, actor: Actor, task_id: int) -> dict:
        with self._tx() as session:
            return tasks.claim_task(self.ctx, session, actor, task_id)

    def unclaim_task(self, actor: Actor, task_id: int) -> dict:
        with self._tx() as session:
            return tasks.unclaim_task(self.ctx, session, actor, task_id)

    def complete_task(self, actor: Actor, task_id: int, data: dict) -> dict:
        with self._tx() as session:
            return tasks.complete_task(self.ctx, session, actor, task_id, data)

    # --- the complainant -------------------------------------------------------------------
    def public_case(self, receipt: str) -> dict:
        with self._tx() as session:
            return cases.public_view(self.ctx, session, receipt)

    def post_public_message(self, receipt: str, body: str, attachments: list[dict] | None = None) -> dict:
        with self._tx() as session:
            return cases.post_public_message(self.ctx, session, receipt, body, attachments or [])

    # --- time and audit ----------------------------------------------------------------------
    def fire_timers(self, as_of: datetime | None = None) -> int:
        return timers.fire_due(self.ctx, as_of)

    def send_task_alerts(self, as_of: datetime | None = None) -> int:
        """催办/督办 for due tasks the diagrams draw no timer on; returns how many were sent."""
        return task_alerts.send_due(self.ctx, as_of)

    def verify_audit(self) -> dict:
        with self._tx() as session:
            return audit.verify(session)

    def audit_events(self, reader: Actor, **filters) -> dict:
        """The log across cases and admin acts, newest first, one page (auditors; see
        engine.oversight.audit_log.events_page for the filters)."""
        with self._tx() as session:
            return audit_log.events_page(self.ctx, session, reader, **filters)

    def now(self) -> datetime:
        return self.ctx.now()
