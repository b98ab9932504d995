"""转办, 抄送 and 退回 in a real browser, from the task page (issue 11)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.test_browser import live_server, page  # noqa: F401 - the browser fixtures

pytestmark = pytest.mark.browser


def sign_in(page, server: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server}/inbox")


def open_task_of(engine, username: str, case_id: int, element_id: str) -> dict:
    tasks = engine.get_case(engine.actor_for(username), case_id)["open_tasks"]
    return next(t for t in tasks if t["element_id"] == element_id)


def test_transfer_and_copy_from_the_task_page(live_server, page, engine, make_case):  # noqa: F811
    case = make_case("complaint", by="intake1")
    review = open_task_of(engine, "intake2", case["id"], "review")
    engine.claim_task(engine.actor_for("intake2"), review["id"])
    sign_in(page, live_server, "intake2")
    page.goto(f"{live_server}/tasks/{review['id']}")
    assert page.locator("#transfer-form option[value=intake1]").count() == 1
    assert page.locator("#transfer-form option[value=clerk1]").count() == 0  # outside the case: never offered
    page.select_option("#transfer-form select[name=to]", "intake1")
    page.fill("#transfer-form input[name=reason]", "我明天休假，请代办")
    page.click("#transfer-form button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox")
    assert "intake1" in page.locator(".flash-success").inner_text()
    assert open_task_of(engine, "intake1", case["id"], "review")["assignee"] == "intake1"

    sign_in(page, live_server, "intake1")
    page.goto(f"{live_server}/tasks/{review['id']}")
    page.fill("#copy-form input[name=to]", "billing1")
    page.fill("#copy-form input[name=note]", "涉及计费，请知悉")
    page.click("#copy-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/tasks/{review['id']}$"))
    assert "billing1" in page.locator(".flash-success").inner_text()
    assert engine.get_case(engine.actor_for("billing1"), case["id"])["number"] == case["number"]


def test_send_back_from_the_approval(live_server, page, engine, make_case, work):  # noqa: F811
    case = make_case("complaint", by="intake1", category="quality")
    work(case["id"], "review", "intake2", decision="accept", reason="受理", complex=False)
    work(case["id"], "investigate", "quality1", root_cause="原因", responsibility="company", remedy="exchange",
         remedy_detail="换货")
    approve = open_task_of(engine, "supervisor1", case["id"], "approve")
    engine.claim_task(engine.actor_for("supervisor1"), approve["id"])
    sign_in(page, live_server, "supervisor1")
    page.goto(f"{live_server}/tasks/{approve['id']}")
    page.select_option("#send-back-form select[name=to]", "investigate")
    page.fill("#send-back-form input[name=reason]", "赔偿依据不足，请补充")
    page.click("#send-back-form button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox")
    assert page.locator(".flash-success").count() == 1
    again = open_task_of(engine, "quality1", case["id"], "investigate")
    assert again["assignee"] == "quality1"
