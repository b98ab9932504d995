"""Pages for process owners and admins (auditors read): the types, each type's versions with who,
when, comment and hash, rolling the latest pointer back, and moving running cases between
versions with a dry-run preview first. The engine checks the roles inside each view's one call."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import EngineError, Forbidden

from .auth import current_actor, login_required
from .forms_render import reason_text

bp = Blueprint("process_types", __name__)
OWNERS = ("admin", "process_owner")


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def _number(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


@bp.route("/process-types")
@login_required
def index():
    """Every type and the version its new cases start on."""
    return render_template("process_types/index.html", types=engine().process_types_page(current_actor()))


@bp.route("/process-types/<key>")
@login_required
def detail(key: str):
    """A type's versions (newest first), the roll-back form and the migration form."""
    page = engine().versions_page(current_actor(), key, request.args.get("after") or None)
    return render_template("process_types/detail.html", page=page, key=key,
                           may_change=current_actor().has_role(*OWNERS))


@bp.route("/process-types/<key>/latest", methods=("POST",))
@login_required
def move_latest(key: str):
    """Roll the latest pointer back or forward with a reason."""
    try:
        moved = engine().move_latest(current_actor(), key, _number("version"), request.form.get("reason", ""))
    except Forbidden:
        raise
    except EngineError as error:
        flash(_("The latest version was not changed: %(reason)s", reason=reason_text(error.message)), "error")
    else:
        flash(_("New cases of %(key)s now start on version %(version)s.", key=key, version=moved["version"]),
              "success")
    return redirect(url_for("process_types.detail", key=key))


@bp.route("/process-types/<key>/migrations", methods=("POST",))
@login_required
def migrate(key: str):
    """Preview (dry run) or move one batch of running cases; the table says per case whether it
    can move and why not. A preview offers the button that moves the movable ones."""
    form = request.form
    cases_text = (form.get("cases") or "").strip()
    if cases_text in ("", "all"):
        cases = "all"
    else:
        try:
            cases = [int(c) for c in cases_text.replace(",", " ").split()]
        except ValueError:
            flash(_("List case ids separated by spaces or commas, or leave the field empty for all."), "error")
            return redirect(url_for("process_types.detail", key=key))
    dry_run = form.get("action") != "move"
    try:
        result = engine().migrate_cases(current_actor(), key, _number("from_version"), _number("to_version"),
                                        cases, dry_run, 50, form.get("cursor") or None)
    except Forbidden:
        raise
    except EngineError as error:
        flash(_("No cases were moved: %(reason)s", reason=reason_text(error.message)), "error")
        return redirect(url_for("process_types.detail", key=key))
    return render_template("process_types/migration.html", key=key, result=result, cases_text=cases_text,
                           cursor=form.get("cursor") or "")
