"""The words the browser editor shows, in the user's language: the page hands them to the
bundle (frontend/src), which looks every label up here before showing it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

EDITOR_TEXTS = {
    # our properties panel group (frontend/src/spiff-properties.js)
    "Complaint handling": _l("Complaint handling"),
    "Case number prefix": _l("Case number prefix"),
    "e.g. CP": _l("e.g. CP"),
    "Escalation group": _l("Escalation group"),
    "Clock keeper group": _l("Clock keeper group"),
    "Group of this lane": _l("Group of this lane"),
    "the deploy-time mapping overrides it": _l("the deploy-time mapping overrides it"),
    "Form (JSON Schema file)": _l("Form (JSON Schema file)"),
    "Form layout (ui-schema file)": _l("Form layout (ui-schema file)"),
    "Due-date variable": _l("Due-date variable"),
    "A later step may send the case back here": _l("A later step may send the case back here"),
    "Case status at this end": _l("Case status at this end"),
    "Alert kind": _l("Alert kind"),
    "Deadline label (Chinese)": _l("Deadline label (Chinese)"),
    "Deadline label (English)": _l("Deadline label (English)"),
    "Service operator": _l("Service operator"),
    "Operator": _l("Operator"),
    "Result variable": _l("Result variable"),
    "Operator parameters": _l("Operator parameters"),
    "All diagram properties": _l("All diagram properties"),
    "Name": _l("Name"),
    "Type": _l("Type"),
    "Value": _l("Value"),
    "Value (expression)": _l("Value (expression)"),
    "(none)": _l("(none)"),
    "(unnamed)": _l("(unnamed)"),
    "closed": _l("closed"), "rejected": _l("rejected"), "transferred": _l("transferred"),
    "pending": _l("pending"), "sealed": _l("sealed"), "reminder": _l("reminder"), "escalation": _l("escalation"),
    "true": _l("yes"),
    # the page (frontend/src/workbench.js, form-editor.js, diff.js)
    "(choose a group)": _l("(choose a group)"),
    "line": _l("line"),
    "The request failed.": _l("The request failed."),
    "Validating…": _l("Validating…"),
    "No problems found.": _l("No problems found."),
    "Problems found: {n}": _l("Problems found: {n}"),
    "Saving…": _l("Saving…"),
    "Draft saved.": _l("Draft saved."),
    "Deploying…": _l("Deploying…"),
    "Deployed as version {n}.": _l("Deployed as version {n}."),
    "The diagram cannot be opened": _l("The diagram cannot be opened"),
    "Preview": _l("Preview"),
    "The form is not valid JSON": _l("The form is not valid JSON"),
    "The layout is not valid JSON": _l("The layout is not valid JSON"),
    "Form (JSON Schema)": _l("Form (JSON Schema)"),
    "Layout (ui-schema: ui:order, ui:widget)": _l("Layout (ui-schema: ui:order, ui:widget)"),
    "Add a layout (ui-schema)": _l("Add a layout (ui-schema)"),
    "Version": _l("Version"),
    "added": _l("added"), "removed": _l("removed"), "changed": _l("changed"),
}


def editor_texts() -> dict[str, str]:
    """{English text: the user's language} for every word of the editor."""
    return {key: str(value) for key, value in EDITOR_TEXTS.items()}
