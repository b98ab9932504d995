"""Staff forms of a case's clock (on the case page): pause, resume, extension request, decision.

The case page includes `cases/_clock_panel.html`, which asks `case_clock(case_id)` (a template
global registered here) for the clock's state; each form posts to one route below, which makes
one engine call and returns to the case page.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import EngineError

from .auth import current_actor, login_required
from .forms_render import reason_text

bp = Blueprint("clock", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def show_clock(case_id: int, clock: dict | None) -> None:
    """The panel's data, already read by the page's engine call (`case_page`)."""
    g.case_clocks = {**g.get("case_clocks", {}), case_id: clock}


@bp.app_template_global("case_clock")
def case_clock(case_id: int) -> dict | None:
    """The clock panel's data for the signed-in user (None when they may not see it)."""
    if case_id in g.get("case_clocks", {}):
        return g.case_clocks[case_id]
    actor = current_actor()
    if actor is None:
        return None
    try:
        return engine().case_clock(actor, case_id)
    except EngineError:
        return None


def _back(case_id: int):
    return redirect(url_for("cases.detail", case_id=case_id) + "#clock")


def _act(case_id: int, call, success: str):
    """Run one engine call for the clock panel, flash its outcome and go back to the panel."""
    try:
        call()
    except EngineError as error:
        _failed(error)
    else:
        flash(success, "success")
    return _back(case_id)


def _failed(error: EngineError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in (getattr(error, "details", None) or {}).items())
    flash(reason_text(error.message) + (f" ({details})" if details else ""), "error")


@bp.route("/cases/<id:case_id>/clock/pause", methods=("POST",))
@login_required
def pause(case_id: int):
    """Stop the case clock with a reason."""
    return _act(case_id, lambda: engine().pause_clock(
        current_actor(), case_id, request.form.get("kind", ""), request.form.get("reason", "")),
        _("The case clock is paused."))


@bp.route("/cases/<id:case_id>/clock/resume", methods=("POST",))
@login_required
def resume(case_id: int):
    """Restart the clock; pending deadlines move by the paused time."""
    return _act(case_id, lambda: engine().resume_clock(current_actor(), case_id),
                _("The case clock runs again; pending deadlines were moved by the paused time."))


@bp.route("/cases/<id:case_id>/clock/extensions", methods=("POST",))
@login_required
def request_extension(case_id: int):
    """Ask the supervisor for more working days."""
    try:
        days = int(request.form.get("working_days") or 0)
    except ValueError:
        days = 0
    return _act(case_id, lambda: engine().request_extension(
        current_actor(), case_id, days, request.form.get("reason", "")),
        _("The extension request went to the supervisor."))


@bp.route("/cases/<id:case_id>/clock/extensions/<id:request_id>", methods=("POST",))
@login_required
def decide_extension(case_id: int, request_id: int):
    """The supervisor approves or refuses an extension request."""
    approved = request.form.get("approved") == "1"
    return _act(case_id, lambda: engine().decide_extension(
        current_actor(), request_id, approved, request.form.get("comment", "")),
        _("Extension approved.") if approved else _("Extension refused."))
