"""Facade operations for handing work on (issue 11): transfer, delegate, hand back, send back,
copy in. Each call is one transaction; the work lives in engine/handing_on."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.handing_on import comments, copy_in, deputies, filters, print_form, send_back, signers, transfer, workload


class TaskOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext
    _tx: Callable[[], AbstractContextManager[Session]]  # one transaction per call (ComplaintEngine._tx)

    def transfer_task(self, actor: Actor, task_id: int, to: str, reason: str) -> dict:
        """转办: the task becomes `to`'s (holder or supervisor; `to` in the case's circle)."""
        with self._tx() as session:
            return transfer.transfer(self.ctx, session, actor, task_id, to, reason)

    def delegate_task(self, actor: Actor, task_id: int, to: str, reason: str) -> dict:
        """委派: `to` works the task, then hands it back to the holder to complete."""
        with self._tx() as session:
            return transfer.delegate(self.ctx, session, actor, task_id, to, reason)

    def hand_back_task(self, actor: Actor, task_id: int, note: str) -> dict:
        """The delegate hands the worked task back to its holder."""
        with self._tx() as session:
            return transfer.hand_back(self.ctx, session, actor, task_id, note)

    def send_back_task(self, actor: Actor, task_id: int, to: str, reason: str) -> dict:
        """退回: the case returns to an earlier returnable step (`to`: its element id)."""
        with self._tx() as session:
            return send_back.send_back(self.ctx, session, actor, task_id, to, reason)

    def copy_case(self, actor: Actor, case_id: int, to: list, note: str = "") -> dict:
        """抄送: colleagues may read the case and are notified."""
        with self._tx() as session:
            return copy_in.copy_in(self.ctx, session, actor, case_id, to, note)

    def add_signers(self, actor: Actor, task_id: int, to: list, note: str = "") -> dict:
        """加签: named colleagues each get a sign-off; the task completes when all have signed."""
        with self._tx() as session:
            return signers.add_signers(self.ctx, session, actor, task_id, to, note)

    def remove_signer(self, actor: Actor, task_id: int, username: str) -> dict:
        """减签: withdraw a pending sign-off."""
        with self._tx() as session:
            return signers.remove_signer(self.ctx, session, actor, task_id, username)

    def sign_off(self, actor: Actor, sign_off_id: int, agree: bool, opinion: str) -> dict:
        """The colleague asked signs off, agreeing or not."""
        with self._tx() as session:
            return signers.sign(self.ctx, session, actor, sign_off_id, agree, opinion)

    def add_comment(self, actor: Actor, case_id: int, body: str, visibility: str = "internal",
                    task_id: int | None = None) -> dict:
        """A comment on the case (or one of its tasks); @mentions in the circle are notified."""
        with self._tx() as session:
            return comments.add_comment(self.ctx, session, actor, case_id, body, visibility, task_id)

    def case_comments(self, actor: Actor, case_id: int, limit: int | None = None, cursor: str | None = None,
                      task_id: int | None = None) -> dict:
        """One page of the case's comments, oldest first."""
        with self._tx() as session:
            return comments.list_comments(self.ctx, session, actor, case_id, limit, cursor, task_id)

    def workload(self, actor: Actor, person: str | None = None) -> dict:
        """Open and overdue tasks per person and group (supervisors, admins); `person`: their tasks too."""
        with self._tx() as session:
            return workload.workload(self.ctx, session, actor, person)

    def get_deputy(self, actor: Actor, username: str) -> dict:
        """{"username", "deputy", "from", "until", "active"} (the user, or an admin)."""
        with self._tx() as session:
            return deputies.get_deputy(self.ctx, session, actor, username)

    def set_deputy(self, actor: Actor, username: str, deputy: str | None, starts: datetime | None = None,
                   ends: datetime | None = None) -> dict:
        """Name (or, with None, clear) a deputy for a period; it starts at once when due."""
        with self._tx() as session:
            return deputies.set_deputy(self.ctx, session, actor, username, deputy, starts, ends)

    def sweep_deputies(self, as_of: datetime | None = None) -> int:
        """Start and end deputy periods that are due (the scheduler's tick)."""
        with self._tx() as session:
            return deputies.sweep(self.ctx, session, as_of or self.ctx.now())

    def saved_filters(self, actor: Actor) -> dict:
        """The caller's saved inbox filters with their counts."""
        with self._tx() as session:
            return filters.list_filters(self.ctx, session, actor)

    def save_filter(self, actor: Actor, name: str, criteria: dict) -> dict:
        with self._tx() as session:
            return filters.save_filter(self.ctx, session, actor, name, criteria)

    def delete_filter(self, actor: Actor, filter_id: int) -> None:
        with self._tx() as session:
            filters.delete_filter(self.ctx, session, actor, filter_id)

    def filter_tasks(self, actor: Actor, filter_id: int, limit: int | None = None, cursor: str | None = None) -> dict:
        """One page of the open tasks a saved filter matches."""
        with self._tx() as session:
            return filters.filter_tasks(self.ctx, session, actor, filter_id, limit, cursor)

    def set_follow_up(self, actor: Actor, task_id: int, at: datetime | None) -> dict:
        """The holder's follow-up date on a task (None clears it)."""
        with self._tx() as session:
            return filters.set_follow_up(self.ctx, session, actor, task_id, at)

    def handling_form(self, actor: Actor, case_id: int) -> dict:
        """The case's handling form for printing: facts, each step's handler, result and time (audited)."""
        with self._tx() as session:
            return print_form.handling_form(self.ctx, session, actor, case_id)
