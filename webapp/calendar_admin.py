"""Admin pages: the working calendar (holidays, adjusted working weekends, official imports)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import EngineError

from .auth import current_actor, roles_required
from .forms_render import reason_text

bp = Blueprint("calendar_admin", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def _year() -> int:
    try:
        return int(request.values.get("year") or engine().now().year)
    except ValueError:
        return engine().now().year


@bp.route("/admin/calendar")
@roles_required("admin")
def index():
    """One year's exceptions to Mon-Fri, and a warning for years without an official schedule."""
    year = _year()
    try:
        view = engine().calendar_year(current_actor(), year)
    except EngineError as error:
        flash(reason_text(error.message), "error")
        return redirect(url_for("calendar_admin.index"))
    return render_template("calendar_admin/index.html", view=view, year=year)


@bp.route("/admin/calendar/days", methods=("POST",))
@roles_required("admin")
def set_day():
    """Add or change one day: a holiday, or an adjusted working day (调休)."""
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(_("Give the day as YYYY-MM-DD."), "error")
        return redirect(url_for("calendar_admin.index", year=_year()))
    working = request.form.get("working") == "1"
    try:
        result = engine().calendar_set_day(current_actor(), day, working, request.form.get("name", "").strip())
    except EngineError as error:
        flash(reason_text(error.message), "error")
    else:
        flash(_("Saved %(day)s; %(n)s case(s) recounted.", day=day.isoformat(), n=len(result["recounted"])), "success")
    return redirect(url_for("calendar_admin.index", year=day.year))


@bp.route("/admin/calendar/days/<day>/delete", methods=("POST",))
@roles_required("admin")
def remove_day(day: str):
    """Drop an admin's entry: the day follows the official schedule (or the weekday rule) again."""
    try:
        parsed = date.fromisoformat(day)
        engine().calendar_remove_day(current_actor(), parsed)
    except (ValueError, EngineError):
        flash(_("The day could not be removed."), "error")
        return redirect(url_for("calendar_admin.index"))
    flash(_("Removed %(day)s.", day=day), "success")
    return redirect(url_for("calendar_admin.index", year=parsed.year))


@bp.route("/admin/calendar/import", methods=("POST",))
@roles_required("admin")
def import_year():
    """Import a year: typed-in lines from the State Council notice, or chinese_calendar's data."""
    year = _year()
    try:
        result = engine().calendar_import_year(current_actor(), year, request.form.get("schedule") or None)
    except EngineError as error:
        details = "; ".join(str(v) for v in (getattr(error, "details", None) or {}).values())
        flash(reason_text(error.message) + (f" ({details})" if details else ""), "error")
    else:
        flash(_("Imported %(year)s (%(days)s days); %(n)s case(s) recounted.", year=year, days=result["days"],
                n=len(result["recounted"])), "success")
    return redirect(url_for("calendar_admin.index", year=year))
