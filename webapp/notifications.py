"""Staff pages: the notices (催办 reminders, 督办 escalations) addressed to me and my groups."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput, NotFound

from .auth import current_actor, login_required

bp = Blueprint("notifications", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.route("/notifications")
@login_required
def index():
    """Newest first; `?unread=1` keeps the unread ones; "Next" pages on by cursor (`after`)."""
    unread = request.args.get("unread") == "1"
    cursor = request.args.get("after") or None
    try:
        found = engine().list_notifications(current_actor(), unread_only=unread, cursor=cursor)
    except InvalidInput:  # a stale or edited cursor: the first page
        return redirect(url_for("notifications.index", unread=1 if unread else None))
    return render_template("notifications/index.html", items=found["items"], unread=unread,
                           cursor=cursor, next_cursor=found["next"])


@bp.route("/notifications/<id:notification_id>/read", methods=("POST",))
@login_required
def mark_read(notification_id: int):
    """Mark one notice read (for a group notice: for the whole group)."""
    try:
        engine().mark_notification_read(current_actor(), notification_id)
    except NotFound:
        flash(_("No such notification."), "error")
    return redirect(url_for("notifications.index"))
