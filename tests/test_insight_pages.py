"""The path, heatmap and reports pages (issue 9): who sees them, and each report number leads to
the cases behind it."""
from __future__ import annotations

import re
from html import unescape

from test_reports import driven  # noqa: F401  (the fixture)


def links(html: str, metric: str | None = None) -> list[tuple[str, str]]:
    pattern = r'<a class="report-number"' + (f' data-metric="{metric}"' if metric else r'[^>]*?') + r' href="([^"]+)">(\d+)</a>'
    return [(unescape(h), n) for h, n in re.findall(pattern, html)]


def test_every_report_number_leads_to_as_many_cases(login, driven):  # noqa: F811
    auditor = login("auditor1")
    day = driven["t0"].date()
    resp = auditor.get(f"/reports?from={day.replace(day=1)}&to={day.replace(month=12, day=31)}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "chart-months" in html and "chart-category" in html
    found = links(html)
    assert ("3" in [n for _, n in links(html, "cases")]) and len(found) >= 6
    for href, number in found:
        page = auditor.get(href + "&lang=en").get_data(as_text=True)
        assert f">{number} cases<" in page, (href, number)
        assert page.count('href="/cases/') - page.count('href="/cases/?') >= int(number)


def test_reports_refused_to_intake_staff_and_summaries_print(login, driven):  # noqa: F811
    assert login("intake1").get("/reports").status_code == 403
    supervisor = login("supervisor1")
    year = driven["t0"].year
    page = supervisor.get(f"/reports/summary?year={year}&half=2&lang=en")
    assert page.status_code == 200
    assert f"second half of {year}" in page.get_data(as_text=True)
    zh = supervisor.get(f"/reports/summary?year={year}&half=2&lang=zh_CN").get_data(as_text=True)
    assert f"{year}年下半年" in zh


def test_path_and_heatmap_pages_carry_the_marks(login, driven):  # noqa: F811
    auditor = login("auditor1")
    html = auditor.get(f"/cases/{driven['c']['id']}/path").get_data(as_text=True)
    assert '"active": ["investigate"' in html or '"investigate"' in html
    assert "flow_accept" in html and "diagram-view.js" in html
    heat = auditor.get("/process-types/complaint/versions/1/heatmap").get_data(as_text=True)
    assert 'data-element="review"' in heat and "diagram-view.js" in heat
    assert login("intake1").get("/process-types/complaint/versions/1/heatmap").status_code == 403
