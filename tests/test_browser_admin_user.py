"""The administrator in a real browser, in Chinese and in English (issue 10, point 7): lands on the
administration page and reaches users, groups and the working calendar from it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_steps import LANGS, in_language, lands_on
from tests.test_browser import live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGS)
def test_an_admin_lands_on_the_administration_and_reaches_users_and_groups(live_server, page, lang):  # noqa: F811
    lands_on(page, live_server, "admin1", lang, "/admin", ("系统管理", "Administration"))
    page.click('main a[href="/admin/users"]')
    page.wait_for_url(f"{live_server}/admin/users")
    in_language(page, lang)
    expect(page.locator("#users a", has_text="intake1")).to_be_visible()
    expect(page.locator("#create-user [name=username]")).to_be_visible()
    page.click('#users a:text-is("intake1")')
    page.wait_for_url(f"{live_server}/admin/users/intake1")
    expect(page.locator("main h1")).to_contain_text("intake1")
    page.goto(f"{live_server}/admin")
    page.click('main a[href="/admin/groups"]')
    page.wait_for_url(f"{live_server}/admin/groups")
    expect(page.locator("#group-intake")).to_contain_text("intake1")
    page.goto(f"{live_server}/admin")
    page.click('main a[href="/admin/calendar"]')
    page.wait_for_url(f"{live_server}/admin/calendar")
    in_language(page, lang)
