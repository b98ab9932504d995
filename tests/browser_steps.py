"""Steps the per-user browser tests share (tests/test_browser_<type>_user.py): signing in, choosing
the language, reading a page's language and layout. Playwright waits through `expect`, never sleeps."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD
from tests.factories import VALID_INTAKE
from tests.page_words import assert_reads_in

# What the factories' complainants typed (tests.factories): their words, not the app's.
FILED_WORDS = {str(v) for data in VALID_INTAKE.values() for v in data.values() if isinstance(v, str)}

LANGS = ("zh_CN", "en")
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def sign_in(page, server: str, username: str, lang: str = "zh_CN") -> str:
    """Sign in through the login form in `lang`; returns the path the user lands on."""
    page.context.clear_cookies()
    page.goto(f"{server}/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page.url[len(server):]


def lands_on(page, server: str, username: str, lang: str, path: str, heading: tuple[str, str] | None = None,
             typed=()) -> None:
    """`username` signs in and lands on `path` (a page of use, not an empty inbox), written in `lang`,
    headed `heading` (Chinese, English)."""
    assert sign_in(page, server, username, lang) == path
    in_language(page, lang, typed)
    if heading:
        expect(page.locator("main h1")).to_have_text(words(lang, *heading))


# A second complaint a search must tell apart from the factories' one, by a word and by a name.
OTHER_COMPLAINT = {"subject": "电费账单错误", "description": "十月电费重复收取。", "complainant_name": "李四"}


def first_column(page, table: str) -> list[str]:
    """The texts of the links in the first column of a table (case numbers)."""
    return [n.strip() for n in page.locator(f"{table} tbody tr td:first-child a").all_inner_texts()]


def in_language(page, lang: str, typed=()) -> None:
    """The page is written in `lang`: the html element says so, and its text holds no raw identifier,
    no untranslated catalogue string and (in English) no Chinese, besides what was `typed`
    (tests/page_words.py)."""
    assert (page.get_attribute("html", "lang") or "").lower().startswith(HTML_LANG[lang].lower()[:2]), page.url
    assert_reads_in(page.content(), lang, typed=FILED_WORDS | set(typed), where=page.url)


def one_line(locator) -> None:
    """Every matching element's text is one line high (a time not wrapped onto several lines):
    the height of its content (without padding) is at most one line's."""
    assert locator.count() > 0
    for i in range(locator.count()):
        height, line = locator.nth(i).evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " const s = getComputedStyle(el);"
            " return [r.getBoundingClientRect().height,"
            " parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.6]; }")
        assert 0 < height <= line * 1.5, (locator.nth(i).inner_text(), height, line)


def words(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh_CN" else en


def receipt_of(page) -> str:
    expect(page.locator(".receipt-code")).to_be_visible()
    return page.locator(".receipt-code").inner_text().strip()


def track(page, server: str, receipt: str, lang: str) -> None:
    """Open the complainant's view of a case with the receipt code."""
    page.goto(f"{server}/track?lang={lang}")
    page.fill("#receipt", receipt)
    page.click("main form button[type=submit]")
    expect(page.locator("main h1")).to_contain_text(re.compile(r"\S+-\d{6}-\d{4}"))
