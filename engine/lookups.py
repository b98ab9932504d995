"""The `CaseLookups` handlers use: numbering, calendar, people, conflicts, complainant history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.accounts import users
from engine.clocks.calendar import WorkingCalendar
from engine.clocks.clock import aware, to_iso
from engine.models import Case, Conflict, Counter, complainant_name_text


# Built once: every complaint's review asks (SQLAlchemy keys a reused statement only once).
_CONFLICTS = select(Conflict.username, Conflict.valid_from, Conflict.valid_to).where(
    func.lower(Conflict.party).in_(bindparam("parties", expanding=True)))


class DatabaseLookups:
    """Implements engine.handler_api.CaseLookups inside one step's transaction.

    Every deadline it computes is remembered with how it was counted (`bases`, keyed by the due
    instant), so the step can store on the case which deadlines rest on a provisional calendar
    and how to recount them when the official schedule, a pause or an extension arrives."""

    def __init__(self, session: Session, calendar: WorkingCalendar, now: datetime, zone):
        self.session = session
        self.calendar = calendar
        self.now = now
        self.zone = zone
        self.bases: dict[datetime, dict] = {}

    def _counted(self, start: datetime, amount: int, unit: str) -> datetime:
        due, provisional = self.calendar.deadline_info(start, amount, unit)
        self.bases[due] = {"from": to_iso(start), "amount": amount, "unit": unit, "provisional": provisional}
        return due

    def next_number(self, prefix: str) -> str:
        month = self.now.astimezone(self.zone).strftime("%Y%m")
        name = f"{prefix}-{month}"
        query = select(Counter).where(Counter.name == name)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        counter = self.session.scalars(query).first()
        if counter is None:
            counter = Counter(name=name, value=0, text="")
            self.session.add(counter)
        counter.value += 1
        self.session.flush()
        return f"{name}-{counter.value:04d}"

    def add_working_days(self, start: datetime, days: int) -> datetime:
        return self._counted(start, days, "working_days")

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        return self._counted(start, days, "calendar_days")

    def add_months(self, start: datetime, months: int) -> datetime:
        return self._counted(start, months, "months")

    def working_days_before(self, due: datetime, days: int) -> datetime:
        at = self.calendar.working_days_before(due, days)
        followed = self.bases.get(due, {})
        self.bases.setdefault(at, {"before": to_iso(due), "days": days,
                                   "provisional": bool(followed.get("provisional"))})
        return at

    def is_working_day(self, day: date) -> bool:
        return self.calendar.is_working_day(day)

    def group_members(self, group: str) -> list[str]:
        return users.group_members(self.session, group)

    def user_groups(self, username: str) -> list[str]:
        return users.user_groups(self.session, username)

    def find_username(self, name: str) -> str | None:
        return users.find_username(self.session, name)

    def conflicted_users(self, parties: list[str]) -> list[str]:
        wanted = sorted({p.strip().lower() for p in parties if p and p.strip()})
        if not wanted:
            return []
        now = self.now
        rows = self.session.execute(_CONFLICTS, {"parties": wanted})
        out = set()
        for row in rows:
            if row.valid_from and aware(row.valid_from) > now:
                continue
            if row.valid_to and aware(row.valid_to) < now:
                continue
            out.add(row.username)
        return sorted(out)

    def complainant_history(self, organisation: str, case_type: str) -> list[dict]:
        # Only the columns the check reads (never the cases' workflows), found through the index
        # on (type, complainant name): this complainant's cases only, however many the database holds.
        rows = self.session.execute(select(
            Case.number, Case.status, Case.closed_at, Case.data["outcome"].as_string().label("outcome"),
            Case.data["project_code"].as_string().label("project_code")).where(
            Case.type_key == case_type, complainant_name_text() == organisation))
        return [{"number": c.number, "status": c.status, "outcome": c.outcome, "project_code": c.project_code,
                 "decided_at": to_iso(aware(c.closed_at))} for c in rows]
