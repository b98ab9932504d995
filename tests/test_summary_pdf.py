"""The half-year and year summaries (issue 9, point 6): fields and their values named as the forms
name them in the reader's language, and the same numbers as a PDF."""
from __future__ import annotations

import re
from html import unescape

from test_exports import pdf_text
from test_reports import driven  # noqa: F401  (the fixture)

from webapp.reports import in_words
from webapp.timeline_text import in_language


def dimension_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(dimension heading, type, value, cases) for each row of the page's per-field tables."""
    rows = []
    for heading, table in re.findall(r'<h2 id="dim-[^"]+">([^<]+)</h2>\s*<table class="history" data-dimension="[^"]+">(.*?)</table>',
                                     html, re.S):
        for kind, value, cases in re.findall(r'<tr><td>([^<]+)</td><td>([^<]+)</td>\s*<td><a class="report-number"[^>]*>(\d+)</a>',
                                             table):
            rows.append((unescape(heading), unescape(kind), unescape(value), cases))
    return rows


def test_the_summary_names_fields_and_values_as_the_forms_do(login, driven):  # noqa: F811
    auditor = login("auditor1")
    year = driven["t0"].year
    en = auditor.get(f"/reports/summary?year={year}&lang=en").get_data(as_text=True)
    rows = dimension_rows(en)
    assert ("Cases by Category", "Product quality", "2") in [(h, v, n) for h, _, v, n in rows]
    assert ("Cases by Channel", "Hotline", "1") in [(h, v, n) for h, _, v, n in rows]
    assert "Cases by category" not in en and ">quality<" not in en
    assert "<td>Satisfied</td>" in en
    zh = auditor.get(f"/reports/summary?year={year}&lang=zh_CN").get_data(as_text=True)
    rows = dimension_rows(zh)
    assert ("按投诉类别统计的案件", "产品质量", "2") in [(h, v, n) for h, _, v, n in rows]
    assert ("按投诉渠道统计的案件", "网站", "2") in [(h, v, n) for h, _, v, n in rows]
    assert "<td>满意</td>" in zh and "<td>satisfied</td>" not in zh
    dashboard = auditor.get(f"/reports?from={year}-01-01&to={year}-12-31&lang=en").get_data(as_text=True)
    assert "Cases by Category" in dashboard and '"Product quality"' in dashboard  # the chart's labels too


def test_the_summary_as_pdf_shows_the_pages_numbers(login, driven):  # noqa: F811
    supervisor = login("supervisor1")
    year = driven["t0"].year
    for lang, words in (("zh_CN", ("年度投诉汇总", "按投诉类别统计的案件", "产品质量", "满意")),
                        ("en", ("Complaint summary of the year", "Cases by Category", "Product quality", "Satisfied"))):
        page = supervisor.get(f"/reports/summary?year={year}&lang={lang}").get_data(as_text=True)
        link = unescape(re.search(r'<a href="([^"]+)" class="button">PDF</a>', page).group(1))
        assert link == f"/reports/summary.pdf?year={year}"
        resp = supervisor.get(link + f"&lang={lang}")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
        text = pdf_text(resp.data)
        for w in words:
            assert w in text, (lang, w)
        rows = dimension_rows(page)
        assert len(rows) >= 4
        for _heading, _kind, value, cases in rows:
            if value == "—":
                continue  # pdf_text reads U+2014 as Latin-1; the cell is drawn all the same
            assert f"{value}{cases}" in text, (lang, value, cases)
        on_time = re.search(r'<td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>\s*<td>([\d.]+%)</td>', page)
        assert f"{unescape(on_time.group(1))}{on_time.group(2)}{on_time.group(3)}{on_time.group(4)}" in text
    assert "Customer complaint" in text and "客户投诉" not in text and "Review" in text  # en: the English halves
    half = supervisor.get(f"/reports/summary.pdf?year={year}&half=2&lang=en")
    assert "second half of" in pdf_text(half.data)
    assert login("intake1").get(f"/reports/summary.pdf?year={year}").status_code == 403


def test_names_written_in_both_languages_show_the_readers_half(app):
    def numbers():
        area = {"type": "string", "title": "区域 / Area", "oneOf": [{"const": "n", "title": "北区 / North"}]}
        return {"types": [{"key": "k", "name": "投诉 / Complaint", "on_time": [{"name": "审查 / Review"}],
                           "dimensions": {"area": [{"value": "n", "cases": 1}]}, "settings": {"satisfaction": None},
                           "forms": {"area": {"type": "object", "properties": {"area": area}}}}]}
    with app.test_request_context("/reports/summary"):
        for lang, field, value, kind, step in (("en", "Area", "North", "Complaint", "Review"),
                                               ("zh_CN", "区域", "北区", "投诉", "审查")):
            with in_language(lang):
                shown = numbers()
                words = in_words(shown)
            assert words == {"fields": {"area": field}, "options": {"k": {"area": {"n": value}}}}, lang
            assert (shown["types"][0]["name"], shown["types"][0]["on_time"][0]["name"]) == (kind, step)


def test_a_field_a_lane_takes_its_group_from_reads_as_the_groups_names(login, engine, driven):  # noqa: F811
    """The complaint's department is chosen by its routing table and names a group (its lane's
    groupVariable): the reports show the group's name in the reader's language, not its key."""
    engine.rename_group(engine.actor_for("admin1"), "dept_quality", {"name_zh": "质量部", "name_en": "Quality department"})
    year = driven["t0"].year
    auditor = login("auditor1")
    en = dimension_rows(auditor.get(f"/reports/summary?year={year}&lang=en").get_data(as_text=True))
    zh = dimension_rows(auditor.get(f"/reports/summary?year={year}&lang=zh_CN").get_data(as_text=True))
    assert any(h == "Cases by Handling department" and v == "Quality department" for h, _, v, _ in en), en
    assert any(h == "按承办部门统计的案件" and v == "质量部" for h, _, v, _ in zh), zh
    assert not any(v == "dept_quality" for _, _, v, _ in en + zh)
