"""Users and groups: admins create, change and disable them (API and command line); membership
changes reach the inbox at once; someone who leaves keeps no task they may no longer take."""
from __future__ import annotations

from tests.test_api_support import API, assert_error, h  # noqa: F401


def new_user(client, headers, username="clerk9", **fields):
    body = {"username": username, "password": "a-long-password", "display_name": "新受理员 Clerk 9",
            "email": "clerk9@example.org", "roles": ["staff"], "groups": ["intake"], **fields}
    return client.post(f"{API}/users", json=body, headers=headers)


def test_an_admin_creates_a_user_who_signs_in_and_sees_the_group_inbox(client, h, make_case):
    make_case()
    resp = new_user(client, h("admin1"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"username": "clerk9", "display_name": "新受理员 Clerk 9", "email": "clerk9@example.org",
                               "roles": ["staff"], "groups": ["intake"], "active": True, "timezone": "Asia/Shanghai",
                               "locale": "zh_CN", "second_factor": False}
    token = client.post(f"{API}/auth/token", json={"username": "clerk9", "password": "a-long-password"})
    assert token.status_code == 200
    inbox = client.get(f"{API}/tasks?scope=available",
                       headers={"Authorization": f"Bearer {token.get_json()['token']}"}).get_json()
    assert inbox["total"] == 1 and inbox["items"][0]["element_id"] == "review"
    assert_error(new_user(client, h("admin1")), 409)
    bad = new_user(client, h("admin1"), username="X", password="short", roles=["king"], groups=["nowhere"],
                   email="not-mail")
    assert_error(bad, 400, "username", "password", "roles", "groups", "email")
    assert_error(new_user(client, h("owner1"), username="clerk10"), 403)


def test_users_and_groups_are_listed_in_pages(client, h):
    first = client.get(f"{API}/users?limit=5", headers=h("admin1")).get_json()
    assert len(first["items"]) == 5 and first["next"] and first["total"] >= 25
    second = client.get(f"{API}/users?limit=5&cursor={first['next']}", headers=h("admin1")).get_json()
    names = [u["username"] for u in first["items"] + second["items"]]
    assert names == sorted(names) and len(set(names)) == 10
    groups = client.get(f"{API}/groups?limit=100", headers=h("admin1")).get_json()
    intake = next(g for g in groups["items"] if g["key"] == "intake")
    assert intake["members"] == ["intake1", "intake2"]
    assert_error(client.get(f"{API}/users", headers=h("auditor1")), 403)


def test_groups_have_chinese_and_english_names_and_members_join_at_once(client, h, engine, make_case):
    resp = client.post(f"{API}/groups", json={"key": "night_shift", "name_zh": "夜班", "name_en": "Night shift"},
                       headers=h("admin1"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"key": "night_shift", "name_zh": "夜班", "name_en": "Night shift", "members": [],
                               "member_count": 0}
    assert_error(client.post(f"{API}/groups", json={"key": "Bad Key"}, headers=h("admin1")),
                 400, "key", "name_zh", "name_en")
    make_case()
    # quality1 joins intake: the intake task is offered on the very next request
    before = client.get(f"{API}/tasks?scope=available", headers=h("quality1")).get_json()["total"]
    joined = client.put(f"{API}/groups/intake/members/quality1", headers=h("admin1"))
    assert joined.status_code == 200 and "quality1" in joined.get_json()["members"]
    after = client.get(f"{API}/tasks?scope=available", headers=h("quality1")).get_json()["total"]
    assert after == before + 1
    renamed = client.patch(f"{API}/groups/night_shift", json={"name_en": "Night desk"}, headers=h("admin1"))
    assert renamed.get_json()["name_en"] == "Night desk" and renamed.get_json()["name_zh"] == "夜班"
    assert_error(client.put(f"{API}/groups/nowhere/members/quality1", headers=h("admin1")), 404)
    assert_error(client.put(f"{API}/groups/intake/members/nobody", headers=h("admin1")), 404)


def test_someone_who_leaves_a_group_gives_its_tasks_back(client, h, engine, make_case):
    case = make_case()
    task = engine.get_case(engine.actor_for("admin1"), case["id"])["open_tasks"][0]
    assert client.post(f"{API}/tasks/{task['id']}/claim", headers=h("intake1")).status_code == 200
    left = client.delete(f"{API}/groups/intake/members/intake1", headers=h("admin1"))
    assert left.status_code == 200 and left.get_json()["members"] == ["intake2"]
    assert client.get(f"{API}/tasks?scope=mine", headers=h("intake1")).get_json()["total"] == 0
    free = client.get(f"{API}/tasks?scope=available", headers=h("intake2")).get_json()["items"]
    assert [t["id"] for t in free] == [task["id"]] and free[0]["assignee"] is None
    history = engine.case_history(engine.actor_for("auditor1"), case["id"])["items"]
    returned = [e for e in history if e["kind"] == "task_returned_to_group"]
    assert returned and returned[0]["actor"] == "admin1"
    assert_error(client.post(f"{API}/tasks/{task['id']}/claim", headers=h("intake1")), 404)


def test_the_last_member_leaving_sends_the_task_up(client, h, engine, make_case):
    case = make_case()
    for name in ("intake1", "intake2"):
        client.delete(f"{API}/groups/intake/members/{name}", headers=h("admin1"))
    # nobody is left to take the intake task: it goes to the complaint's escalation group at once
    task = engine.get_case(engine.actor_for("admin1"), case["id"])["open_tasks"][0]
    assert task["assignee"] is None and task["candidate_group"] == "supervisor"
    free = client.get(f"{API}/tasks?scope=available", headers=h("supervisor1")).get_json()["items"]
    assert task["id"] in [t["id"] for t in free]


def test_disabling_by_patch_ends_sessions_and_gives_held_tasks_back(client, h, engine, make_case):
    case = make_case()
    user_headers = h("intake1")
    task = engine.get_case(engine.actor_for("admin1"), case["id"])["open_tasks"][0]
    client.post(f"{API}/tasks/{task['id']}/claim", headers=user_headers)
    resp = client.patch(f"{API}/users/intake1", json={"active": False, "display_name": "离职 Left"},
                        headers=h("admin1"))
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert_error(client.get(f"{API}/tasks", headers=user_headers), 401)
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["open_tasks"][0]["assignee"] is None
    kinds = [e["kind"] for e in client.get(f"{API}/audit/events?limit=20", headers=h("auditor1")).get_json()["items"]]
    assert {"user_disabled", "user_changed", "task_returned_to_group"} <= set(kinds)
    again = client.patch(f"{API}/users/intake1", json={"active": True}, headers=h("admin1"))
    assert again.get_json()["active"] is True
    assert client.post(f"{API}/auth/token", json={"username": "intake1", "password": "demo-pass"}).status_code == 200


def test_role_changes_are_checked_and_audited(client, h):
    resp = client.patch(f"{API}/users/quality1", json={"roles": ["auditor"], "groups": ["dept_quality", "intake"]},
                        headers=h("admin1"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["roles"] == ["auditor", "staff"] and resp.get_json()["groups"] == ["dept_quality", "intake"]
    assert client.get(f"{API}/audit/events?kind=user_roles_changed", headers=h("auditor1")).get_json()["total"] == 1
    assert_error(client.patch(f"{API}/users/admin1", json={"roles": ["staff"]}, headers=h("admin1")), 422)
    assert_error(client.patch(f"{API}/users/quality1", json={"salary": 1}, headers=h("admin1")), 400, "salary")
    assert_error(client.patch(f"{API}/users/nobody", json={"active": False}, headers=h("admin1")), 404)


def test_the_command_line_creates_the_first_admin_and_manages_groups(runner, client, engine):
    created = runner.invoke(args=["users", "create", "chief", "--role", "admin", "--display-name", "主任 Chief",
                                  "--stdin"], input="first-admin-pass\n")
    assert created.exit_code == 0, created.output
    token = client.post(f"{API}/auth/token", json={"username": "chief", "password": "first-admin-pass"})
    assert token.status_code == 200
    me = client.get(f"{API}/users/chief", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert me.get_json()["roles"] == ["admin", "staff"]
    assert runner.invoke(args=["groups", "create", "hotline", "--name-zh", "热线", "--name-en", "Hotline"]).exit_code == 0
    assert runner.invoke(args=["groups", "add", "hotline", "chief"]).exit_code == 0
    listed = runner.invoke(args=["groups", "list"])
    assert "hotline" in listed.output and "热线" in listed.output and "chief" in listed.output
    assert runner.invoke(args=["groups", "remove", "hotline", "chief"]).exit_code == 0
    users = runner.invoke(args=["users", "list"])
    assert "chief" in users.output and "admin" in users.output
    refused = runner.invoke(args=["users", "create", "chief", "--stdin"], input="another-pass\n")
    assert refused.exit_code != 0 and "exists" in refused.output
