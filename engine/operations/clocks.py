"""Facade operations on case clocks: calendar administration, pauses, extensions, notifications."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Callable

from sqlalchemy.orm import Session

from engine import notifications, tasks
from engine.oversight import audit
from engine.clocks import calendar_store, pauses, task_alerts
from engine.actors import Actor
from engine.handing_on import filters as saved_filters, workload
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.models import Case


class ClockOperations:
    """Mixed into ComplaintEngine, which provides what these operations rely on:"""

    ctx: EngineContext  # settings, database, clock and caches of the engine
    _tx: Callable[[], AbstractContextManager[Session]]  # one transaction per call (ComplaintEngine._tx)

    # --- the working calendar (admins) ------------------------------------------------------
    def _require_admin(self, actor: Actor) -> None:
        if not actor.has_role("admin"):
            raise Forbidden("only admins edit the working calendar")

    def calendar_year(self, actor: Actor, year: int) -> dict:
        """A year's holidays and working weekends, the years that still need their official
        schedule, and how many open cases carry provisional deadlines."""
        self._require_admin(actor)
        if not 2000 <= year <= 2100:
            raise InvalidInput("year out of range", {"year": "2000 to 2100"})
        with self._tx() as session:
            cal = calendar_store.current(self.ctx, session)
            view = calendar_store.year_view(session, cal, year)
            today = cal.local_date(self.ctx.now())
            view["years_needing_import"] = cal.years_needing_import(today)
            view["provisional_cases"] = sum(1 for (names,) in session.query(Case.provisional_deadlines)
                                            .filter(Case.status == "open") if names)
            view["package_covers"] = year in calendar_store.package_years()
            return view

    def calendar_set_day(self, actor: Actor, day: date, working: bool, name: str = "") -> dict:
        """An admin's holiday or adjusted working day; provisional deadlines are recounted."""
        self._require_admin(actor)
        with self._tx() as session:
            calendar_store.set_day(session, day, working, name, actor.username, self.ctx.now())
            self._audit(session, actor, "calendar_day_set", {"day": day.isoformat(), "working": working, "name": name})
        return {"recounted": self._recount(actor)}

    def calendar_remove_day(self, actor: Actor, day: date) -> dict:
        self._require_admin(actor)
        with self._tx() as session:
            calendar_store.remove_day(session, day)
            self._audit(session, actor, "calendar_day_removed", {"day": day.isoformat()})
        return {"recounted": self._recount(actor)}

    def calendar_import_year(self, actor: Actor, year: int, schedule: str | None = None) -> dict:
        """Import a year's official schedule (typed in, or from chinese_calendar when it covers
        the year), then recount the provisional deadlines of open cases and move their timers."""
        self._require_admin(actor)
        if schedule and schedule.strip():
            entries, source = calendar_store.parse_schedule(schedule, year), "State Council notice (typed in)"
        else:
            entries, source = calendar_store.package_schedule(year), calendar_store.PACKAGE_SOURCE
        with self._tx() as session:
            count = calendar_store.import_year(session, year, entries, source, actor.username, self.ctx.now())
            self._audit(session, actor, "calendar_year_imported", {"year": year, "days": count, "source": source})
        recounted = self._recount(actor)
        return {"year": year, "days": count, "recounted": recounted}

    def recount_provisional_deadlines(self, actor: Actor) -> list[str]:
        self._require_admin(actor)
        return self._recount(actor)

    def _recount(self, actor: Actor) -> list[str]:
        """The calendar changed: recount provisional deadlines (their tasks' due times follow)
        and the reminder times of every other open task."""
        recounted = pauses.recount_provisional(self.ctx, self.ctx.now(), actor.username)
        task_alerts.reschedule_reminders(self.ctx)
        return recounted

    def _audit(self, session, actor: Actor, kind: str, detail: dict) -> None:
        audit.record(session, at=self.ctx.now(), actor=actor.username, kind=kind, detail=detail)

    # --- a case's clock ---------------------------------------------------------------------
    def case_clock(self, actor: Actor, case_id: int) -> dict:
        with self._tx() as session:
            return pauses.case_clock(self.ctx, session, actor, case_id, self.ctx.now())

    def pause_clock(self, actor: Actor, case_id: int, kind: str, reason: str) -> dict:
        with self._tx() as session:
            return pauses.pause(self.ctx, session, actor, case_id, kind, reason, self.ctx.now())

    def resume_clock(self, actor: Actor, case_id: int) -> dict:
        with self._tx() as session:
            return pauses.resume(self.ctx, session, actor, case_id, self.ctx.now())

    def request_extension(self, actor: Actor, case_id: int, working_days: int, reason: str) -> dict:
        with self._tx() as session:
            return pauses.request_extension(self.ctx, session, actor, case_id, working_days, reason, self.ctx.now())

    def decide_extension(self, actor: Actor, request_id: int, approved: bool, comment: str = "") -> dict:
        with self._tx() as session:
            return pauses.decide_extension(self.ctx, session, actor, request_id, approved, comment, self.ctx.now())

    # --- notifications and the inbox -----------------------------------------------------------
    def list_notifications(self, actor: Actor, unread_only: bool = False, limit: int | None = None,
                           cursor: str | None = None) -> dict:
        """One page, newest first: {"items", "next", "total"}."""
        with self._tx() as session:
            return notifications.list_for(session, actor, unread_only, limit, cursor)

    def mark_notification_read(self, actor: Actor, notification_id: int) -> dict:
        with self._tx() as session:
            return notifications.mark_read(session, actor, notification_id, self.ctx.now())

    def send_outbox(self, sender) -> dict:
        """Deliver queued mail through `sender(to, subject, body)` (SMTP, configured by the caller)."""
        return notifications.send_outbox(self.ctx, sender)

    def inbox(self, actor: Actor, which: str | None = None, cursors: dict | None = None,
              limit: int | None = None, q: str | None = None, sort: str = "due") -> dict:
        """The inbox's two lists, one page each, most urgent first, optionally only overdue or
        due-soon tasks, or only tasks of cases the search `q` finds, soonest due (`sort="due"`) or
        newest (`"newest"`) first; each task says whether its due time rests on a provisional
        calendar. `cursors`: {"mine": cursor, "available": cursor}."""
        which = which if which in tasks.DUE_FILTERS else None
        sort = sort if sort in tasks.SORTS else "due"
        with self._tx() as session:
            lists = {scope: tasks.list_tasks(self.ctx, session, actor, scope, limit, (cursors or {}).get(scope),
                                             which, q, sort)
                     for scope in ("mine", "available")}
            saved = saved_filters.list_filters(self.ctx, session, actor)["items"]  # with their counts
            watches = workload.may_watch(session, actor)
        return {**lists, "filter": which, "q": (q or "").strip(), "sort": sort, "saved_filters": saved,
                "may_watch_workload": watches}
