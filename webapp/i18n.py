"""Language and time zone: Flask-Babel selectors, the `?lang=` switch and the `localtime` filter.

Chinese (zh_CN) is the default; English is offered. Times are stored and exchanged as ISO 8601
instants and shown in the viewer's time zone (the organisation's, Asia/Shanghai, by default).
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from flask import current_app, request, session
from flask_babel import Babel, get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.oversight.timeline import in_language

CJK = re.compile(r"[\u3400-\u9fff]")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}

STATUS_LABELS = {
    "open": _l("open"),
    "closed": _l("closed"),
    "rejected": _l("rejected"),
    "transferred": _l("transferred"),
    "pending": _l("pending"),
    "sealed": _l("sealed"),
}


MESSAGE_KINDS = {
    "acknowledgement": _l("acknowledgement of receipt"),
    "notice": _l("notice"),
    "reply": _l("reply"),
    "request": _l("question to the complainant"),
    "decision": _l("decision"),
    "message": _l("message"),
}

PAUSE_KINDS = {
    "correction": _l("waiting for the complainant's correction"),
    "expert_review": _l("testing, appraisal or expert review"),
    "other": _l("other"),
}

# The names the official holiday schedule (chinese-calendar) gives its holidays.
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}


def _labelled(labels: dict, key) -> str:
    """A fixed word of the engine's vocabulary in the viewer's language (unknown words as they are)."""
    label = labels.get(key or "")
    return str(label) if label else ("" if key is None else str(key))


def message_kind(kind) -> str:
    return _labelled(MESSAGE_KINDS, kind)


def pause_kind(kind) -> str:
    return _labelled(PAUSE_KINDS, kind)


def holiday_name(name) -> str:
    return _labelled(HOLIDAY_NAMES, name)


def reader_language() -> str:
    """The viewer's language tag ("zh_CN" or "en")."""
    return str(get_locale() or languages()[0])


def in_words(value) -> str:
    """A text given per language ({"zh_CN": ..., "en": ...}) in the viewer's, else in another
    given one; a plain text as it is."""
    if isinstance(value, dict):
        current = reader_language()
        for key in (current, current.split("_")[0], *languages()):
            if isinstance(value.get(key), str) and value[key]:
                return value[key]
        return next((v for v in value.values() if isinstance(v, str)), "")
    return "" if value is None else str(value)


def half(text) -> str:
    """A name a diagram or a type writes "中文 / English" (type names, step names) in the viewer's
    half; any other text as it is."""
    if not isinstance(text, str) or " / " not in text:
        return "" if text is None else str(text)
    zh, en = text.split(" / ", 1)
    if not CJK.search(zh) or CJK.search(en):  # not a "中文 / English" name: someone's text, as written
        return text
    return in_language(text, "en" if reader_language().startswith("en") else "zh_CN") or ""


def group_label(task) -> str:
    """The name of the group that works a task (`group_label`, set by the engine) in the viewer's
    language; nothing when named people take it (the diagram's lane name is not shown)."""
    return in_words((task or {}).get("group_label")) if (task or {}).get("group_label") else ""


# what the audit log says in place of a sealed case's details (engine.oversight.audit_log.WITHHELD)
AUDIT_WORDS = {"sealed case: open it with a reason to read its events":
               _l("sealed case: open it with a reason to read its events")}


def audit_value(value) -> str:
    """An audit detail's value; the engine's own sentences in the viewer's language."""
    label = AUDIT_WORDS.get(value) if isinstance(value, str) else None
    return str(label) if label else value


def init_app(app) -> None:
    """Install Babel with our selectors, remember `?lang=`, and add the template helpers."""
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.before_request(remember_language)
    app.add_template_filter(localtime)
    app.add_template_filter(deadline)
    app.add_template_filter(status_label)
    app.add_template_filter(deadline_label)
    app.add_template_filter(plain_json)
    app.add_template_filter(file_size)
    for words in (message_kind, pause_kind, holiday_name, half, group_label, in_words, audit_value):
        app.add_template_filter(words)
    app.context_processor(language_context)


def languages() -> list[str]:
    """The languages this deployment offers, default first."""
    return list(current_app.config.get("LANGUAGES") or ["zh_CN", "en"])


def remember_language() -> None:
    """`?lang=en` on any page switches the language for the rest of the session."""
    lang = request.args.get("lang")
    if lang in languages():
        session["lang"] = lang


def _actor():
    """The logged-in staff member's Actor, or None (i18n must not depend on auth's helpers)."""
    if current_user and getattr(current_user, "is_authenticated", False):
        return getattr(current_user, "actor", None)
    return None


def select_locale() -> Locale:
    """The session's choice, else the browser's best match, else the user's, else zh_CN."""
    offered = languages()
    chosen = session.get("lang")
    if chosen not in offered:
        chosen = request.accept_languages.best_match(offered)
    if chosen is None:
        actor = _actor()
        chosen = actor.locale if actor is not None and actor.locale in offered else offered[0]
    return NamedLocale(chosen)


class NamedLocale(Locale):
    """A Babel locale that keeps the tag the app names it by.

    Babel widens "zh_CN" to zh_Hans_CN, and catalogues are looked up by that name, so
    translations/zh_CN would never be found. This locale has zh_Hans_CN's data but is called
    zh_CN, the name of its catalogue and of the `lang` attribute.
    """

    def __init__(self, tag: str):
        resolved = Locale.parse(tag)
        super().__init__(resolved.language, resolved.territory, resolved.script, resolved.variant)
        self.tag = tag

    def __str__(self) -> str:
        return getattr(self, "tag", None) or super().__str__()


def select_timezone() -> str:
    """The session's zone, else the user's, else the organisation's (config TIMEZONE)."""
    for candidate in (session.get("tz"), getattr(_actor(), "timezone", None)):
        if candidate and _valid_zone(candidate):
            return candidate
    return current_app.config.get("TIMEZONE") or "Asia/Shanghai"


def _valid_zone(name: str) -> bool:
    """Whether the name is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def as_local(value) -> datetime | None:
    """An ISO instant (text) or datetime in the viewer's zone; None for dates and anything else."""
    if isinstance(value, str):
        if len(value) <= 10:  # a bare date such as 2026-10-28 has no time zone to convert
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(get_timezone())


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in the viewer's zone, written one way everywhere: exact midnight reads as 24:00
    of the day before (as deadlines are counted), never as 00:00 of the next; a format without the
    time of day (a date field's value) names the day itself; dates and other values are shown as
    they are."""
    local = as_local(value)
    if local is not None:
        if (local.hour, local.minute, local.second) == (0, 0, 0) and "%H" in fmt:
            day = (local - timedelta(days=1)).strftime("%Y-%m-%d")
            return f"{day} 24:00" + (":00" if fmt.endswith("%S") else "")
        return local.strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def deadline(value) -> str:
    """A due time (the same writing as every instant: one ending at midnight reads as 24:00)."""
    return localtime(value)


def status_label(status: str | None) -> str:
    """A case status in the viewer's language."""
    label = STATUS_LABELS.get(status or "")
    return str(label) if label else (status or "")


def deadline_label(name: str, labels: dict | None = None) -> str:
    """A deadline's name in the viewer's language, as its type's diagram labels it
    (`labels`: the case's `deadline_labels`, {name: {"zh_CN": ..., "en": ...}}); a label given in
    one language only is shown in both; an unlabelled name as it is, underscores as spaces."""
    given = (labels or {}).get(name) or {}
    current = str(get_locale() or languages()[0])
    label = given.get(current) or next((given[lang] for lang in languages() if given.get(lang)), None)
    return label or name.replace("_", " ")


def file_size(size) -> str:
    """A file's size in the units people read in either language: 17 B, 2.4 KB, 1.5 MB."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def plain_json(value) -> str:
    """Structured data as people read it: Chinese as Chinese, not \\u escapes."""
    return json.dumps(value, ensure_ascii=False, default=str)


def language_context() -> dict:
    """Template globals: the current language and links to switch to the others."""
    current = str(get_locale() or languages()[0])
    return {
        "current_language": current,
        "language_names": LANGUAGE_NAMES,
        "other_languages": [lang for lang in languages() if lang != current],
        "current_timezone": str(get_timezone()),
        "language_switch_url": language_switch_url,
    }


def language_switch_url(lang: str) -> str:
    """This page in another language: the same path with its query (a search, a filter, a page)
    kept and `lang` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", lang)]
    return request.path + "?" + urlencode(args)
