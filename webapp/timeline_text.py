"""Audit event kinds in people's words, and one timeline entry told as one line.

Kinds not named here (those a type's own service steps record, such as a pre-check) read as
"Recorded by the process", the step's name beside them; the key stays in the audit log."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

EVENT_LABELS = {
    "case_filed": _l("Case filed"),
    "case_reopened": _l("Case reopened"),
    "task_created": _l("Task ready"),
    "task_claimed": _l("Task claimed"),
    "task_unclaimed": _l("Task released"),
    "task_completed": _l("Task completed"),
    "task_cancelled": _l("Task cancelled"),
    "task_escalated": _l("Task sent up"),
    "task_returned_to_group": _l("Task returned to its group"),
    "no_eligible_candidate": _l("Nobody eligible left"),
    "timer_fired": _l("Timer fired"),
    "notification_reminder": _l("Reminder sent"),
    "notification_escalation": _l("Escalation sent"),
    "escalation": _l("Escalation"),
    "clock_paused": _l("Clock paused"),
    "clock_resumed": _l("Clock resumed"),
    "extension_requested": _l("Extension requested"),
    "extension_approved": _l("Extension approved"),
    "extension_refused": _l("Extension refused"),
    "deadlines_recounted": _l("Deadlines recounted"),
    "recusal": _l("Recusal"),
    "recused_self": _l("Stepped aside"),
    "identity_revealed": _l("Identity revealed"),
    "sealed_case_opened": _l("Sealed case opened"),
    "case_exported": _l("Case exported"),
    "cases_exported": _l("Case list exported"),
    "confidential_read": _l("Confidential case read"),
    "message": _l("Message to the complainant"),
    "complainant_message": _l("Message from the complainant"),
    "personal_data_erased": _l("Personal data erased"),
    "retention_set": _l("Retention period set"),
    "step_failed": _l("Step failed"),
    "element_completed": _l("Engine step passed"),
    "conflict_declared": _l("Conflict of interest declared"),
    "conflict_ended": _l("Conflict of interest ended"),
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "login_throttled": _l("Sign-in throttled"),
    "logout": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "user_created": _l("User created"),
    "user_changed": _l("User changed"),
    "user_roles_changed": _l("Roles changed"),
    "user_disabled": _l("User disabled"),
    "user_enabled": _l("User enabled"),
    "group_created": _l("Group created"),
    "group_renamed": _l("Group renamed"),
    "group_member_added": _l("Added to a group"),
    "group_member_removed": _l("Removed from a group"),
    "second_factor_enrolled": _l("Second factor set up"),
    "second_factor_removed": _l("Second factor removed"),
    "process_deployed": _l("Process deployed"),
    "process_latest_moved": _l("Process version rolled"),
    "cases_migrated": _l("Cases migrated"),
    "keys_rotated": _l("Encryption keys rotated"),
    "audit_log_read": _l("Audit log read"),
    "audit_log_exported": _l("Audit log exported"),
    "comment_added": _l("Comment added"),
    "message_to_complainant": _l("Message to the complainant"),
    "case_copied": _l("Case copied to colleagues"),
    "case_printed": _l("Handling form printed"),
    "signed_off": _l("Signed off"),
    "signers_added": _l("Sign-off asked of colleagues"),
    "signer_removed": _l("Sign-off withdrawn"),
    "task_transferred": _l("Task transferred"),
    "task_delegated": _l("Task delegated"),
    "task_delegation_returned": _l("Delegated task returned"),
    "task_sent_back": _l("Task sent back"),
    "task_reassigned": _l("Task reassigned"),
    "task_files_attached": _l("Files attached to a task"),
    "task_to_deputy": _l("Task given to a deputy"),
    "task_from_deputy": _l("Task back from a deputy"),
    "deputy_set": _l("Deputy set"),
    "deputy_cleared": _l("Deputy cleared"),
    "deputy_not_eligible": _l("Deputy not eligible"),
    "follow_up_set": _l("Follow-up date set"),
    "process_draft_saved": _l("Process draft saved"),
    "assignment": _l("Task assigned"),
}


def event_label(kind: str) -> str:
    """The kind in the reader's language (a service step as "System service": its step's name follows,
    the operator's key is the diagram's, not the reader's)."""
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    if kind.startswith("service:"):
        return _("System service")
    return _("Recorded by the process")  # a kind a type's own service step records: its step names it


def change_text(change: dict) -> str:
    old = change.get("old")
    shown_old = "—" if old in (None, "", [], {}) else _value(old)
    return f"{change['label']}: {shown_old} → {_value(change.get('new'))}"


def _value(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def entry_text(entry: dict) -> str:
    """"Task completed · Review — Decision: — → Accept; ..." as one line."""
    text = event_label(entry["kind"])
    if entry.get("element_name"):
        text += f" · {entry['element_name']}"
    if entry.get("count", 1) > 1:
        text += " " + _("(%(n)s times: %(what)s)", n=entry["count"], what=", ".join(entry.get("read") or []))
    if entry.get("changes"):
        text += " — " + "; ".join(change_text(c) for c in entry["changes"])
    if entry.get("note"):
        from .i18n import half

        text += f" — {half(entry['note'])}"
    return text


def register(app) -> None:
    """Template helpers: `event_label` and `change_text` filters, `entry_text`."""
    app.add_template_filter(event_label)
    app.add_template_filter(change_text)
    app.add_template_filter(entry_text)


def in_language(lang: str):
    """`force_locale` for one of the app's languages, keeping the catalogue's own name (see
    i18n.NamedLocale: "zh_CN" would otherwise be widened to zh_Hans_CN and find no catalogue)."""
    from flask_babel import force_locale

    from .i18n import NamedLocale

    return force_locale(NamedLocale(lang))


def asked_language() -> str | None:
    """The language the session or the browser asks for, as i18n.select_locale picks it, without
    reading the signed-in user (None: the engine takes the reader's own inside its transaction,
    so a page stays one transaction)."""
    from flask import request, session

    from .i18n import languages

    offered = languages()
    chosen = session.get("lang")
    return chosen if chosen in offered else request.accept_languages.best_match(offered)


def asked_zone() -> str | None:
    """The session's time zone, if it chose one (None: the reader's own, as for the language)."""
    from flask import session

    from .i18n import _valid_zone

    chosen = session.get("tz")
    return chosen if chosen and _valid_zone(chosen) else None
