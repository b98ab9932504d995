"""Handing work on from the task and case pages (issue 11): 转办, 委派 and hand back, 退回, 抄送.
Each form post makes one engine call and returns to the page with what happened."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound

from .i18n import half
from .auth import current_actor, login_required
from .cases import render_case
from .forms_render import reason_text

bp = Blueprint("task_operations", __name__)

REFUSALS = (
    (re.compile(r"^(?P<u>\S+) is recused from this case$"), _l("%(u)s is recused from this case.")),
    (re.compile(r"^(?P<u>\S+) may not handle this case$"), _l("%(u)s may not handle this case.")),
    (re.compile(r"^name someone other than yourself"), _l("Name someone other than yourself.")),
    (re.compile(r"^name a colleague"), _l("Choose a colleague.")),
    (re.compile(r"^give the (reason|note)"), _l("Give the reason (2 to 500 characters).")),
    (re.compile(r"^only the holder"), _l("Only the holder of the task may do this.")),
    (re.compile(r"^only the colleague a task was delegated to"), _l("Only the colleague the task was delegated to may hand it back.")),
    (re.compile(r"^this step cannot be returned to"), _l("The diagram does not let cases return to this step.")),
    (re.compile(r"^the case has not passed this step"), _l("The case has not passed this step on its way here.")),
    (re.compile(r"^the task changed hands meanwhile"), _l("Someone else changed the task at the same moment; reload and try again.")),
    (re.compile(r"^the case was changed at the same time"), _l("Someone else changed the case at the same moment; reload and try again.")),
    (re.compile(r"^you are recused"), _l("You are recused from this case.")),
    (re.compile(r"^waiting for sign-off from (?P<u>.+)$"), _l("Waiting for sign-off from %(u)s.")),
    (re.compile(r"^say whether you agree"), _l("Say whether you agree.")),
    (re.compile(r"^give the opinion"), _l("Give your opinion.")),
    (re.compile(r"^(?P<u>\S+) may not read this case$"), _l("%(u)s may not read this case; they were not mentioned.")),
    (re.compile(r"^write the comment"), _l("Write the comment.")),
    (re.compile(r"^the complainant cannot read comments"), _l("The complainant cannot read comments on this case.")),
    (re.compile(r"^no active colleague (?P<u>\S+)"), _l("There is no active colleague %(u)s.")),
)


def engine():
    return current_app.extensions["complaintflow"]


def _said(error) -> str:
    for pattern, message in REFUSALS:
        match = pattern.match(error.message)
        if match:
            return str(message) % match.groupdict() if match.groupdict() else str(message)
    return reason_text(error.message)


def _refused(error, task_id: int | None = None, case_id: int | None = None):
    flash(_("Not done: %(reason)s", reason=_said(error)), "error")
    if isinstance(error, NotFound):
        return redirect(url_for("inbox.index"))
    if task_id:
        return redirect(url_for("inbox.task", task_id=task_id))
    return redirect(url_for("cases.detail", case_id=case_id))


REFUSED = (InvalidInput, Conflict, Forbidden, NotFound)


@bp.route("/tasks/<id:task_id>/transfer", methods=("POST",))
@login_required
def transfer(task_id: int):
    try:
        task = engine().transfer_task(current_actor(), task_id, request.form.get("to", ""), request.form.get("reason", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("The task “%(name)s” is transferred to %(who)s.", name=half(task["name"]), who=task["assignee"]), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<id:task_id>/delegate", methods=("POST",))
@login_required
def delegate(task_id: int):
    try:
        task = engine().delegate_task(current_actor(), task_id, request.form.get("to", ""), request.form.get("reason", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("%(who)s is asked to work on “%(name)s”; it comes back to you to complete.", who=task["assignee"],
            name=half(task["name"])), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/tasks/<id:task_id>/hand-back", methods=("POST",))
@login_required
def hand_back(task_id: int):
    try:
        task = engine().hand_back_task(current_actor(), task_id, request.form.get("note", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("The task “%(name)s” is back with its holder.", name=half(task["name"])), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<id:task_id>/send-back", methods=("POST",))
@login_required
def send_back(task_id: int):
    try:
        result = engine().send_back_task(current_actor(), task_id, request.form.get("to", ""),
                                         request.form.get("reason", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    names = ", ".join(half(t["name"]) for t in result["next_tasks"] if t["element_id"] == result["sent_back_to"])
    flash(_("Case %(number)s is sent back to “%(step)s”.", number=result["case_number"], step=names), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/cases/<id:case_id>/cc", methods=("POST",))
@login_required
def copy_case(case_id: int):
    names = [n for n in re.split(r"[\s,，;；]+", request.form.get("to", "")) if n] + request.form.getlist("to_people")
    back = request.form.get("task_id", type=int)
    if not names:
        flash(_("Not done: %(reason)s", reason=_("Choose a colleague.")), "error")
        return redirect(url_for("inbox.task", task_id=back) if back else url_for("cases.detail", case_id=case_id))
    try:
        result = engine().copy_case(current_actor(), case_id, names[:20], request.form.get("note", ""))
    except REFUSED as error:
        return _refused(error, back, case_id)
    flash(_("Case %(number)s is copied to %(who)s (read-only).", number=result["case_number"],
            who=", ".join(result["copied_to"])), "success")
    return redirect(url_for("inbox.task", task_id=back) if back else url_for("cases.detail", case_id=case_id))


@bp.route("/tasks/<id:task_id>/signers", methods=("POST",))
@login_required
def add_signers(task_id: int):
    names = request.form.getlist("to")
    try:
        result = engine().add_signers(current_actor(), task_id, names[:10], request.form.get("note", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    pending = [s["username"] for s in result["signers"] if s["state"] == "ready"]
    flash(_("Waiting for sign-off from %(who)s.", who=", ".join(pending)), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/tasks/<id:task_id>/signers/<username>/remove", methods=("POST",))
@login_required
def remove_signer(task_id: int, username: str):
    try:
        engine().remove_signer(current_actor(), task_id, username[:80])
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("The sign-off of %(who)s is withdrawn.", who=username), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/tasks/<id:task_id>/sign", methods=("POST",))
@login_required
def sign(task_id: int):
    agree = {"yes": True, "no": False}.get(request.form.get("agree", ""))
    try:
        engine().sign_off(current_actor(), task_id, agree, request.form.get("opinion", ""))
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("Signed off."), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/cases/<id:case_id>/comments", methods=("POST",))
@login_required
def comment(case_id: int):
    """A comment from the task page (back to the task) or the case page (back to the case; a refused
    one shows the case page with the field's error and the text kept)."""
    task_id = request.form.get("task_id", type=int)
    body, visibility = request.form.get("body", ""), request.form.get("visibility", "internal")
    if not task_id:
        return _comment_on_case(case_id, body, visibility)
    try:
        engine().add_comment(current_actor(), case_id, body, visibility,
                             task_id if request.form.get("about_task") else None)
    except REFUSED as error:
        return _refused(error, task_id, case_id)
    flash(_("Your comment is added."), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


def _comment_on_case(case_id: int, body: str, visibility: str):
    result = engine().comment_from_case_page(current_actor(), case_id, body, visibility)
    if "refused" in result:
        return render_case(result, 422, comment_error=_said(result["refused"]), comment_body=body,
                           comment_visibility=visibility)
    flash(_("Your comment is added."), "success")
    return redirect(url_for("cases.detail", case_id=case_id) + "#comments-title", code=303)


@bp.route("/workload")
@login_required
def workload():
    """Open and overdue tasks per person and group; `?assignee=` lists that person's tasks, each
    reassigned from its task page (转办 with a reason)."""
    person = (request.args.get("assignee") or "")[:80] or None
    try:
        load = engine().workload(current_actor(), person)
    except Forbidden:
        abort(403)
    except InvalidInput:
        return redirect(url_for("task_operations.workload"))
    return render_template("task_operations/workload.html", load=load)


@bp.route("/deputy", methods=("GET", "POST"))
@login_required
def deputy():
    """Name a deputy for an absence (or clear it): my tasks reach them while I am away."""
    from .api.parsing import moment_of

    me = current_actor()
    if request.method == "POST":
        details: dict[str, str] = {}
        chosen = (request.form.get("deputy") or "").strip()[:80] or None
        starts = moment_of(request.form["from"], "from", details) if request.form.get("from") else None
        ends = moment_of(request.form["until"], "until", details, end_of_day=True) if request.form.get("until") else None
        try:
            if details:
                raise InvalidInput("bad dates", details)
            engine().set_deputy(me, me.username, chosen if request.form.get("action") != "clear" else None,
                                starts, ends)
        except (InvalidInput, Forbidden, NotFound) as error:
            fields = ", ".join(sorted((error.details or {}).keys())) if isinstance(error.details, dict) else ""
            flash(_("Not done: %(reason)s", reason=f"{_said(error)} {fields}".strip()), "error")
            return redirect(url_for("task_operations.deputy"))
        flash(_("Your deputy is saved."), "success")
        return redirect(url_for("task_operations.deputy"))
    return render_template("task_operations/deputy.html", current=engine().get_deputy(me, me.username))


@bp.route("/filters", methods=("POST",))
@login_required
def save_filter():
    criteria = {k: request.form.get(k, "").strip() for k in ("type", "category", "status", "due", "assignee", "text")}
    try:
        engine().save_filter(current_actor(), request.form.get("name", ""), {k: v for k, v in criteria.items() if v})
    except InvalidInput as error:
        flash(_("Not done: %(reason)s", reason=", ".join(f"{k}: {v}" for k, v in (error.details or {}).items())),
              "error")
        return redirect(url_for("inbox.index"))
    flash(_("The filter is saved."), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/filters/<id:filter_id>")
@login_required
def filter_page(filter_id: int):
    try:
        found = engine().filter_tasks(current_actor(), filter_id, cursor=request.args.get("after") or None)
    except InvalidInput:
        return redirect(url_for("task_operations.filter_page", filter_id=filter_id))
    return render_template("task_operations/filter.html", found=found)


@bp.route("/filters/<id:filter_id>/delete", methods=("POST",))
@login_required
def delete_filter(filter_id: int):
    try:
        engine().delete_filter(current_actor(), filter_id)
    except NotFound:
        abort(404)
    flash(_("The filter is deleted."), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<id:task_id>/follow-up", methods=("POST",))
@login_required
def follow_up(task_id: int):
    from .api.parsing import moment_of

    details: dict[str, str] = {}
    text = request.form.get("at", "").strip()
    at = moment_of(text, "at", details) if text else None
    try:
        if details:
            raise InvalidInput("bad date", details)
        engine().set_follow_up(current_actor(), task_id, at)
    except REFUSED as error:
        return _refused(error, task_id)
    flash(_("The follow-up date is saved.") if at else _("The follow-up date is cleared."), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


def _facts(form: dict) -> list[tuple[str, str]]:
    from .forms_render import case_facts

    facts, _recorded = case_facts(form["case"].get("data"), form.get("intake_form") or {})
    return [(str(label), ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            for _name, label, value in facts]


def _readable(form: dict) -> dict:
    """The handling form in the reader's words: step names in their language, each step's result
    as {label: value} from the step's form (what no form labels is left out)."""
    from .forms_render import step_results
    from .i18n import localtime

    def text(value) -> str:
        if value is True or value is False:
            return _("yes") if value else _("no")
        if isinstance(value, list):
            return "、".join(map(str, value))
        return localtime(value) if isinstance(value, str) else str(value)

    for step in form["steps"]:
        step["step"] = half(step["step"])
        step["result"] = {label: text(value) for label, value in step_results(step["result"], step.get("form"))}
    return form


@bp.route("/cases/<id:case_id>/handling-form")
@login_required
def print_form(case_id: int):
    """The handling form as a printable page (the browser prints it)."""
    form = _readable(engine().handling_form(current_actor(), case_id))
    return render_template("task_operations/print.html", form=form, case=form["case"], facts=_facts(form))


@bp.route("/cases/<id:case_id>/handling-form.pdf")
@login_required
def print_pdf(case_id: int):
    from .i18n import localtime
    from .print_pdf import handling_form_pdf

    form = _readable(engine().handling_form(current_actor(), case_id))
    pdf = handling_form_pdf(form, _facts(form), lambda v: localtime(v) if v else "")
    return current_app.response_class(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{form["case"].get("number") or case_id}.pdf"',
        "Cache-Control": "no-store"})
