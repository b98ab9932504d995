"""In a real browser: the receipt page survives a reload and a language switch, prints and
copies; a refused form comes back with field errors and what was typed."""
from __future__ import annotations

import re

import pytest

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
