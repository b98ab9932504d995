"""In a real browser: an auditor reads a case's history in Chinese and in English, a time on one
line, shows the engine steps on demand, and checks the audit chain from the audit page."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.test_browser import live_server, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_an_auditor_reads_a_history_in_both_languages_and_checks_the_chain(live_server, page, make_case, work):  # noqa: F811
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    page.goto(f"{live_server}/login")
    page.fill("#username", "auditor1")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/cases")  # an auditor lands on the cases

    page.goto(f"{live_server}/cases/{case['id']}/history?lang=zh_CN")
    review = page.locator(".timeline-entry", has_text="完成任务").first
    assert "受理审查" in review.inner_text() and "审查结论: — → 受理" in review.inner_text()
    stamp = review.locator("time")
    height, line = stamp.evaluate("el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]")
    assert height <= line * 1.5  # the time stays on one line
    assert page.locator(".timeline-entry.engine-step").count() == 0
    page.click("text=显示")
    assert page.locator(".timeline-entry.engine-step").count() > 0

    page.goto(f"{live_server}/cases/{case['id']}/history?lang=en")
    assert "Decision: — → Accept" in page.locator(".timeline-entry", has_text="Task completed").first.inner_text()

    page.goto(f"{live_server}/audit?lang=zh_CN")
    page.click("text=立即校验哈希链")
    assert "日志完整" in page.locator("[role=status]").inner_text()
