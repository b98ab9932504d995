"""A case's path and the reports dashboard in a real browser (Debian's Chromium through
Playwright): the auditor sees the case's steps marked on its diagram and an element's events on
click, the heatmap's badges, and the dashboard's charts drawn (issue 9, point 7)."""
from __future__ import annotations

import pytest

from tests.test_browser import live_server, page  # noqa: F401  (fixtures)
from tests.test_browser_modeler import sign_in
from tests.test_reports import driven  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_auditor_reads_a_path_a_heatmap_and_the_dashboard(live_server, page, driven):  # noqa: F811
    sign_in(page, live_server, "auditor1")
    page.goto(f"{live_server}/cases/{driven['c']['id']}/path?lang=en")
    page.wait_for_selector("body[data-diagram-ready='1']")
    assert page.locator('.djs-element.cf-done[data-element-id="review"]').count() == 1
    assert page.locator('.djs-element.cf-taken[data-element-id="flow_accept"]').count() == 1
    assert page.locator('.djs-element.cf-taken[data-element-id="flow_reject"]').count() == 0
    assert page.locator('.djs-element.cf-active[data-element-id="investigate"]').count() == 1
    page.click('.djs-element[data-element-id="review"]')
    events = page.locator("#cf-element").inner_text()
    assert "intake2" in events and "Step completed" in events

    page.goto(f"{live_server}/process-types/complaint/versions/1/heatmap?lang=en")
    page.wait_for_selector("body[data-diagram-ready='1']")
    assert page.locator('.cf-heat-badge[data-element="review"]').inner_text().startswith("3")

    page.goto(f"{live_server}/reports?lang=zh_CN&from={driven['t0'].date()}&to={driven['t0'].date().replace(month=12, day=31)}")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.evaluate("document.getElementById('chart-months').width") > 0
    assert "按投诉类别统计的案件" in page.locator("main").inner_text()  # the intake form names the field
    page.locator('a.report-number[data-metric="cases"]').first.click()
    page.wait_for_url("**/cases?**")
    assert "以下是报表中该数字对应的案件" in page.locator("main").inner_text()
