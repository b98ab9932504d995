"""The handling form as a PDF (ReportLab, with the Adobe CID font for Chinese: no font files)."""
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
