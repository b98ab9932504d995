"""JSON Schema forms: validate what people submit and say, per field, what is wrong.

Only the fields a form declares are accepted: anything else (say `lane_groups`, which would
reroute the case) is dropped before it can reach the workflow.
"""
from __future__ import annotations

from datetime import date

from jsonschema import Draft202012Validator, FormatChecker

from engine.errors import InvalidInput

_FORMATS = FormatChecker()


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    if not isinstance(value, str):
        return True
    date.fromisoformat(value)
    return True


def declared_fields(schema: dict) -> set[str]:
    """Property names a form declares, including those inside if/then/else and allOf branches."""
    names = set((schema.get("properties") or {}).keys())
    for key in ("then", "else", "if"):
        if isinstance(schema.get(key), dict):
            names |= declared_fields(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            names |= declared_fields(sub)
    return names


def personal_fields(schema: dict) -> list[str]:
    """Fields marked `x-personal`: encrypted at rest and kept out of the workflow data."""
    return sorted(name for name, prop in (schema.get("properties") or {}).items()
                  if isinstance(prop, dict) and prop.get("x-personal"))


def public_values(schema: dict | None) -> dict:
    """The fields a public filing is not asked (`"x-public": {"hidden": true, "value": ...}`), with
    the value it gives them whatever was sent, e.g. the intake channel "web"."""
    out = {}
    for name, prop in (schema or {}).get("properties", {}).items():
        public = prop.get("x-public") if isinstance(prop, dict) else None
        if isinstance(public, dict) and public.get("hidden"):
            out[name] = public.get("value")
    return out


def validate_form(schema: dict | None, data, today: date | None = None) -> dict:
    """Return the accepted fields or raise InvalidInput with {field: reason}. With `today`, date
    fields marked `x-not-future` may not lie after it (nobody learns of a matter tomorrow)."""
    if not isinstance(data, dict):
        raise InvalidInput("the form data must be an object", {"data": "expected an object"})
    if not schema:
        return {}
    accepted = {k: v for k, v in data.items() if k in declared_fields(schema)}
    details: dict[str, str] = {name: reason for name, value in accepted.items()
                               for reason in [unstorable_text(value)] if reason}
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    for error in sorted(validator.iter_errors(accepted), key=lambda e: [str(p) for p in e.path]):
        for field, reason in _explain(error):
            details.setdefault(field, reason)
    if today is not None:
        for name, prop in (schema.get("properties") or {}).items():
            value = accepted.get(name)
            if isinstance(prop, dict) and prop.get("x-not-future") and isinstance(value, str) and name not in details:
                try:
                    if date.fromisoformat(value) > today:
                        details[name] = "must not be in the future"
                except ValueError:
                    pass  # the format check reports it
    if details:
        raise InvalidInput("some fields are missing or invalid", details)
    return accepted


def unstorable_text(value) -> str | None:
    """Text no database keeps faithfully: NUL characters (PostgreSQL refuses them) and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode text"
    elif isinstance(value, dict):
        return next((r for v in value.values() for r in [unstorable_text(v)] if r), None)
    elif isinstance(value, list):
        return next((r for v in value for r in [unstorable_text(v)] if r), None)
    return None


def _explain(error) -> list[tuple[str, str]]:
    """(field, reason) pairs for one schema error: every missing field, each alternative of an anyOf."""
    prefix = "".join(f"{p}." for p in error.path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [(prefix + name, "this field is required") for name in error.validator_value if name not in instance]
    if error.validator in ("anyOf", "oneOf"):
        names = [n for sub in error.validator_value if isinstance(sub, dict) for n in sub.get("required", [])]
        if names:
            reason = "fill in at least one of: " + ", ".join(names)
            return [(prefix + name, reason) for name in names]
    return [(prefix.rstrip(".") or "data", _reason(error))]


def _reason(error) -> str:
    kind = error.validator
    if kind == "required":
        return "this field is required"
    if kind == "enum":
        return "must be one of: " + ", ".join(map(str, error.validator_value))
    if kind == "type":
        return f"must be of type {error.validator_value}"
    if kind == "minLength":
        return "this field is required" if error.validator_value == 1 else f"at least {error.validator_value} characters"
    if kind == "maxLength":
        return f"at most {error.validator_value} characters"
    if kind == "format":
        return f"must be a valid {error.validator_value}"
    return error.message
