"""JSON Schema forms as HTML: which widget each field gets, and form text back to JSON types.

The schema is the single description of a form (the engine validates with it too), so the web
layer only decides presentation: labels from `title` / `x-labels`, help from `x-description` /
`description`, enums as
selects, booleans as checkboxes, dates as date inputs, long text as textareas, string arrays as
checkbox lists (or a comma-separated line when the choices are open).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from engine.oversight.timeline import in_language

LONG_TEXT_FIELDS = {"facts", "description", "findings", "decision_text", "reply_text", "requests",
                    "measures", "root_cause", "remedy_detail", "comment", "reason", "note",
                    "legal_basis", "evidence_reviewed"}
NONE_OF_THE_ALTERNATIVES = "is not valid under any of the given schemas"
AT_LEAST_ONE = "fill in at least one of: "
TRUE_WORDS = {"on", "true", "1", "yes", "y"}
LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")

REASONS = (
    (re.compile(r"^this field is required$"), _l("This field is required.")),
    (re.compile(r"^must be one of: "), _l("Choose one of the offered values.")),
    (re.compile(r"^must be of type (?P<t>\w+)$"), _l("Enter a value of the right kind (%(t)s).")),
    (re.compile(r"^at least (?P<n>\d+) characters$"), _l("Enter at least %(n)s characters.")),
    (re.compile(r"^at most (?P<n>\d+) characters$"), _l("Enter at most %(n)s characters.")),
    (re.compile(r"^must be a valid (?P<f>[\w-]+)$"), _l("Enter a valid %(f)s.")),
    (re.compile(r"^at least (?P<n>\d+) file"), _l("Attach at least %(n)s file(s) of evidence.")),
    (re.compile(r"^not allowed for this type"), _l("This type of complaint cannot be filed anonymously.")),
    (re.compile(r"^some fields are missing or invalid"), _l("Some fields are missing or invalid.")),
    (re.compile(r"^someone else holds this task"), _l("someone else holds this task.")),
    (re.compile(r"^this task is already completed"), _l("this task is already completed.")),
    (re.compile(r"^this task is no longer open"), _l("this task is no longer open.")),
    (re.compile(r"^you are not a candidate for this task"), _l("you may not take this task.")),
    (re.compile(r"^only the holder or a supervisor"), _l("only its holder or a supervisor can hand it back.")),
    (re.compile(r"^claim this task before completing it"), _l("claim the task before completing it.")),
    (re.compile(r"^the case was changed at the same time"),
     _l("the case was changed at the same time; reload and try again.")),
    (re.compile(r"^no such (task|case)"), _l("it does not exist or you may not see it.")),
    (re.compile(r"^this report is sealed"), _l("This report is sealed: open it on its case page with a stated reason.")),
)


@dataclass
class Field:
    """One form field as the templates draw it."""

    name: str
    label: str
    widget: str  # text, textarea, select, checkbox, checkboxes, list, number, date, datetime
    help: str = ""
    input_type: str = "text"
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    json_type: str = "string"
    item_type: str = "string"
    max_length: int | None = None
    personal: bool = False


def _localized(value) -> str:
    """A label may be a string or {"zh_CN": ..., "en": ...}: pick the viewer's language."""
    if isinstance(value, dict):
        locale = str(get_locale() or "zh_CN")
        for key in (locale, locale.split("_")[0], "zh_CN", "zh", "en"):
            if isinstance(value.get(key), str):
                return value[key]
        return next((v for v in value.values() if isinstance(v, str)), "")
    return "" if value is None else str(value)


def _json_type(prop: dict) -> str:
    """The JSON type a field holds (the first non-null one of a type list)."""
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if "enum" in prop and "type" not in prop:
        return "string"
    return kind


def _option_labels(prop: dict, values: list) -> dict[str, str]:
    """Display names for enum values: `x-labels` {value: label}, `enumNames`, or oneOf consts."""
    labels: dict[str, str] = {}
    names = prop.get("enumNames")
    if isinstance(names, list):
        labels.update({str(v): _localized(n) for v, n in zip(values, names)})
    for choice in prop.get("oneOf") or prop.get("anyOf") or []:
        if isinstance(choice, dict) and "const" in choice:
            labels[str(choice["const"])] = _localized(choice.get("title", choice["const"]))
    x_labels = prop.get("x-labels")
    if isinstance(x_labels, dict):
        labels.update({str(k): _localized(v) for k, v in x_labels.items() if str(k) in map(str, values)})
    return labels


def _enum_values(prop: dict) -> list | None:
    """The closed set of values a field allows (`enum`, or oneOf/anyOf consts), else None."""
    if isinstance(prop.get("enum"), list):
        return [v for v in prop["enum"] if v is not None]
    choices = prop.get("oneOf") or prop.get("anyOf")
    if isinstance(choices, list) and choices and all(isinstance(c, dict) and "const" in c for c in choices):
        return [c["const"] for c in choices]
    return None


def _properties(schema: dict) -> dict[str, dict]:
    """Top-level properties, then those declared only inside if/then/else or allOf branches."""
    props = dict(schema.get("properties") or {})
    branches = [schema.get(k) for k in ("then", "else")] + list(schema.get("allOf") or [])
    for branch in branches:
        if isinstance(branch, dict):
            for name, prop in _properties(branch).items():
                if name not in props and isinstance(prop, dict) and ("type" in prop or "enum" in prop):
                    props[name] = prop
    return props


def _field_label(schema: dict, name: str, prop: dict) -> str:
    """The form's `x-labels` for the field, else the field's own, else its title, else its name."""
    root = schema.get("x-labels")
    if isinstance(root, dict) and name in root:
        return _localized(root[name])
    own = prop.get("x-labels")
    if isinstance(own, dict) and _enum_values(prop) is None and not isinstance(prop.get("items"), dict):
        return _localized(own)
    return _localized(prop.get("title")) or name.replace("_", " ")


def form_fields(schema: dict | None, public: bool = False) -> list[Field]:
    """The fields a JSON Schema form declares, in order, each with its widget (`public`: without
    those the public page does not ask, `x-public` hidden: engine.forms.public_values)."""
    if not schema:
        return []
    required = set(schema.get("required") or [])
    layout = schema.get("x-ui") if isinstance(schema.get("x-ui"), dict) else {}
    props = _properties(schema)
    out = []
    for name in _ui_order(list(props), layout.get("ui:order")):
        prop = props[name]
        ui = layout.get(name) if isinstance(layout.get(name), dict) else {}
        if not isinstance(prop, dict) or prop.get("readOnly") or prop.get("x-hidden") or ui.get("ui:widget") == "hidden":
            continue
        if public and isinstance(prop.get("x-public"), dict) and prop["x-public"].get("hidden"):
            continue
        f = _make_field(schema, name, prop, name in required)
        if f.widget in ("text", "textarea") and ui.get("ui:widget") in UI_WIDGETS:
            f.widget = UI_WIDGETS[ui["ui:widget"]]
        if ui.get("ui:help"):
            f.help = _localized(ui["ui:help"])
        out.append(f)
    return out


# ui-schema widgets a text field may take (the form's ui-schema travels in it as `x-ui`)
UI_WIDGETS = {"textarea": "textarea", "text": "text"}


def _ui_order(names: list[str], order) -> list[str]:
    """The fields in `ui:order` (its "*" stands for the fields it does not name), else as declared."""
    if not isinstance(order, list):
        return names
    named = [n for n in order if n in names]
    rest = [n for n in names if n not in named]
    if "*" not in order:
        return named + rest
    at = order.index("*")
    before = [n for n in order[:at] if n in names]
    return before + rest + [n for n in order[at + 1:] if n in names]


def _make_field(schema: dict, name: str, prop: dict, required: bool) -> Field:
    """Choose the widget for one property."""
    kind = _json_type(prop)
    f = Field(name=name, label=_field_label(schema, name, prop), widget="text", required=required,
              help=_localized(prop.get("x-description") or prop.get("description")), json_type=kind,
              max_length=prop.get("maxLength"), personal=bool(prop.get("x-personal")))
    values = _enum_values(prop)
    widget = prop.get("x-widget")
    if kind == "boolean":
        f.widget = "checkbox"
    elif kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        f.item_type = _json_type(items)
        item_values = _enum_values(items)
        if item_values is not None:
            labels = {**_option_labels(items, item_values), **_option_labels(prop, item_values)}
            f.widget = "checkboxes"
            f.options = [(str(v), labels.get(str(v), str(v))) for v in item_values]
        else:
            f.widget = "list"
    elif values is not None:
        labels = _option_labels(prop, values)
        f.widget = "select"
        f.options = [(str(v), labels.get(str(v), str(v))) for v in values]
    elif kind in ("integer", "number"):
        f.widget, f.input_type = "number", "number"
    elif prop.get("format") == "date":
        f.widget, f.input_type = "date", "date"
    elif prop.get("format") == "date-time":
        f.widget, f.input_type = "datetime", "datetime-local"
    elif widget == "textarea" or name in LONG_TEXT_FIELDS or (f.max_length or 0) > 200:
        f.widget = "textarea"
    elif prop.get("format") == "email":
        f.input_type = "email"
    elif "phone" in name:
        f.input_type = "tel"
    return f


def _convert(text: str, kind: str):
    """Form text to a JSON value; what does not convert is passed on as typed for the engine to refuse."""
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() else number
        if kind == "boolean":
            return text.lower() in TRUE_WORDS
    except ValueError:
        return text
    return text


def parse_submission(schema: dict | None, form: MultiDict, public: bool = False) -> dict:
    """The declared fields of a submitted HTML form, typed as the schema says; blanks are left out.
    `public`: the fields the public page does not ask are left out, whatever was sent (the engine
    gives a public filing their `x-public` values)."""
    data: dict = {}
    for f in form_fields(schema, public=public):
        if f.widget == "checkbox":
            data[f.name] = (form.get(f.name) or "").strip().lower() in TRUE_WORDS
        elif f.widget in ("checkboxes", "list"):
            raw = [v.strip() for v in form.getlist(f.name)]
            if f.widget == "list":
                raw = [part for v in raw for part in LIST_SEPARATORS.split(v)]
            items = [_convert(v, f.item_type) for v in raw if v]
            if items or f.name in form:
                data[f.name] = items
        else:
            text = (form.get(f.name) or "").strip()
            if not text:
                continue
            if f.widget == "datetime":
                text = _local_to_iso(text)
            data[f.name] = _convert(text, f.json_type)
    return data


def _local_to_iso(text: str) -> str:
    """A datetime-local value is wall time in the viewer's zone: give it its offset."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=get_timezone()).isoformat()
    except ValueError:
        return text


def initial_values(schema: dict | None) -> MultiDict:
    """Schema defaults as form values for a fresh form."""
    values = MultiDict()
    for name, prop in _properties(schema or {}).items():
        default = prop.get("default") if isinstance(prop, dict) else None
        if isinstance(default, list):
            values.setlist(name, [str(v) for v in default])
        elif isinstance(default, bool):
            values[name] = "on" if default else ""
        elif default is not None:
            values[name] = str(default)
    return values


def reason_text(reason) -> str:
    """An engine reason or message in the viewer's language when we know it, else as the engine said it."""
    reason = str(reason)
    for pattern, message in REASONS:
        match = pattern.match(reason)
        if match:
            return str(message) % match.groupdict() if match.groupdict() else str(message)
    return reason


def field_errors(details, fields: list[Field], extra: tuple[str, ...] = (),
                 schema: dict | None = None) -> tuple[dict, list[str]]:
    """Split InvalidInput details into {field: message} for known fields and a list of the rest."""
    known = {f.name for f in fields} | set(extra)
    per_field: dict[str, str] = {}
    general: list[str] = []
    items = details.items() if isinstance(details, dict) else enumerate(details or [])
    for key, reason in items:
        if isinstance(reason, dict) and ("zh_CN" in reason or "en" in reason):
            reason = _localized({k: v for k, v in reason.items() if k != "message"})
        elif isinstance(reason, dict):
            key, reason = reason.get("field", key), reason.get("message", reason)
        name = str(key).split(".")[0]
        if str(reason).startswith(AT_LEAST_ONE):  # the engine names fields: say it with their labels
            reason = _at_least_one(str(reason), fields)
        if name in known:
            per_field.setdefault(name, reason_text(reason))
        elif NONE_OF_THE_ALTERNATIVES in str(reason) and _alternatives(schema):
            _explain_alternatives(schema, fields, per_field, general)
        else:
            general.append(reason_text(reason))
    return per_field, general


def _at_least_one(reason: str, fields: list[Field]) -> str:
    """"fill in at least one of: a, b" in the reader's language, with the fields' labels."""
    labels = {f.name: f.label for f in fields}
    names = [n.strip() for n in reason[len(AT_LEAST_ONE):].split(",") if n.strip()]
    separator = "、" if str(get_locale() or "").startswith("zh") else ", "
    return str(_l("Fill in at least one of: %(fields)s.")) % {"fields": separator.join(labels.get(n, n) for n in names)}


def _alternatives(schema: dict | None) -> list[list[str]]:
    """`anyOf: [{required: [a]}, {required: [b]}]`: the groups of fields of which one must be given."""
    branches = (schema or {}).get("anyOf") or []
    return [b["required"] for b in branches if isinstance(b, dict) and set(b) == {"required"}]


def _explain_alternatives(schema: dict, fields: list[Field], per_field: dict, general: list) -> None:
    """Name the fields of which at least one is needed, beside each of them and above the form."""
    labels = {f.name: f.label for f in fields}
    names = [n for group in _alternatives(schema) for n in group]
    message = str(_l("Fill in at least one of: %(fields)s.")) % {"fields": ", ".join(labels.get(n, n) for n in names)}
    general.append(message)
    for n in names:
        per_field.setdefault(n, message)


def case_facts(data: dict | None, schema: dict | None) -> tuple[list, list]:
    """A case's data as (name, label, value) rows: the intake form's fields, in its order and with
    its labels and option names (and, for callers that once showed the rest, an empty list: what no
    form labels is not shown to staff as raw names and values; it stays in the case history)."""
    data = data or {}
    fields = {f.name: f for f in form_fields(schema)}
    facts = [(name, f.label, _shown(data[name], f)) for name, f in fields.items()
             if data.get(name) not in (None, "", [])]
    return facts, []


def result_sections(data: dict | None, forms: dict | None, intake: dict | None,
                    current: dict | None = None) -> tuple[list, list]:
    """The results of the case's steps as readable sections: one per form in the order `forms` lists
    them (the engine lists completed steps first), not the intake form nor the task's own, headed by
    the form's name, its filled fields labelled with option names; and an empty list where the
    variables no form describes once went: scripts and handlers' variables are shown only when the
    type labels them (a form of the type, such as processes/forms/<type>/recorded.json, declaring
    them), so staff never read raw names, JSON or identifiers."""
    data = data or {}
    skip = {id(intake), id(current)}
    described = {f.name for f in form_fields(intake)} | {f.name for f in form_fields(current)}
    sections = []
    for schema in (forms or {}).values():
        if not isinstance(schema, dict) or id(schema) in skip or schema == intake or schema == current:
            continue
        rows = [(f.name, f.label, _shown(data[f.name], f)) for f in form_fields(schema)
                if f.name not in described and data.get(f.name) not in (None, "", [])]
        described |= {f.name for f in form_fields(schema)}
        if rows:
            sections.append((form_title(schema), rows))
    return sections, []


# what the engine records of steps that are not forms (sign-offs, send-backs, transfers): its own words
STEP_WORDS = {"agree": _l("Agree"), "opinion": _l("Opinion"), "reason": _l("Reason"), "to": _l("To"),
              "note": _l("Note")}


def step_results(result: dict | None, schema: dict | None) -> list[tuple[str, object]]:
    """What a completed step recorded, as (label, value) rows: a form's fields by their labels and
    option names, in the form's order; the engine's own sign-off and hand-over words translated;
    anything nobody labelled left out (it stays in the case history)."""
    result = result or {}
    rows = [(f.label, _shown(result[f.name], f)) for f in form_fields(schema) if f.name in result
            and result[f.name] not in (None, "", [])]
    rows += [(str(STEP_WORDS[k]), v) for k, v in result.items() if k in STEP_WORDS and not any(
        f.name == k for f in form_fields(schema)) and v not in (None, "", [])]
    return rows


def option_words(forms: dict | None) -> dict[str, str]:
    """{option value: its label} over all the type's forms (the first form naming a value wins),
    for values shown outside their form, such as an earlier case's outcome."""
    words: dict[str, str] = {}
    for schema in (forms or {}).values():
        for f in form_fields(schema) if isinstance(schema, dict) else []:
            for value, label in f.options:
                words.setdefault(value, label)
    return words


def form_title(schema: dict) -> str:
    """A form's name in the reader's language: `x-title`, else its title (Chinese) or, for an
    English reader, its description (the shipped forms put the English name there)."""
    if schema.get("x-title"):
        return _localized(schema["x-title"])
    english = str(get_locale() or "").startswith("en")
    return in_language(str((schema.get("description") if english else None) or schema.get("title") or ""),
                       "en" if english else "zh_CN") or ""


def _shown(value, f: Field):
    """Enum values by their option names."""
    options = dict(f.options)
    if isinstance(value, list):
        return [options.get(str(v), v) for v in value]
    if isinstance(value, (bool, dict)):
        return value
    return options.get(str(value), value)
