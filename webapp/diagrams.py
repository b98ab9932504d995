"""A case's path drawn on its own diagram version, and a version's heatmap (issue 9, points 3 and 4).

Both pages hand the viewer bundle (webapp/static/vendor/modeler/diagram-view.js) the diagram and
the marks in one JSON block; one engine call per request."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.errors import Forbidden, InvalidInput

from .api.parsing import moment_of
from .auth import current_actor, login_required
from .i18n import localtime
from .modeler import EDITOR_POLICY

bp = Blueprint("diagrams", __name__)

# what an event at an element means, in the reader's language (engine event kinds)
EVENT_LABELS = {
    "element_completed": _l("Step completed"), "task_ready": _l("Task ready"), "task_claimed": _l("Task claimed"),
    "task_unclaimed": _l("Task handed back"), "task_completed": _l("Task completed"),
    "task_cancelled": _l("Task cancelled"), "timer_fired": _l("Timer fired"), "reminder_sent": _l("Reminder sent"),
    "escalated": _l("Escalated"), "case_filed": _l("Case filed"),
}


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.after_request
def viewer_policy(response):
    response.headers.setdefault("Content-Security-Policy", EDITOR_POLICY)  # bpmn-js sets inline styles
    return response


def viewer_texts() -> dict:
    return {s: _(s) for s in ("No events at this element.", "No case passed this element in the period.",
                              "When", "Who", "What", "Cases", "Median wait (hours)", "p90 wait (hours)",
                              "The diagram could not be drawn.")}


@bp.route("/cases/<id:case_id>/path", methods=("GET", "POST"))
@login_required
def case_path(case_id: int):
    """The case on its diagram: completed, taken and active marked; a sealed case asks for a reason."""
    reason = request.form.get("reason", "") if request.method == "POST" else None
    try:
        path = engine().case_path(current_actor(), case_id, reason)
    except Forbidden as error:
        if error.code != "sealed":
            raise
        return render_template("cases/sealed.html", case_id=case_id, open_endpoint="diagrams.case_path"), 403
    except InvalidInput as error:
        flash(_("The case was not opened: %(reason)s", reason=error.message), "error")
        return redirect(url_for("diagrams.case_path", case_id=case_id))
    events = {element: [{**e, "at_local": localtime(e["at"], "%Y-%m-%d %H:%M"),
                         "label": str(EVENT_LABELS.get(e["kind"], e["kind"]))} for e in items]
              for element, items in path["events"].items()}
    model = {"mode": "path", "xml": path["xml"], "completed": path["completed"], "active": path["active"],
             "flows": path["flows"], "events": events, "texts": viewer_texts()}
    return render_template("cases/path.html", case_id=case_id, path=path, model=model)


@bp.route("/process-types/<key>/versions/<int:version>/heatmap")
@login_required
def heatmap(key: str, version: int):
    """A version coloured by how many cases passed each element and how long they waited."""
    details: dict[str, str] = {}
    raw_from, raw_to = (request.args.get("from") or "").strip()[:40], (request.args.get("to") or "").strip()[:40]
    start = moment_of(raw_from, "from", details) if raw_from else None
    end = moment_of(raw_to, "to", details, end_of_day=True) if raw_to else None
    if details:
        flash(_("The period was not understood; give dates as YYYY-MM-DD."), "error")
        start = end = None
    heat = engine().heatmap(current_actor(), key, version, start, end)
    model = {"mode": "heatmap", "xml": heat["xml"], "elements": heat["elements"], "texts": viewer_texts()}
    return render_template("process_types/heatmap.html", heat=heat, model=model, key=key, version=version,
                           period={"from": raw_from, "to": raw_to})
