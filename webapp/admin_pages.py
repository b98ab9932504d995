"""Admin pages: users (create, edit, disable), groups (create, rename) and their members.

Each view parses the form, makes one engine call, then renders or redirects; a refused form is
shown again with each refused field named. The engine checks the admin role inside that call's
transaction (a role check here first would cost a transaction of its own).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.actors import ROLES
from engine.errors import EngineError, Forbidden, InvalidInput

from .auth import current_actor, login_required, roles_required
from .forms_render import reason_text

bp = Blueprint("admin", __name__)

FIELD_LABELS = {"username": _l("Username"), "password": _l("Password"), "display_name": _l("Display name"),
                "email": _l("E-mail"), "roles": _l("Roles"), "groups": _l("Groups"), "key": _l("Key"),
                "name_zh": _l("Chinese name"), "name_en": _l("English name"), "active": _l("Active")}
ROLE_LABELS = {"admin": _l("Administrator"), "process_owner": _l("Process owner"), "auditor": _l("Auditor"),
               "staff": _l("Staff")}


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


def refusal(error: EngineError) -> dict:
    """{field label: reason} of a refused form, or the message alone (a refused role is a 403 page)."""
    if isinstance(error, Forbidden):
        raise error
    details = error.details if isinstance(error, InvalidInput) and isinstance(error.details, dict) else {}
    if details:
        return {str(FIELD_LABELS.get(k, k)): reason_text(v) for k, v in details.items()}
    return {"": reason_text(error.message)}


@bp.route("/admin")
@roles_required("admin")
def index():
    """What an admin manages: users, groups, the working calendar, process types."""
    return render_template("admin/index.html")


@bp.route("/admin/users")
@login_required
def users(errors: dict | None = None, status: int = 200):
    """One page of users and the form to create one."""
    page = engine().users_page(current_actor(), cursor=request.args.get("after") or None)
    return render_template("admin/users.html", page=page, roles=ROLES, role_labels=ROLE_LABELS,
                           errors=errors or {}, values=request.form), status


@bp.route("/admin/users", methods=("POST",))
@login_required
def create_user():
    """Create a user with an initial password; roles and groups from the checkboxes."""
    form = request.form
    fields = {"username": form.get("username", "").strip(), "password": form.get("password", ""),
              "display_name": form.get("display_name", ""), "email": form.get("email", "").strip() or None,
              "roles": form.getlist("roles") or ["staff"], "groups": form.getlist("groups")}
    try:
        user = engine().create_user(current_actor(), fields)
    except EngineError as error:
        return users(refusal(error), 400 if isinstance(error, InvalidInput) else error.status)
    flash(_("User %(name)s created.", name=user["username"]), "success")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<username>", methods=("GET", "POST"))
@login_required
def user(username: str):
    """Edit one user: name, e-mail, roles, groups, active, a new password."""
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        fields = {"display_name": form.get("display_name", ""), "email": form.get("email", "").strip() or None,
                  "roles": form.getlist("roles") or ["staff"], "groups": form.getlist("groups"),
                  "active": form.get("active") == "1"}
        if form.get("password"):
            fields["password"] = form["password"]
        try:
            engine().update_user(current_actor(), username, fields)
        except EngineError as error:
            errors, status = refusal(error), (400 if isinstance(error, InvalidInput) else error.status)
        else:
            flash(_("Saved %(name)s.", name=username), "success")
            return redirect(url_for("admin.user", username=username))
    page = engine().users_page(current_actor(), username=username)
    return render_template("admin/user.html", page=page, roles=ROLES, role_labels=ROLE_LABELS,
                           errors=errors), status


@bp.route("/admin/groups")
@login_required
def groups(errors: dict | None = None, status: int = 200):
    """One page of groups with their members, and the form to create one."""
    page = engine().list_groups(current_actor(), 50, request.args.get("after") or None)
    return render_template("admin/groups.html", page=page, errors=errors or {}, values=request.form), status


@bp.route("/admin/groups", methods=("POST",))
@login_required
def create_group():
    form = request.form
    fields = {k: form.get(k, "").strip() for k in ("key", "name_zh", "name_en")}
    try:
        engine().create_group(current_actor(), fields)
    except EngineError as error:
        return groups(refusal(error), 400 if isinstance(error, InvalidInput) else error.status)
    flash(_("Group %(key)s created.", key=fields["key"]), "success")
    return redirect(url_for("admin.groups"))


@bp.route("/admin/groups/<key>/names", methods=("POST",))
@login_required
def rename_group(key: str):
    form = request.form
    try:
        engine().rename_group(current_actor(), key, {k: form.get(k, "") for k in ("name_zh", "name_en")})
    except EngineError as error:
        flash("; ".join(f"{k}: {v}" if k else v for k, v in refusal(error).items()), "error")
    else:
        flash(_("Saved %(name)s.", name=key), "success")
    return redirect(url_for("admin.groups"))


@bp.route("/admin/groups/<key>/members", methods=("POST",))
@login_required
def add_member(key: str):
    """Add a member; the group's tasks reach their inbox at once."""
    username = request.form.get("username", "").strip()
    try:
        engine().add_group_member(current_actor(), key, username)
    except EngineError as error:
        refusal(error)
        flash(_("%(user)s could not be added to %(group)s: %(reason)s", user=username, group=key,
                reason=reason_text(error.message)), "error")
    else:
        flash(_("%(user)s is now in %(group)s.", user=username, group=key), "success")
    return redirect(url_for("admin.groups"))


@bp.route("/admin/groups/<key>/members/<username>/remove", methods=("POST",))
@login_required
def remove_member(key: str, username: str):
    """Remove a member; the group's tasks they held go back to the group."""
    try:
        engine().remove_group_member(current_actor(), key, username)
    except EngineError as error:
        refusal(error)
        flash(reason_text(error.message), "error")
    else:
        flash(_("%(user)s left %(group)s; the group's tasks they held went back to it.", user=username,
                group=key), "success")
    return redirect(url_for("admin.groups"))
