"""PDFs drawn with ReportLab and the Adobe CID font for Chinese (no font files): the handling form
and the half-year / year report summaries."""
from __future__ import annotations

import io
import json

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def result_text(result) -> str:
    if not result:
        return ""
    if isinstance(result, dict):
        return "; ".join(f"{k}: {v if not isinstance(v, (dict, list)) else json.dumps(v, ensure_ascii=False)}"
                         for k, v in result.items())
    return str(result)


def handling_form_pdf(form: dict, facts: list[tuple[str, str]], when) -> bytes:
    """`facts`: (label, value) pairs already chosen for the reader; `when`: formats an instant."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    para = lambda text: Paragraph(escape(str(text or "")), body)  # noqa: E731
    case = form["case"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"{case.get('number') or ''}")
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    story = [Paragraph(escape(_("Complaint handling form")), title),
             para(f"{_('Case number')}: {case.get('number') or ''}  ·  {case.get('type_name') or ''}  ·  "
                  f"{_('Filed')}: {when(case.get('created_at'))}"), Spacer(1, 4 * mm)]
    fact_rows = [[para(_("Fact")), para(_("Recorded"))]] + [[para(k), para(v)] for k, v in facts]
    story += [Table(fact_rows, colWidths=[45 * mm, 135 * mm], style=grid), Spacer(1, 5 * mm)]
    rows = [[para(_("Step")), para(_("Handled by")), para(_("Result")), para(_("Time")), para(_("Signature"))]]
    for s in form["steps"]:
        rows.append([para(s["step"]), para(s["handler_name"]), para(result_text(s["result"])), para(when(s["at"])),
                     para("")])
    story += [Table(rows, colWidths=[32 * mm, 28 * mm, 75 * mm, 27 * mm, 18 * mm], style=grid, repeatRows=1),
              Spacer(1, 6 * mm),
              para(f"{_('Printed by')}: {form['printed_by']}  ·  {when(form['printed_at'])}")]
    doc.build(story)
    return out.getvalue()


def summary_pdf(page: dict) -> bytes:
    """A half-year or year summary (webapp/reports.py `_summary`) with the numbers of its page:
    cases per type, per report dimension and satisfaction verdict in the reader's words, on time."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20, spaceAfter=6)
    para = lambda text: Paragraph(escape(str(text if text is not None else "—")), body)  # noqa: E731
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    numbers, words = page["numbers"], page["words"]

    def table(heads: list, rows: list, widths: list) -> Table:
        return Table([[para(h) for h in heads]] + [[para(c) for c in row] for row in rows] or [[""] * len(heads)],
                     colWidths=[w * mm for w in widths], style=style, repeatRows=1)

    story = [Paragraph(escape(page["title"]), title),
             para(_("Period: %(first)s to %(last)s.", first=page["first"].isoformat(), last=page["last"].isoformat())),
             Paragraph(escape(_("Cases filed")), head)]
    totals = [[t["name"], t["cases"], t["handling"]["closed"], t["handling"]["median_hours"],
               t["handling"]["p90_hours"], "" if t["reopened"] is None else t["reopened"],
               "" if t["repeat_complainants"] is None else
               _("%(people)s complainants, %(cases)s cases", people=t["repeat_complainants"]["complainants"],
                 cases=t["repeat_complainants"]["cases"])] for t in numbers["types"]]
    story.append(table([_("Type"), _("Cases"), _("Closed"), _("Median handling time (hours)"),
                        _("p90 handling time (hours)"), _("Reopened"), _("Repeat complainants")],
                       totals, [40, 16, 16, 26, 26, 20, 36]))
    for field in page["fields"]:
        rows = [[t["name"], words["options"][t["key"]].get(field, {}).get(str(d["value"]), d["value"]), d["cases"]]
                for t in numbers["types"] for d in t["dimensions"].get(field, [])]
        story += [Paragraph(escape(_("Cases by %(field)s", field=words["fields"][field])), head),
                  table([_("Type"), words["fields"][field], _("Cases")], rows, [70, 80, 30])]
    on_time = [[t["name"], r["name"], r["completed"], r["on_time"],
                "—" if r["rate"] is None else f"{r['rate'] * 100:.1f}%"] for t in numbers["types"] for r in t["on_time"]]
    story += [Paragraph(escape(_("On-time rate per deadline")), head),
              table([_("Type"), _("Step"), _("Tasks done"), _("Done on time"), _("On-time rate")], on_time,
                    [50, 50, 26, 26, 28])]
    verdicts = [[t["name"], words["options"][t["key"]].get(t["settings"]["satisfaction"], {}).get(str(s["value"]), s["value"]),
                 s["cases"]] for t in numbers["types"] if t["satisfaction"] is not None for s in t["satisfaction"]]
    story += [Paragraph(escape(_("Follow-up satisfaction")), head),
              table([_("Type"), _("Verdict"), _("Cases")], verdicts, [70, 80, 30])]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=page["title"]).build(story)
    return out.getvalue()
