"""The process owner in a real browser, in Chinese and in English (issue 10, point 7): lands on the
process types, opens one and reads its versions, each deployment time on one line."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_steps import LANGS, in_language, lands_on, one_line, words
from tests.test_browser import live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_a_process_owner_lands_on_the_process_types_and_reads_a_version(live_server, page, lang):  # noqa: F811
    lands_on(page, live_server, "owner1", lang, "/process-types", ("流程类型", "Process types"))
    expect(page.locator('#types a[href="/process-types/complaint"]')).to_be_visible()
    one_line(page.locator("#types tbody td", has_text="2026-"))
    page.click('#types a[href="/process-types/complaint"]')
    page.wait_for_url(f"{live_server}/process-types/complaint")
    in_language(page, lang)
    expect(page.locator("#version-1")).to_be_visible()
    one_line(page.locator("#version-1 td", has_text="2026-"))  # the deployment time is not wrapped
    page.click("a.lang-switch")  # the other language keeps the page
    other = "en" if lang == "zh_CN" else "zh_CN"
    in_language(page, other)
    expect(page.locator("#version-1")).to_be_visible()
    expect(page.locator("main h2").first).to_have_text(words(other, "版本", "Versions"))
