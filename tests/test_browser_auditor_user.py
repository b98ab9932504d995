"""The auditor in a real browser, in Chinese and in English (issue 10, point 7): lands on the cases,
finds a case by a word of its description and by the complainant's name, reads the case page and
its history with every time on one line, and a whistleblower's case headed as a report."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_steps import LANGS, OTHER_COMPLAINT, first_column, in_language, one_line, sign_in, words
from tests.test_browser import live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# what this test types itself (its data, not the app's words)
TYPED = {*OTHER_COMPLAINT.values(), "符合受理条件"}



@pytest.mark.parametrize("lang", LANGS)
def test_an_auditor_finds_and_reads_cases(live_server, page, make_case, work, lang):  # noqa: F811
    wanted = make_case("complaint")
    other = make_case("complaint", **OTHER_COMPLAINT)
    report = make_case("internal_report")
    work(wanted["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    assert sign_in(page, live_server, "auditor1", lang) == "/cases"  # an auditor lands on the cases
    in_language(page, lang, TYPED)
    assert set(first_column(page, "main table")) >= {wanted["number"], other["number"]}
    one_line(page.locator("main table time"))
    for q, found in (("两条卷烟", wanted["number"]), ("李四", other["number"])):
        page.fill("#q", q)
        page.locator("#q").press("Enter")
        expect(page.locator("#q")).to_have_value(q)
        assert first_column(page, "main table") == [found], q

    page.goto(f"{live_server}/cases/{wanted['id']}")
    in_language(page, lang, TYPED)
    expect(page.locator("#messages-title")).to_have_text(words(lang, "与投诉人的往来消息", "Messages with the complainant"))
    one_line(page.locator("main time"))
    page.goto(f"{live_server}/cases/{wanted['id']}/history")
    expect(page.locator(".timeline-entry").first).to_be_visible()
    one_line(page.locator(".timeline-entry time"))

    page.goto(f"{live_server}/cases/{report['id']}")
    expect(page.locator("#messages-title")).to_have_text(words(lang, "与举报人的往来消息", "Messages with the reporter"))
