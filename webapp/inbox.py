"""The staff inbox: my tasks and those my groups may take; claim, hand back and complete them."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound

from .i18n import half
from .auth import current_actor, login_required, safe_next
from .forms_render import (case_facts, field_errors, form_fields, initial_values, option_words, parse_submission,
                           reason_text,
                           result_sections)
from .public import uploaded_files

bp = Blueprint("inbox", __name__)

def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.route("/inbox")
@login_required
def index():
    """Two lists, overdue and due-soon tasks first: tasks I hold, and unclaimed tasks my groups
    may take, soonest due first or (`?sort=newest`) newest first; `?filter=overdue|due_soon` keeps
    only those, `?q=` only tasks of cases whose number,
    subject, description or names match; each list pages on by its own cursor (`mine_after`,
    `available_after`)."""
    cursors = {scope: request.args.get(f"{scope}_after") or None for scope in ("mine", "available")}
    q = (request.args.get("q") or "").strip()[:200]
    sort = request.args.get("sort") or "due"
    try:
        inbox = engine().inbox(current_actor(), request.args.get("filter"), cursors, q=q or None, sort=sort)
    except InvalidInput:  # a stale or edited page link: start again from the first page
        return redirect(url_for("inbox.index", filter=request.args.get("filter") or None, q=q or None,
                                sort=None if sort == "due" else sort))
    return render_template("inbox/index.html", mine=inbox["mine"], available=inbox["available"],
                           active_filter=inbox["filter"], cursors=cursors, q=q, sort=inbox["sort"],
                           saved_filters=inbox.get("saved_filters") or [],
                           may_watch_workload=inbox.get("may_watch_workload", False))


def back(default_endpoint: str = "inbox.index", **values):
    """Return to the page the button was on (a path on this site), else the default."""
    return redirect(safe_next(request.form.get("next"), url_for(default_endpoint, **values)))


@bp.route("/tasks/<id:task_id>/claim", methods=("POST",))
@login_required
def claim(task_id: int):
    """Take a task from the group's list and open it."""
    try:
        task = engine().claim_task(current_actor(), task_id)
    except (Conflict, Forbidden, NotFound) as error:
        flash(_("The task could not be claimed: %(reason)s", reason=reason_text(error.message)), "error")
        return back()
    flash(_("You now hold the task “%(name)s” of case %(number)s.", name=half(task["name"]),
            number=task["case_number"]), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/tasks/<id:task_id>/unclaim", methods=("POST",))
@login_required
def unclaim(task_id: int):
    """Hand a task back to its group."""
    try:
        task = engine().unclaim_task(current_actor(), task_id)
    except (Conflict, Forbidden, NotFound) as error:
        flash(_("The task could not be handed back: %(reason)s", reason=reason_text(error.message)), "error")
        return back()
    flash(_("The task “%(name)s” is back in the group's list.", name=half(task["name"])), "success")
    return back()


def render_task(task: dict, values: MultiDict, errors=None, general=None, status: int = 200):
    """The task page (`ComplaintEngine.task_page`): the case's facts beside the task's form."""
    case = task.get("case") or {}
    facts, _recorded = case_facts(case.get("data"), task.get("intake_form") or {})
    sections, recorded = result_sections(case.get("data"), task.get("forms"), task.get("intake_form"),
                                         task.get("form"))
    page = render_template("inbox/task.html", task=task, case=case, fields=form_fields(task.get("form")),
                           values=values, errors=errors or {}, general=general or [],
                           facts=facts, recorded=recorded, sections=sections,
                           option_words=option_words(task.get("forms")),
                           holds=(task.get("operations") or {}).get(
                               "holds", task.get("assignee") == current_actor().username))
    return page, status


@bp.route("/tasks/<id:task_id>")
@login_required
def task(task_id: int):
    """Show one task (NotFound becomes the 404 page)."""
    found = engine().task_page(current_actor(), task_id)
    return render_task(found, initial_values(found.get("form")))


@bp.route("/tasks/<id:task_id>/complete", methods=("POST",))
@login_required
def complete(task_id: int):
    """Complete a held task with its form; the engine moves the case on (one engine call: the
    form is parsed against the task's schema inside it)."""
    try:
        result = engine().complete_task_and_next(current_actor(), task_id,
                                                 lambda schema: parse_submission(schema, request.form),
                                                 uploaded_files())
    except (Conflict, Forbidden) as error:
        flash(_("The task could not be completed: %(reason)s", reason=reason_text(error.message)), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    if not result["completed"]:
        found, error = result["task"], result["refused"]
        errors, general = field_errors(error.details, form_fields(found.get("form")), ("attachments",),
                                       schema=found.get("form"))
        if not errors and not general:
            general = [reason_text(error.message)]
        return render_task(found, request.form, errors, general, status=400)
    done = result["task"]
    flash(_("Task “%(name)s” of case %(number)s is done.", name=half(done["name"]), number=done["case_number"]),
          "success")
    if result.get("next_tasks"):
        names = ", ".join(half(t["name"]) for t in result["next_tasks"])
        flash(_("Next: %(names)s.", names=names), "info")
    return redirect(url_for("inbox.index"))
