"""In a real browser: the receipt page survives a reload and a language switch, prints and
copies; a refused form comes back with field errors and what was typed."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import intake_data
from tests.test_browser import fill_intake, live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_receipt_survives_reload_and_language_switch_and_files_once(live_server, page, engine):  # noqa: F811
    page.goto(f"{live_server}/report/complaint")
    fill_intake(page, intake_data("complaint"))
    page.click("form.schema-form button[type=submit]")
    page.wait_for_url(f"{live_server}/filed")
    number = page.locator(".case-number").inner_text()
    receipt = page.locator(".receipt-code").inner_text()
    assert re.fullmatch(r"CP-\d{6}-\d{4}", number) and receipt
    assert page.locator("button[data-print]").is_visible()
    assert page.locator("button[data-copy]").is_visible()

    page.reload()  # a reload shows the same receipt and files nothing
    assert page.locator(".receipt-code").inner_text() == receipt
    page.click("a.lang-switch")
    assert "Your receipt code" in page.content()
    assert page.locator(".receipt-code").inner_text() == receipt
    assert engine.public_case(receipt)["number"] == number

    numbers = [c["number"] for c in engine.list_cases(engine.actor_for("admin1"))["items"]]
    assert numbers == [number]

    page.goto(f"{live_server}/filed")
    page.click(".receipt-saved button")
    page.wait_for_url(f"{live_server}/track")
    page.goto(f"{live_server}/filed")
    assert receipt not in page.content()


def test_the_anonymous_box_hides_and_clears_identity_fields(live_server, page):  # noqa: F811
    page.goto(f"{live_server}/report/internal_report")
    page.fill("#f-reporter_name", "赵举报")
    assert page.locator("#field-reporter_name").is_visible()
    page.check("#f-anonymous")
    for name in ("reporter_name", "reporter_contact", "reporter_department"):
        assert not page.locator(f"#field-{name}").is_visible(), name
    page.uncheck("#f-anonymous")
    assert page.locator("#field-reporter_name").is_visible()
    assert page.input_value("#f-reporter_name") == ""  # what was typed was cleared, not just hidden


def test_a_refused_public_form_keeps_what_was_typed(live_server, page):  # noqa: F811
    page.goto(f"{live_server}/report/complaint")
    data = intake_data("complaint", complainant_phone=None, complainant_email=None)
    fill_intake(page, {k: v for k, v in data.items() if v is not None})
    page.click("form.schema-form button[type=submit]")
    assert page.locator("#field-complainant_phone .field-error").is_visible()
    assert page.input_value("#f-subject") == data["subject"]
    assert page.locator("#field-subject .req").count() == 1  # required fields are marked


def test_switching_language_after_a_refused_form_keeps_what_was_typed(live_server, page):  # noqa: F811
    page.goto(f"{live_server}/report/complaint?lang=zh_CN")
    data = intake_data("complaint", complainant_phone=None, complainant_email=None)
    fill_intake(page, {k: v for k, v in data.items() if v is not None})
    page.click("form.schema-form button[type=submit]")
    expect(page.locator("#field-complainant_phone .field-error")).to_be_visible()
    page.click("a.lang-switch[hreflang=en]")
    page.wait_for_url(lambda url: "lang=en" in url)
    assert page.get_attribute("html", "lang") == "en"
    assert page.input_value("#f-subject") == data["subject"]
    assert page.input_value("#f-description") == data["description"]
    page.fill("#f-complainant_phone", "13800138000")
    page.click("form.schema-form button[type=submit]")
    expect(page.locator(".receipt-code")).to_be_visible()
    page.goto(f"{live_server}/report/complaint?lang=en")  # the next complaint starts empty
    assert page.input_value("#f-subject") == ""
