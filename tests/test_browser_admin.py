"""In a real browser: admin1 creates a group and a user in it; the new user signs in and sees the
group's task. owner1 starts new cases on an older version with a reason and previews a move."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.test_browser import live_server, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def sign_in(page, server: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own page


def sign_out(page) -> None:
    page.click("header form button[type=submit]")


def test_admin_creates_a_group_and_a_user_who_then_works_its_tasks(live_server, page, engine, make_case):  # noqa: F811
    make_case()
    sign_in(page, live_server, "admin1")
    page.click('nav a[href="/admin"]')
    page.click('main a[href="/admin/groups"]')
    page.fill('#create-group [name="key"]', "hotline")
    page.fill('#create-group [name="name_zh"]', "热线组")
    page.fill('#create-group [name="name_en"]', "Hotline")
    page.click("#create-group button[type=submit]")
    assert page.locator("#group-hotline").count() == 1

    page.goto(f"{live_server}/admin/users")
    page.fill('#create-user [name="username"]', "clerk8")
    page.fill('#create-user [name="display_name"]', "受理员八")
    page.fill('#create-user [name="password"]', "clerk8-password")
    page.check('#create-user [name="groups"][value="intake"]')
    page.click("#create-user button[type=submit]")
    assert page.locator(".flash-success").count() == 1
    assert page.locator("#users a", has_text="clerk8").count() == 1

    page.goto(f"{live_server}/admin/groups")
    page.fill('#group-hotline [name="username"]', "clerk8")
    page.click('#group-hotline form:has([name="username"]) button[type=submit]')
    assert page.locator("#group-hotline .tag", has_text="clerk8").count() == 1
    sign_out(page)

    sign_in(page, live_server, "clerk8", "clerk8-password")
    assert page.locator("#available-tasks tr[data-element=review]").count() == 1
    assert set(engine.get_user(engine.actor_for("admin1"), "clerk8")["groups"]) == {"hotline", "intake"}


def test_owner_rolls_back_the_latest_version_and_previews_a_move(live_server, page, engine, client, make_case):  # noqa: F811
    from tests.test_api_support import API
    from tests.test_versions import deploy, renamed_review

    token = client.post(f"{API}/auth/token", json={"username": "owner1", "password": DEMO_PASSWORD}).get_json()["token"]
    case = make_case()
    assert deploy(client, {"Authorization": f"Bearer {token}"}, renamed_review(), comment="new name").status_code == 201
    sign_in(page, live_server, "owner1")
    page.click('nav a[href="/process-types"]')
    page.click('#types a[href="/process-types/complaint"]')
    assert "new name" in page.locator("#version-2").inner_text()
    page.fill('#version-1 [name="reason"]', "回到旧名称")
    page.click("#version-1 button[type=submit]")
    assert page.locator("#version-1 .badge").count() == 1
    assert engine.get_process_type("complaint")["version"] == 1

    page.select_option('#migration [name="from_version"]', "1")
    page.select_option('#migration [name="to_version"]', "2")
    page.click("#migration button[type=submit]")
    assert page.locator("#migration-cases tr.movable", has_text=case["number"]).count() == 1
    page.click("#confirm-migration button[type=submit]")
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["version"] == 2
