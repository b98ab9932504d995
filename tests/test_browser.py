"""End to end in a real browser: a complainant files on the public page, intake1 claims and
accepts the review. Drives Debian's Chromium through Playwright against a live local server."""
from __future__ import annotations

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD
from tests.factories import intake_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1 at a free port; the socket is listening once make_server returns."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page(chromium):
    """A page in a fresh browser context (no cookies, no storage) of the shared Chromium
    (tests/conftest.py; skipped where Debian's chromium is not installed)."""
    context = chromium.new_context(locale="zh-CN")
    yield context.new_page()
    context.close()


def fill_intake(page, data: dict) -> None:
    """Fill the schema form the way a person would: type text, pick options, tick boxes. A field the
    form does not show (one the public form fills itself, `x-public`) is left to the form."""
    page.locator("form.schema-form").first.wait_for()
    for name, value in data.items():
        if page.locator(f'[name="{name}"]').count() == 0:
            continue
        control = page.locator(f'[name="{name}"]').first
        tag = control.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
        if tag.startswith("select"):
            control.select_option(str(value))
        elif tag.endswith(":checkbox"):
            control.set_checked(bool(value))
        else:
            control.fill(str(value))


def test_file_a_complaint_then_claim_and_accept_the_review(live_server, page, engine):
    page.goto(f"{live_server}/")
    page.click('a[href="/report/complaint"] >> nth=0')
    fill_intake(page, intake_data("complaint"))
    page.click("form.schema-form button[type=submit]")
    number = page.locator(".case-number").inner_text()
    assert re.fullmatch(r"CP-\d{6}-\d{4}", number)
    assert page.locator(".receipt-code").inner_text()

    page.goto(f"{live_server}/login")
    page.fill("#username", "intake1")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox")

    row = page.locator("#available-tasks tr", has_text=number)
    assert row.get_attribute("data-element") == "review"
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))  # claiming opens the task

    page.select_option("#f-decision", "accept")
    page.click("form.schema-form button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox")
    assert page.locator(".flash-success").count() >= 1
    assert page.locator("#my-tasks tr", has_text=number).count() == 0

    case = next(c for c in engine.list_cases(engine.actor_for("intake1"))["items"] if c["number"] == number)
    opened = engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"]
    assert "review" not in [t["element_id"] for t in opened]
