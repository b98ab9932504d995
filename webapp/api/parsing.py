"""Reading requests: JSON bodies, multipart payloads, attachments, query parameters.

Everything malformed becomes a 400 (or 415 for a wrong content type) that names each bad
field, so bad input never reaches the engine as a surprise and never ends in a 500.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from ..input_check import find_bad_text
from .errors import ApiError, bad_input

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value


def parse_json_text(raw: bytes | str, field: str = "body"):
    """Decode JSON strictly (UTF-8, no NaN/Infinity); 400 naming `field` otherwise."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise bad_input({field: "must be UTF-8 encoded JSON"}, "the request body is not valid JSON") from None
    except RecursionError:
        raise bad_input({field: "nested too deeply"}, "the request body is not valid JSON") from None
    except ValueError as exc:
        raise bad_input({field: f"not valid JSON: {exc}"}, "the request body is not valid JSON") from None
    found: dict[str, str] = {}
    find_bad_text(value, "" if field == "body" else field, found)
    if found:
        raise bad_input({k.encode("utf-8", "replace").decode(): v for k, v in found.items()},
                        "some text cannot be stored")
    return value


def json_object(value, field: str = "body") -> dict:
    """The value if it is a JSON object, else 400 naming `field`."""
    if not isinstance(value, dict):
        raise bad_input({field: "expected a JSON object"}, "the request body must be a JSON object")
    return value


def json_body() -> dict:
    """The request's JSON object: 415 when not sent as JSON, 400 when malformed or not an object."""
    if not request.is_json:
        raise ApiError(415, "send a JSON object with Content-Type: application/json",
                       {"content_type": request.mimetype or None})
    raw = request.get_data(cache=True)  # a body over MAX_CONTENT_LENGTH raises 413 here
    if not raw.strip():
        raise bad_input({"body": "a JSON object is required"}, "the request body is empty")
    return json_object(parse_json_text(raw))


def is_multipart() -> bool:
    """Whether the request is multipart/form-data (file uploads)."""
    return request.mimetype == "multipart/form-data"


def uploaded_files() -> list[dict]:
    """Every uploaded file, whatever its field name, in the engine's shape (bytes in `data`)."""
    files = []
    for name in request.files:
        for f in request.files.getlist(name):
            if f and f.filename:
                files.append({"filename": f.filename, "content_type": f.mimetype or "application/octet-stream",
                              "data": f.read()})
    return files


def payload_and_files() -> tuple[dict, list[dict]]:
    """JSON, or multipart with a `payload` JSON field plus files; anything else is a 415."""
    if request.is_json:
        return json_body(), []
    if is_multipart():
        raw = request.form.get("payload")
        if raw is None:
            raise bad_input({"payload": "a JSON object in the `payload` field is required"})
        return json_object(parse_json_text(raw, "payload"), "payload"), uploaded_files()
    raise ApiError(415, "send JSON, or multipart/form-data with a `payload` field and files",
                   {"content_type": request.mimetype or None})


def filing() -> tuple[str, dict, list[dict], bool]:
    """(type, data, attachments, anonymous) of a filing, staff's or the public's: JSON, or
    multipart with a `payload` JSON field and files. Raises a 400 listing every bad field."""
    body, files = payload_and_files()
    fields = Fields(body)
    type_key = fields.string("type", max_length=100)
    data = fields.object("data", required=True)
    anonymous = fields.boolean("anonymous")
    files = fields.attachments() + files
    fields.check()
    return type_key, data, files, anonymous


def decode_attachments(items, field: str = "attachments") -> list[dict]:
    """`[{"filename", "content_type", "data_base64"}]` to the engine's `[{"filename", "content_type", "data"}]`."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise bad_input({field: "expected a list of {filename, content_type, data_base64}"})
    details, out = {}, []
    for i, item in enumerate(items):
        where = f"{field}.{i}"
        if not isinstance(item, dict):
            details[where] = "expected an object with filename, content_type and data_base64"
            continue
        filename, content_type, encoded = item.get("filename"), item.get("content_type"), item.get("data_base64")
        if not isinstance(filename, str) or not filename.strip():
            details[f"{where}.filename"] = "a file name is required"
        if content_type is not None and not isinstance(content_type, str):
            details[f"{where}.content_type"] = "must be a string"
        if not isinstance(encoded, str):
            details[f"{where}.data_base64"] = "the file content, base64-encoded, is required"
            continue
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            details[f"{where}.data_base64"] = "not valid base64"
            continue
        out.append({"filename": filename, "content_type": content_type or "application/octet-stream",
                    "data": data})
    if details:
        raise bad_input(details, "an attachment is malformed")
    return out


class Fields:
    """Collects typed fields of an object and every problem with them, then raises one 400."""

    def __init__(self, source: dict):
        self.source = source
        self.details: dict[str, str] = {}

    def string(self, name: str, required: bool = True, max_length: int = 10000) -> str | None:
        """A string field (required: present and not blank)."""
        value = self.source.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and required):
            if required:
                self.details[name] = "this field is required"
            return None
        if not isinstance(value, str):
            self.details[name] = "must be a string"
            return None
        if len(value) > max_length:
            self.details[name] = f"at most {max_length} characters"
            return None
        if "\x00" in value:
            self.details[name] = "must not contain NUL characters"
            return None
        return value

    def object(self, name: str, required: bool = False, default=None) -> dict | None:
        """An object field (the form data of a case or task)."""
        value = self.source.get(name)
        if value is None:
            if required:
                self.details[name] = "this field is required"
            return default
        if not isinstance(value, dict):
            self.details[name] = "must be an object"
            return default
        return value

    def boolean(self, name: str, default: bool = False, required: bool = False) -> bool:
        """A boolean field; multipart text such as "true" or "0" counts too."""
        value = self.source.get(name)
        if value is None:
            if required:
                self.details[name] = "this field is required"
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        self.details[name] = "must be true or false"
        return default

    def attachments(self, name: str = "attachments") -> list[dict]:
        """Base64 attachments decoded for the engine; problems per item."""
        try:
            return decode_attachments(self.source.get(name), name)
        except ApiError as error:
            self.details.update(error.details or {})
            return []

    def check(self) -> None:
        """Raise one 400 listing every problem found so far."""
        if self.details:
            raise bad_input(self.details)


def query_int(name: str, default: int, low: int, high: int | None = None, details: dict | None = None) -> int:
    """An integer query parameter within bounds; problems go into `details`."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        details[name] = "must be an integer"
        return default
    if value < low or (high is not None and value > high):
        details[name] = f"must be from {low}" + (f" to {high}" if high is not None else "")
        return default
    return value


def query_flag(name: str, details: dict) -> bool:
    """A 1/0 (true/false) query flag; anything else goes into `details`."""
    raw = request.args.get(name, "").strip().lower()
    if raw in TRUE_WORDS + FALSE_WORDS:
        return raw in TRUE_WORDS
    details[name] = "must be 1 or 0"
    return False


def query_choice(name: str, choices, details: dict, default: str | None = None) -> str | None:
    """A query parameter from a fixed list; anything else goes into `details`."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        details[name] = "must be one of: " + ", ".join(choices)
        return default
    return raw


def query_page(details: dict) -> dict:
    """`limit` (1 to 100, default 50) and the opaque `cursor` of a list (engine.paging)."""
    cursor = request.args.get("cursor") or None
    if cursor is not None and (len(cursor) > 500 or not cursor.replace("-", "").replace("_", "").isalnum()):
        details["cursor"] = "use the `next` value of this list"
        cursor = None
    return {"limit": query_int("limit", 50, 1, 100, details), "cursor": cursor}


def moment_of(text: str, name: str, details: dict, end_of_day: bool = False) -> datetime | None:
    """An ISO date or datetime; a bare date is the start (or the end) of that day in the
    organisation's zone. Problems go into `details` under `name`."""
    text = text.strip()
    try:
        if len(text) == 10:
            zone = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")
            moment = datetime.combine(date.fromisoformat(text), time.min, zone)
            return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        details[name] = "must be an ISO 8601 date or datetime"
        return None
    if moment.tzinfo is None:
        details[name] = "give a time zone offset, e.g. +08:00"
        return None
    return moment


def query_moment(name: str, details: dict, end_of_day: bool = False) -> datetime | None:
    """An ISO date or datetime query parameter (see `moment_of`)."""
    raw = request.args.get(name) or ""
    if len(raw) > 40:
        details[name] = "must be an ISO 8601 date or datetime"
        return None
    return moment_of(raw, name, details, end_of_day) if raw.strip() else None
