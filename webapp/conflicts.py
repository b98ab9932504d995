"""Staff pages: declare conflicts of interest (admins record them for others), and step aside
(回避) from a held task. Each view parses, makes one engine call, then renders or redirects."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.confidential.conflicts import PARTY_KINDS
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound

from .auth import current_actor, login_required

PARTY_KIND_WORDS = {"person": _l("person"), "department": _l("department"), "organisation": _l("organisation")}

bp = Blueprint("conflicts", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def form_day(name: str, end_of_day: bool = False) -> datetime | None:
    """A date field as the start (or end) of that day in the organisation's zone; blank or bad: None."""
    text = (request.form.get(name) or "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    if day is None:
        return None
    start = datetime.combine(day, time.min, ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai"))
    return start + timedelta(days=1, microseconds=-1) if end_of_day else start


def render_index(errors: dict | None = None, status: int = 200):
    """The caller's conflicts (admins and auditors: everyone's) and the declaration form."""
    actor = current_actor()
    rows = engine().list_conflicts(actor)
    page = render_template("conflicts/index.html", conflicts=rows, kinds=PARTY_KINDS, kind_words=PARTY_KIND_WORDS, errors=errors or {},
                           values=request.form, may_record_for_others=actor.has_role("admin"))
    return page, status


@bp.route("/conflicts")
@login_required
def index():
    """Declared conflicts and the form to declare one."""
    return render_index()


@bp.route("/conflicts", methods=("POST",))
@login_required
def declare():
    """Declare a conflict; it takes the holder off the cases already naming the party."""
    form = request.form
    try:
        declared = engine().declare_conflict(
            current_actor(), form.get("party", ""), form.get("relation", ""), form.get("party_kind") or "person",
            (form.get("username") or "").strip() or None, form_day("valid_from"), form_day("valid_to", True))
    except (InvalidInput, Forbidden) as error:
        return render_index(error.details if isinstance(error.details, dict) else {"party": error.message}, 400)
    flash(_("Conflict recorded; cases naming this party are now closed to %(user)s.", user=declared["username"]),
          "success")
    return redirect(url_for("conflicts.index"))


@bp.route("/conflicts/<id:conflict_id>/end", methods=("POST",))
@login_required
def end(conflict_id: int):
    """The conflict no longer holds from today."""
    engine().end_conflict(current_actor(), conflict_id)
    flash(_("The conflict has ended."), "success")
    return redirect(url_for("conflicts.index"))


@bp.route("/tasks/<id:task_id>/recuse", methods=("POST",))
@login_required
def recuse(task_id: int):
    """Step aside from a task's case with a reason; the task goes back to the group (or up)."""
    try:
        engine().recuse_from_task(current_actor(), task_id, request.form.get("reason", ""))
    except (InvalidInput, Conflict, Forbidden, NotFound) as error:
        flash(_("You could not step aside: %(reason)s", reason=error.message), "error")
        return redirect(request.referrer or url_for("inbox.index"))
    flash(_("You have stepped aside from this case; it is no longer shown to you."), "success")
    return redirect(url_for("inbox.index"))
