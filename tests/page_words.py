"""Does a page read in the reader's language? Reusable checks for any test that fetches HTML:

    from tests.page_words import assert_reads_in
    assert_reads_in(html, "en", typed={"what the test itself typed"})

A page fails when its visible text (tags, <script>, <style>, comments and attribute values left
out) holds
- a raw identifier of the shipped processes (`identifiers()`): lane names, group keys, form field
  names, option values, element ids, message and pause kinds, variable names the diagrams'
  scripts set. On an English page only identifiers that are not ordinary words are looked for
  (`tender_clerk`, `expert_review`, `evaluation_result`: an option value such as `company` reads
  as an English word there); on a Chinese page every one of them, as a whole lower-case word;
- on a Chinese page, an English catalogue string left untranslated (a msgid of messages.po with a
  translation that differs, appearing verbatim as a phrase);
- on an English page, Chinese text (from the app, the diagrams or the forms: labels, help texts,
  titles, type and step names).

What users typed is theirs and is taken out of the text first: `typed` (the strings the test
entered) and the demo users' display names, which are written in both languages.
"""
from __future__ import annotations

import html as htmllib
import json
import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
CATALOGUE = ROOT / "webapp" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# <code> holds a key shown on purpose (a group's or a type's key on the admin and modeler pages,
# where it is what the admin types): not prose to translate.
HIDDEN_BLOCKS = re.compile(r"<(script|style|template|code)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
# translate="no" marks text kept as it was written or sent (a letter to the complainant, written by
# the process in both languages, a notice's body): the reader's language does not apply to it.
AS_WRITTEN = re.compile(r"<(p|td|span)\b[^>]*\btranslate=\"no\"[^>]*>.*?</\1\s*>", re.S | re.I)
TAG = re.compile(r"<[^>]*>")
ASSIGNED = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*=(?!=)", re.M)
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

# Identifiers that are also words this app uses in its own English as ordinary words, or that only
# ever appear inside other things (URLs, file names): looked for on Chinese pages, never on
# English ones. (Every identifier with an underscore or a digit counts on both.)
# Options whose value is the English word for it, and field names that are ordinary words, make
# up most of this; they are decided by `_ordinary` below rather than listed.

# Visible English that is the same in both languages (units, formats, product names, codes).
NOT_ENGLISH_WORDS = {"PDF", "CSV", "JSON", "XLSX", "BPMN", "DMN", "KB", "MB", "B", "ID", "OK"}


def visible_text(page: str) -> str:
    """What a reader sees of a page: no tags, scripts, styles, comments nor attribute values."""
    text = AS_WRITTEN.sub(" ", HIDDEN_BLOCKS.sub(" ", page))
    text = TAG.sub("\n", text)
    return htmllib.unescape(text)


# --- the processes' own words ----------------------------------------------------------------

def _forms() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PROCESSES.glob("forms/*/*.json"))]


def _schema_words(schema, fields: set, values: set) -> None:
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            fields.add(name)
            if isinstance(prop, dict):
                for v in prop.get("enum") or []:
                    if isinstance(v, str):
                        values.add(v)
                for v in (prop.get("items") or {}).get("enum") or [] if isinstance(prop.get("items"), dict) else []:
                    if isinstance(v, str):
                        values.add(v)
        for value in schema.values():
            _schema_words(value, fields, values)
    elif isinstance(schema, list):
        for value in schema:
            _schema_words(value, fields, values)


def _diagram_words() -> set[str]:
    """Element ids, lane names, message names, the groups lanes name, variables scripts set."""
    words: set[str] = set()
    for path in sorted(PROCESSES.glob("*.bpmn")) + sorted(PROCESSES.glob("*.dmn")):
        root = etree.parse(str(path)).getroot()
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            local = etree.QName(node).localname
            if node.get("id"):
                words.add(node.get("id"))
            if local in ("lane", "message", "signal", "error", "escalation") and node.get("name"):
                words.add(node.get("name"))
            if local == "property" and node.get("name") in ("group", "escalationGroup", "groupVariable",
                                                              "clockKeeper", "extensionApprovers",
                                                              "reportReaders", "alertKind"):
                words.update(w.strip() for w in (node.get("value") or "").split(",") if w.strip())
            if local in ("script", "preScript", "postScript", "text") and node.text:
                words.update(ASSIGNED.findall(node.text))
            if local == "outputEntry" and node.text:
                words.update(re.findall(r'"([a-z][a-z0-9_]*)"', node.text))
    return words


@lru_cache(maxsize=1)
def identifiers() -> tuple[frozenset, frozenset]:
    """(every identifier, those that are not ordinary English words) of the shipped processes."""
    from engine.demo import DEMO_USERS
    from webapp.i18n import MESSAGE_KINDS, PAUSE_KINDS

    fields: set[str] = set()
    values: set[str] = set()
    for schema in _forms():
        _schema_words(schema, fields, values)
    words = fields | values | _diagram_words() | set(MESSAGE_KINDS) | set(PAUSE_KINDS)
    words |= {g for *_, groups in DEMO_USERS for g in groups}
    words = {w for w in words if IDENTIFIER.match(w) and len(w) > 2}
    return frozenset(words), frozenset(w for w in words if not _ordinary(w))


def _ordinary(word: str) -> bool:
    """A word English prose uses as it is ("web", "quality", "decision"); with an underscore or a
    digit (`root_cause`, `tender_clerk`, `gw1`) it is an identifier."""
    return "_" not in word and not any(c.isdigit() for c in word)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """msgid -> msgstr of the zh_CN catalogue (the header left out)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        msgid, msgstr, current, plural = [], [], None, False
        for line in lines:
            if line.startswith("msgid_plural"):
                plural = True
                current = None
            elif line.startswith("msgid "):
                current = msgid
                current.append(line[6:])
            elif line.startswith("msgstr"):
                current = msgstr
                current.append(line.split(" ", 1)[1])
            elif line.startswith('"') and current is not None:
                current.append(line)
        if msgid:
            key = "".join(json.loads(p) for p in msgid)
            if key:
                out[key] = "".join(json.loads(p) for p in msgstr) if not plural or msgstr else ""
    return out


@lru_cache(maxsize=1)
def _phrase_pattern():
    return re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(p) for p in untranslated_phrases()) + r")(?![A-Za-z])")


@lru_cache(maxsize=1)
def untranslated_phrases() -> tuple[str, ...]:
    """English catalogue strings that must not be read on a Chinese page: those the catalogue
    translates differently, without placeholders, of two words or more (a single word such as
    "Type" may be a user's or a product's word), longest first."""
    phrases = []
    for msgid, msgstr in catalogue().items():
        if not msgstr or msgstr == msgid or "%" in msgid or "\n" in msgid:
            continue
        if len(re.findall(r"[A-Za-z]{2,}", msgid)) >= 2:
            phrases.append(msgid)
    return tuple(sorted(phrases, key=len, reverse=True))


def empty_translations() -> list[str]:
    """msgids the catalogue leaves untranslated."""
    return [msgid for msgid, msgstr in catalogue().items() if not msgstr]


@lru_cache(maxsize=1)
def demo_display_names() -> tuple[str, ...]:
    from engine.demo import DEMO_USERS

    return tuple(sorted((name for _, name, *_ in DEMO_USERS), key=len, reverse=True))


# --- the checks --------------------------------------------------------------------------------

def _without(text: str, typed) -> str:
    # longest first, so a short typed word never cuts a longer name that holds it
    for value in sorted({str(t) for t in typed or () if t} | set(demo_display_names()), key=len, reverse=True):
        text = text.replace(value, " ")
    # the language switch names each language in itself ("中文" on an English page)
    return re.sub(r"(?m)^\s*(中文|English)\s*$", " ", text)


def problems(page: str, lang: str, typed=()) -> list[str]:
    """What does not read in `lang` ("zh_CN" or "en") on the page; [] when it all does."""
    text = _without(visible_text(page), typed)
    found = []
    every, strange = identifiers()
    looked_for = strange if lang == "en" else every
    for word in sorted(set(re.findall(r"(?<![\w.@/\-])[a-z][a-z0-9_]*(?![\w@/\-]|\.\w)", text)) & looked_for):
        found.append(f"raw identifier {word!r}: …{_around(text, word)}…")
    if lang == "en":
        for chunk in sorted(set(CJK.findall(text))):
            if CJK.fullmatch(chunk) and not re.search(r"[\u3400-\u9fff]", chunk):
                continue  # CJK punctuation or a full-width space alone
            found.append(f"Chinese on an English page {chunk!r}: …{_around(text, chunk)}…")
    else:
        for phrase in sorted(set(_phrase_pattern().findall(text))):
            found.append(f"untranslated {phrase!r}: …{_around(text, phrase)}…")
    return found


def _around(text: str, word: str, width: int = 40) -> str:
    at = text.find(word)
    return " ".join(text[max(0, at - width): at + len(word) + width].split())


def assert_reads_in(page: str, lang: str, typed=(), where: str = "") -> None:
    """Fail with every problem `problems` finds."""
    found = problems(page, lang, typed)
    assert not found, f"{where} ({lang}) does not read right:\n  " + "\n  ".join(found)
