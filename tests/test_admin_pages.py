"""The admin's and process owner's pages: users, groups, process types and their versions."""
from __future__ import annotations

from tests.test_versions import deploy, renamed_review
from tests.test_api_support import API, h  # noqa: F401


def test_an_admin_creates_edits_and_disables_a_user_in_the_browser(login, engine, app):
    admin = login("admin1")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "intake1" in page.get_data(as_text=True)
    created = admin.post("/admin/users", data={"username": "clerk7", "display_name": "受理员七", "password": "long-enough-1",
                                               "roles": ["staff"], "groups": ["intake"]})
    assert created.status_code == 302
    assert engine.get_user(engine.actor_for("admin1"), "clerk7")["groups"] == ["intake"]
    refused = admin.post("/admin/users", data={"username": "clerk7", "password": "x"})
    assert refused.status_code == 400  # the form again, naming the fields
    saved = admin.post("/admin/users/clerk7", data={"display_name": "受理员七号", "roles": ["staff", "auditor"],
                                                     "groups": ["intake", "followup"], "active": "1"})
    assert saved.status_code == 302
    user = engine.get_user(engine.actor_for("admin1"), "clerk7")
    assert user["roles"] == ["auditor", "staff"] and user["groups"] == ["followup", "intake"]
    clerk = login("clerk7", "long-enough-1")
    admin.post("/admin/users/clerk7", data={"display_name": "受理员七号", "roles": ["staff"]})  # no active: disable
    assert engine.get_user(engine.actor_for("admin1"), "clerk7")["active"] is False
    assert clerk.get("/inbox").status_code == 302  # signed out at once


def test_an_admin_creates_a_group_and_moves_members_in_the_browser(login, engine):
    admin = login("admin1")
    assert admin.post("/admin/groups", data={"key": "hotline", "name_zh": "热线组", "name_en": "Hotline"}).status_code == 302
    assert admin.post("/admin/groups/hotline/members", data={"username": "quality1"}).status_code == 302
    page = admin.get("/admin/groups?lang=zh_CN").get_data(as_text=True)
    assert "热线组" in page and "quality1" in page
    admin.post("/admin/groups/hotline/members/quality1/remove")
    assert engine.get_group(engine.actor_for("admin1"), "hotline")["members"] == []
    bad = admin.post("/admin/groups", data={"key": "Bad key", "name_zh": "", "name_en": ""})
    assert bad.status_code == 400
    assert login("intake1").get("/admin/users").status_code == 403


def test_owners_see_versions_roll_back_and_preview_a_migration(client, h, login, engine, make_case):
    case = make_case()
    assert deploy(client, h("owner1"), renamed_review(), comment="new review name").status_code == 201
    owner = login("owner1")
    listing = owner.get("/process-types").get_data(as_text=True)
    assert "/process-types/complaint" in listing
    detail = owner.get("/process-types/complaint?lang=en").get_data(as_text=True)
    assert "new review name" in detail and "owner1" in detail and "latest" in detail
    rolled = owner.post("/process-types/complaint/latest", data={"version": "1", "reason": "back to the old name"})
    assert rolled.status_code == 302
    assert engine.get_process_type("complaint")["version"] == 1
    owner.post("/process-types/complaint/latest", data={"version": "2", "reason": "forward again"})
    preview = owner.post("/process-types/complaint/migrations",
                         data={"from_version": "1", "to_version": "2", "cases": "", "action": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and case["number"] in text and "confirm-migration" in text
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["version"] == 1
    moved = owner.post("/process-types/complaint/migrations",
                       data={"from_version": "1", "to_version": "2", "cases": str(case["id"]), "action": "move"})
    assert moved.status_code == 200
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["version"] == 2
    assert login("auditor1").get("/process-types/complaint").status_code == 200
    assert login("intake1").get("/process-types").status_code == 403


def test_each_page_and_call_is_one_transaction(login, client, h, engine):
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counted():
        seen = {"n": 0}

        def begun(_conn):
            seen["n"] += 1

        event.listen(engine.ctx.db.engine, "begin", begun)
        try:
            yield seen
        finally:
            event.remove(engine.ctx.db.engine, "begin", begun)

    admin, headers = login("admin1"), h("admin1")
    for request in (lambda: admin.get("/admin/users"), lambda: admin.get("/admin/users/intake1"),
                    lambda: admin.get("/admin/groups"), lambda: admin.get("/process-types"),
                    lambda: admin.get("/process-types/complaint"),
                    lambda: client.get(f"{API}/process-types/complaint/versions", headers=headers),
                    lambda: client.patch(f"{API}/users/intake2", json={"display_name": "受理员二"}, headers=headers),
                    lambda: client.put(f"{API}/groups/intake/members/quality2", headers=headers)):
        with counted() as seen:
            assert request().status_code == 200
        assert seen["n"] == 1, request.__code__.co_firstlineno
