"""Admins' page of tasks stuck without an eligible holder, each with a reassign form
(engine.stuck_tasks). Each view parses, makes one engine call, then renders or redirects."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Rejected

from .i18n import half
from .auth import current_actor, login_required

bp = Blueprint("stuck", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def render_index(errors: dict | None = None, failed_task: int | None = None, status: int = 200):
    cursor = request.args.get("cursor") or None
    page = engine().stuck_tasks(current_actor(), limit=50, cursor=cursor)
    return render_template("stuck/index.html", page=page, errors=errors or {}, failed_task=failed_task,
                           values=request.form), status


@bp.route("/admin/stuck-tasks")
@login_required
def index():
    """Open tasks nobody eligible may take, longest stuck first."""
    try:
        return render_index()
    except InvalidInput:  # a stale or foreign cursor: start again
        return redirect(url_for("stuck.index"))


@bp.route("/admin/stuck-tasks/<id:task_id>/reassign", methods=("POST",))
@login_required
def reassign(task_id: int):
    """Give the task to the user or the group typed in, with the reason."""
    form = request.form
    target = (form.get("to") or "").strip()
    to_user, to_group = (target, None) if form.get("kind") == "user" else (None, target)
    try:
        done = engine().reassign_task(current_actor(), task_id, to_user=to_user, to_group=to_group,
                                      reason=form.get("reason", ""))
    except (InvalidInput, Rejected) as error:
        details = error.details if isinstance(error.details, dict) else {}
        shown = {("to" if k in ("to_user", "to_group") else k): v for k, v in details.items()} or {"to": error.message}
        return render_index(shown, task_id, 400 if isinstance(error, InvalidInput) else 422)
    except (Conflict, NotFound, Forbidden) as error:
        flash(_("The task could not be reassigned: %(reason)s", reason=error.message), "error")
        return redirect(url_for("stuck.index"))
    flash(_("Task %(name)s of case %(number)s reassigned.", name=half(done["name"]), number=done["case_number"] or ""),
          "success")
    return redirect(url_for("stuck.index"))
