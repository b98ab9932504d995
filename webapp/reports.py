"""The reports dashboard and the half-year / year summaries (issue 9, point 6; seeds: 每年6月和12月
汇总, 年底整理成册). One engine call per page; the charts are drawn by the bundled Chart.js from the
same numbers the tables show, and each number links to the case list behind it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from engine.oversight.timeline import in_language

from .auth import current_actor, login_required
from .forms_render import form_fields
from .modeler import EDITOR_POLICY

bp = Blueprint("reports", __name__)


def engine():
    """The engine facade built by the app factory."""
    return current_app.extensions["complaintflow"]


@bp.after_request
def chart_policy(response):
    response.headers.setdefault("Content-Security-Policy", EDITOR_POLICY)  # Chart.js sizes its canvas inline
    return response


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, _zone())


def _day(name: str) -> date | None:
    text = (request.args.get(name) or "").strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        flash(_("The period was not understood; give dates as YYYY-MM-DD."), "error")
        return None


def _half(text):
    """A name written "中文 / English" in the reader's half (the whole name otherwise)."""
    return in_language(text, "en" if str(get_locale() or "").startswith("en") else "zh_CN")


def in_words(numbers: dict) -> dict:
    """The reader's names for the report fields and their values, from the forms that declare them:
    {"fields": {field: label}, "options": {type key: {field: {value: option label}}}} (a field or
    value no form names keeps its own). Type and step names of `numbers` become the reader's half."""
    fields: dict[str, str] = {}
    values: dict[str, dict] = {}
    for t in numbers["types"]:
        t["name"] = _half(t["name"])
        for step in t["on_time"]:
            step["name"] = _half(step["name"])
        values[t["key"]] = {}
        for name, schema in (t.get("forms") or {}).items():
            found = next((f for f in form_fields(schema) if f.name == name), None)
            if found is not None:
                fields.setdefault(name, _half(found.label))
                values[t["key"]][name] = {v: _half(label) for v, label in found.options}
        for name in list(t["dimensions"]) + [t["settings"].get("satisfaction")]:
            if name:
                fields.setdefault(name, name.replace("_", " "))
    return {"fields": fields, "options": values}


def charts(numbers: dict, words: dict | None = None) -> list[dict]:
    """Chart.js series: cases per month by type, then per report dimension by type."""
    types = numbers["types"]
    months = sorted({m["month"] for t in types for m in t["by_month"]})
    series = [{"canvas": "chart-months", "labels": months,
               "datasets": [{"label": t["name"], "data": [next((m["cases"] for m in t["by_month"] if m["month"] == month), 0)
                                                         for month in months]} for t in types]}]
    fields = sorted({f for t in types for f in t["dimensions"]})
    names = {}
    for t in types:
        for field, options in ((words or {}).get("options", {}).get(t["key"]) or {}).items():
            for value, label in options.items():
                names.setdefault((field, value), label)
    for field in fields:
        values = sorted({str(d["value"]) for t in types for d in t["dimensions"].get(field, [])})
        series.append({"canvas": f"chart-{field}", "labels": [names.get((field, v), v) for v in values], "datasets": [
            {"label": t["name"], "data": [next((d["cases"] for d in t["dimensions"].get(field, []) if str(d["value"]) == v), 0)
                                          for v in values]} for t in types if field in t["dimensions"]]})
    return series


@bp.route("/reports")
@login_required
def index():
    """The dashboard for a period (default: the last 365 days up to today)."""
    today = engine().ctx.now().astimezone(_zone()).date()
    first, last = _day("from") or today - timedelta(days=364), _day("to") or today
    if first > last:
        flash(_("The period ends before it starts."), "error")
        first, last = last, last
    numbers = engine().reports(current_actor(), _start_of(first), _start_of(last + timedelta(days=1)))
    words = in_words(numbers)
    return render_template("reports/index.html", numbers=numbers, first=first, last=last, words=words,
                           model={"series": charts(numbers, words)}, fields=sorted({f for t in numbers["types"] for f in t["dimensions"]}))


def _summary() -> dict:
    """The numbers and words of the summary the request asks for: a half year (half=1:
    January–June, half=2: July–December) or a year (default: this year)."""
    today = engine().ctx.now().astimezone(_zone()).date()
    year = request.args.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today.year
    half = request.args.get("half") if request.args.get("half") in ("1", "2") else None
    if half == "1":
        first, after, title = date(year, 1, 1), date(year, 7, 1), _("Complaint summary, first half of %(year)s", year=year)
    elif half == "2":
        first, after, title = date(year, 7, 1), date(year + 1, 1, 1), _("Complaint summary, second half of %(year)s", year=year)
    else:
        first, after, title = date(year, 1, 1), date(year + 1, 1, 1), _("Complaint summary of the year %(year)s", year=year)
    numbers = engine().reports(current_actor(), _start_of(first), _start_of(after))
    return {"numbers": numbers, "title": title, "first": first, "last": after - timedelta(days=1), "year": year,
            "half": half, "words": in_words(numbers), "fields": sorted({f for t in numbers["types"] for f in t["dimensions"]})}


@bp.route("/reports/summary")
@login_required
def summary():
    """The printable summary of a half year or a year, with a link to the same as PDF."""
    page = _summary()
    return render_template("reports/summary.html", **page,
                           pdf=url_for("reports.summary_pdf", year=page["year"], half=page["half"]))


@bp.route("/reports/summary.pdf")
@login_required
def summary_pdf():
    """The same summary as a PDF (ReportLab, Chinese in the built-in CID font)."""
    from .print_pdf import summary_pdf as draw

    page = _summary()
    name = f"summary-{page['year']}" + (f"-H{page['half']}" if page["half"] else "") + ".pdf"
    return current_app.response_class(draw(page), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"'})
