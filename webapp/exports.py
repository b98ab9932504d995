"""Export files: case lists and the audit log as CSV or XLSX, a case file as PDF.

The engine hands rows page by page inside its transaction; the writers here put each page into a
spooled temporary file (memory up to SPOOL bytes, then disk), so a big list never sits in memory
whole. The PDF is drawn with ReportLab's built-in CID font STSong-Light, which renders Chinese
without any font file, laid out as the printable 处理单 (complaint handling form): a header with
the case's particulars, then facts, decisions, letters and the timeline, with signature lines.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from typing import Callable, Iterator, Sequence, Union

from flask_babel import gettext as _

from .timeline_text import entry_text, event_label, in_language

SPOOL = 4 * 1024 * 1024
Column = tuple[str, Callable[[dict], object]]  # (heading, value of a row)
AUDIT_COLUMNS = (  # the audit log's CSV: machine keys as headings, the event also in the reader's words
    ("seq", lambda e: e["seq"]),
    ("at", lambda e: e["at"]),
    ("actor", lambda e: e["actor"]),
    ("kind", lambda e: e["kind"]),
    ("event", lambda e: event_label(e["kind"])),
    ("case", lambda e: e["case_number"] or e["case_id"] or ""),
    ("element", lambda e: e["element_id"] or ""),
    ("detail", lambda e: json.dumps(e["detail"], ensure_ascii=False, sort_keys=True)),
)


Columns = Union[Sequence[Column], Callable[[], Sequence[Column]]]


def _columns(columns: Columns) -> Sequence[Column]:
    """Headings in the reader's language are made when the engine writes, inside its transaction
    (making them earlier would read the signed-in user in a transaction of its own)."""
    return columns() if callable(columns) else columns


def csv_file(columns: Columns) -> tuple[Callable[[Iterator[list[dict]]], None], Callable[[], io.IOBase]]:
    """(writer for the engine, opener of the finished file): UTF-8 with a BOM so spreadsheet
    programs read Chinese correctly."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+b")
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")

    def write(pages: Iterator[list[dict]]) -> None:
        columns_now = _columns(columns)
        out = csv.writer(text)
        out.writerow([heading for heading, _value in columns_now])
        for page in pages:
            out.writerows([_cell(value(row)) for _heading, value in columns_now] for row in page)
        text.flush()

    def opened() -> io.IOBase:
        text.detach()
        spool.seek(0)
        return spool

    return write, opened


def xlsx_file(columns: Columns, sheet: Callable[[], str]) -> tuple[Callable[[Iterator[list[dict]]], None],
                                                                  Callable[[], io.IOBase]]:
    """(writer, opener) for an XLSX workbook written in openpyxl's write-only (streaming) mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+b")

    def write(pages: Iterator[list[dict]]) -> None:
        columns_now = _columns(columns)
        ws = book.create_sheet(sheet()[:31])
        ws.append([heading for heading, _value in columns_now])
        for page in pages:
            for row in page:
                ws.append([_cell(value(row)) for _heading, value in columns_now])
        book.save(spool)

    def opened() -> io.IOBase:
        spool.seek(0)
        return spool

    return write, opened


def list_file(fmt: str):
    """(writer, opener) for a case list in `fmt`, with headings in the reader's language."""
    return csv_file(_list_columns) if fmt == "csv" else xlsx_file(_list_columns, lambda: _("Cases"))


def _list_columns() -> tuple:
    return (
        (_("Case number"), lambda c: c["number"] or ""),
        (_("Type"), lambda c: c["type_name"] or c["type"]),
        (_("Status"), lambda c: str(status_labels().get(c["status"], c["status"]))),
        (_("Category"), lambda c: c["category"] or ""),
        (_("Filed"), lambda c: local_text(c["created_at"])),
        (_("Ended"), lambda c: local_text(c["closed_at"])),
        (_("Next deadline"), lambda c: local_text(c["next_due"])),
        (_("Overdue"), lambda c: _("yes") if c["overdue"] else ""),
        (_("Confidential"), lambda c: _("yes") if c["confidential"] else ""),
    )


def local_text(instant: str | None) -> str:
    """An ISO instant as "YYYY-MM-DD HH:MM" in the reader's zone ("" for none)."""
    from .i18n import as_local

    local = as_local(instant)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def status_labels() -> dict:
    from .i18n import STATUS_LABELS

    return STATUS_LABELS


def _cell(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula in a spreadsheet (CSV injection)
    return value


# --- the case file as PDF ----------------------------------------------------------------------

FONT = "STSong-Light"


def case_pdf(document: dict, lang: str) -> bytes:
    """The case file as a PDF in `lang`, laid out as the printable 处理单."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=22, alignment=1, spaceAfter=6)

    def p(text, style=body):
        return Paragraph(_escape(text), style)

    def grid(rows, widths):
        table = Table([[p(c) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return table

    with in_language(lang):
        labels = case_file_labels()
        case = document["case"]
        story = [p(labels["title"], title)]
        particulars = [[labels["number"], case.get("number") or "", labels["type"], case.get("type_name") or ""],
                       [labels["status"], labels["statuses"].get(case.get("status"), case.get("status")),
                        labels["filed"], document.get("filed_when") or ""],
                       [labels["exported_by"], document.get("exported_by") or "", labels["exported_at"],
                        document.get("exported_when") or ""]]
        story.append(grid(particulars, [28 * mm, 57 * mm, 28 * mm, 57 * mm]))
        if document.get("identity_omitted"):
            story.append(p(labels["identity_omitted"]))
        story += [p(labels["facts"], head),
                  grid([[labels["field"], labels["value"]]] +
                       [[f["label"], _text(f["value"])] for f in document["facts"]] or [["", ""]], [50 * mm, 120 * mm])]
        story.append(p(labels["decisions"], head))
        rows = [[labels["step"], labels["by_when"], labels["decided"]]]
        for d in document["decisions"]:
            changes = "\n".join(f"{c['label']}: {_text(c['old']) if c['old'] not in (None, '') else '—'} → {_text(c['new'])}"
                                for c in d["changes"])
            rows.append([d["step"] or "", f"{d['by']} {d['when']}", changes])
        story.append(grid(rows, [40 * mm, 40 * mm, 90 * mm]))
        story.append(p(labels["letters"], head))
        letters = [[labels["when"], labels["direction"], labels["body"]]]
        letters += [[m["when"] or "", labels["to_complainant"] if m["direction"] == "to_complainant"
                     else labels["from_complainant"], m["body"]] for m in document["letters"]]
        story.append(grid(letters, [32 * mm, 28 * mm, 110 * mm]))
        story.append(p(labels["timeline"], head))
        entries = [[labels["when"], labels["who"], labels["what"]]]
        entries += [[t["when"], t["actor_name"], timeline_line(t)] for t in document["timeline"]]
        story.append(grid(entries, [32 * mm, 30 * mm, 108 * mm]))
        story += [Spacer(1, 10 * mm), p(labels["signatures"])]
        out = io.BytesIO()
        SimpleDocTemplate(out, pagesize=A4, title=f"{labels['title']} {case.get('number') or ''}",
                          leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
                          author=document.get("exported_by") or "").build(story)
        return out.getvalue()


def case_file_labels() -> dict:
    """The headings of the case file in the current language (the print page uses them too)."""
    from .i18n import STATUS_LABELS

    return {
        "title": _("Complaint handling form"), "number": _("Case number"), "type": _("Type"),
        "status": _("Status"), "filed": _("Filed"), "exported_by": _("Exported by"),
        "exported_at": _("Exported at"), "facts": _("1. Facts"), "decisions": _("2. Decisions"),
        "letters": _("3. Letters"), "timeline": _("4. Timeline"), "field": _("Field"), "value": _("Value"),
        "step": _("Step"), "by_when": _("By, when"), "decided": _("Decided (old → new)"), "when": _("Time"),
        "direction": _("Direction"), "body": _("Text"), "who": _("Who"), "what": _("What"),
        "to_complainant": _("to the complainant"), "from_complainant": _("from the complainant"),
        "identity_omitted": _("Personal details are masked or left out of this file."),
        "signatures": _("Handled by: ____________    Reviewed by: ____________    Date: ____________"),
        "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
    }


def timeline_line(entry: dict) -> str:
    """One timeline entry as one line of text (the PDF and the CSV)."""
    return entry_text(entry)


def _text(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _escape(text) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br/>"))
