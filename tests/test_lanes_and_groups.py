"""Every human task reaches someone (issue 8, point 2): user, manual and plain tasks are inbox
tasks; lanes map to groups at deploy (`lane_groups`, the lane's `group` property, or a lane named
like a group); deploy refuses a lane that maps to no group; admins list and reassign tasks stuck
without an eligible holder."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path


from tests.test_api_support import API, assert_error, h, multipart_files  # noqa: F401

SPIFFARENA = Path(__file__).parent / "diagrams" / "spiffarena"


def finance_files(**replace) -> dict[str, bytes]:
    bpmn = (SPIFFARENA / "finance_review.bpmn").read_text(encoding="utf-8")
    for old, new in replace.items():
        bpmn = bpmn.replace(old, new)
    return {"finance_review.bpmn": bpmn.encode(), "intake.json": (SPIFFARENA / "intake.json").read_bytes(),
            "approve.json": (SPIFFARENA / "approve.json").read_bytes()}


def deploy(client, headers, files, key="finance_review", lane_groups=None, **extra):
    data = {"key": key, "name": "Finance review", "public": "true", "files": multipart_files(files), **extra}
    if lane_groups is not None:
        data["lane_groups"] = json.dumps(lane_groups)
    return client.post(f"{API}/process-types", data=data, headers=headers, content_type="multipart/form-data")


def file_case(client, key="finance_review", subject="Invoice 42 billed twice"):
    resp = client.post(f"{API}/public/reports", json={"type": key, "data": {"subject": subject}})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def available(client, headers) -> list[dict]:
    return client.get(f"{API}/tasks?scope=available", headers=headers).get_json()["items"]


def take_and_complete(client, headers, task_id, data=None):
    assert client.post(f"{API}/tasks/{task_id}/claim", headers=headers).status_code == 200
    resp = client.post(f"{API}/tasks/{task_id}/complete", json={"data": data or {}}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_spiffarena_diagram_runs_with_its_lanes_mapped_at_deploy(client, h, engine, clock):
    resp = deploy(client, h("owner1"), finance_files(), lane_groups={"Finance Team": "dept_billing"})
    assert resp.status_code == 201, resp.get_json()
    file_case(client)
    # the manual task (no form) is in the mapped group's inbox, named as drawn
    [manual] = available(client, h("billing1"))
    assert (manual["name"], manual["lane"], manual["candidate_group"]) == \
        ("Pull the paper file", "Finance Team", "dept_billing")
    assert available(client, h("followup1")) == []
    detail = client.get(f"{API}/tasks/{manual['id']}", headers=h("billing1")).get_json()
    assert detail["form"] is None  # completed with a confirm button
    take_and_complete(client, h("billing1"), manual["id"])
    # PT5M: the case waits five minutes, then the plain task goes to the lane's `group` property
    assert engine.fire_timers(clock.now() + timedelta(minutes=4)) == 0
    assert engine.fire_timers(clock.now() + timedelta(minutes=5, seconds=1)) == 1
    [call] = available(client, h("followup1"))
    assert (call["element_id"], call["candidate_group"]) == ("Activity_2tsk0cl", "followup")
    take_and_complete(client, h("followup1"), call["id"])
    [approve] = available(client, h("billing1"))
    done = take_and_complete(client, h("billing1"), approve["id"], {"approved": True})
    assert done["case_status"] == "closed"
    data = engine.get_case(engine.actor_for("auditor1"), approve["case_id"])["data"]  # the script's datetime, Decimal, re and json results
    assert data["answer_by"] == "2026-11-05" and data["refund"] == "25.00" and data["local"] == "09:00"
    assert data["reference"] == "INVOICE4" and json.loads(data["summary_json"])["refund"] == "25.00"


def test_a_timedelta_boundary_timer_fires_after_three_days(client, h, engine, clock):
    assert deploy(client, h("admin1"), finance_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    file_case(client)
    [manual] = available(client, h("billing1"))
    take_and_complete(client, h("billing1"), manual["id"])
    engine.fire_timers(clock.now() + timedelta(minutes=6))
    start = clock.now() + timedelta(minutes=6)
    assert engine.fire_timers(start + timedelta(days=2, hours=23)) == 0
    assert engine.fire_timers(start + timedelta(days=3, minutes=1)) == 1
    cases = client.get(f"{API}/cases", headers=h("auditor1")).get_json()["items"]
    assert cases[0]["status"] == "rejected" and available(client, h("followup1")) == []


def test_deploy_lists_every_unmapped_lane_and_unknown_group_at_once(client, h):
    files = finance_files(**{'<spiffworkflow:property name="group" value="followup" />':
                             '<spiffworkflow:property name="group" value="customer_care" />'})
    resp = deploy(client, h("owner1"), files, lane_groups={"Finance Tean": "dept_billing"})
    body = assert_error(resp, 400)
    problems = {(p["element"], p["name"]): p["message"] for p in body["details"]}
    assert "maps to no group" in problems[("Lane_0f3k2ab", "Finance Team")]
    assert "'customer_care', which does not exist" in problems[("Lane_1rv8w0c", "Customer Care")]
    assert "which the diagram does not have" in problems[(None, "Finance Tean")]
    assert all(p["file"] == "finance_review.bpmn" and p["line"] for p in body["details"] if p["element"])
    resp = deploy(client, h("owner1"), finance_files(), lane_groups={"Finance Team": "finance"})
    assert "'finance', which does not exist" in assert_error(resp, 400)["details"][0]["message"]
    assert client.get(f"{API}/process-types/finance_review", headers=h("owner1")).status_code == 404


def test_lane_groups_must_be_a_json_object_of_names(client, h):
    for bad in ("[1]", "{\"Finance Team\": 3}", "not json"):
        data = {"key": "finance_review", "name": "F", "files": multipart_files(finance_files()), "lane_groups": bad}
        resp = client.post(f"{API}/process-types", data=data, headers=h("owner1"), content_type="multipart/form-data")
        assert_error(resp, 400, "lane_groups")


def test_the_cli_maps_lanes(runner, tmp_path, engine):
    paths = []
    for name, content in finance_files().items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    result = runner.invoke(args=["deploy", *paths, "--key", "finance_review", "--name", "Finance review"])
    assert result.exit_code == 1 and "maps to no group" in result.output
    result = runner.invoke(args=["deploy", *paths, "--key", "finance_review", "--name", "Finance review",
                                 "--lane", "Finance Team=dept_billing"])
    assert result.exit_code == 0, result.output
    assert "deployed finance_review version 1" in result.output


def test_the_shipped_complaint_diagram_redeploys_with_its_lanes_checked(engine):
    """The department lane names its case variable (`groupVariable`); the others are groups."""
    from engine.diagrams.definitions import bundled_files

    files = bundled_files(engine.ctx.settings.processes_dir, "complaint.bpmn", "complaint")
    deployed = engine.deploy(engine.actor_for("owner1"), "complaint", "Complaint", files, True)
    assert deployed["version"] == 2


# --- stuck tasks ---------------------------------------------------------------------------------

def stuck_files() -> dict[str, bytes]:
    """The finance review whose escalation group is its own lane's: nobody else to go up to."""
    return finance_files(**{'<bpmn:laneSet id="LaneSet_1xq0t8v">': '''<bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="escalationGroup" value="dept_billing" />
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1xq0t8v">'''})


def test_a_task_whose_group_is_emptied_is_listed_for_admins_and_reassigned(client, h, engine):
    assert deploy(client, h("admin1"), stuck_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    file_case(client)
    [manual] = available(client, h("billing1"))
    assert client.post(f"{API}/tasks/{manual['id']}/claim", headers=h("billing1")).status_code == 200
    assert client.get(f"{API}/tasks/stuck", headers=h("admin1")).get_json()["items"] == []
    engine.disable_user(engine.actor_for("admin1"), "billing1")  # the only member, holding it

    page = client.get(f"{API}/tasks/stuck", headers=h("admin1")).get_json()
    assert page["total"] == 1
    [stuck] = page["items"]
    assert (stuck["id"], stuck["assignee"], stuck["lane"]) == (manual["id"], None, "Finance Team")
    assert stuck["stuck_since"]
    assert_error(client.get(f"{API}/tasks/stuck", headers=h("supervisor1")), 403)

    url = f"{API}/tasks/{manual['id']}/reassign"
    assert_error(client.post(url, json={"to_group": "dept_billing", "reason": "billing is empty"},
                             headers=h("admin1")), 422, "to_group")
    assert_error(client.post(url, json={"to_group": "nobody_here", "reason": "x" * 3}, headers=h("admin1")), 400,
                 "to_group")
    assert_error(client.post(url, json={"to_group": "dept_quality"}, headers=h("admin1")), 400, "reason")
    assert_error(client.post(url, json={"to_group": "dept_quality", "reason": "ok"}, headers=h("quality1")), 403)
    resp = client.post(url, json={"to_group": "dept_quality", "reason": "billing1 has left"}, headers=h("admin1"))
    assert resp.status_code == 200, resp.get_json()
    assert client.get(f"{API}/tasks/stuck", headers=h("admin1")).get_json()["total"] == 0
    [mine] = available(client, h("quality1"))
    take_and_complete(client, h("quality1"), mine["id"])
    history = engine.case_history(engine.actor_for("auditor1"), mine["case_id"], limit=100)["items"]
    reassigned = next(e for e in history if e["kind"] == "task_reassigned")
    assert reassigned["actor"] == "admin1" and reassigned["detail"]["reason"] == "billing1 has left"
    assert reassigned["detail"]["to_group"] == "dept_quality"


def test_admins_reassign_to_one_user_who_then_holds_it(client, h, engine):
    assert deploy(client, h("admin1"), stuck_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    engine.disable_user(engine.actor_for("admin1"), "billing1")
    file_case(client)
    file_case(client, subject="second")
    page = client.get(f"{API}/tasks/stuck?limit=1", headers=h("admin1")).get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next"]
    second = client.get(f"{API}/tasks/stuck?limit=1&cursor={page['next']}", headers=h("admin1")).get_json()
    assert second["items"][0]["id"] != page["items"][0]["id"] and second["next"] is None
    task_id = page["items"][0]["id"]
    assert_error(client.post(f"{API}/tasks/{task_id}/reassign", json={"to_user": "billing1", "reason": "back"},
                             headers=h("admin1")), 400, "to_user")
    resp = client.post(f"{API}/tasks/{task_id}/reassign", json={"to_user": "service1", "reason": "covers billing"},
                       headers=h("admin1"))
    assert resp.status_code == 200 and resp.get_json()["assignee"] == "service1"
    [held] = client.get(f"{API}/tasks?scope=mine", headers=h("service1")).get_json()["items"]
    assert held["id"] == task_id
    done = client.post(f"{API}/tasks/{task_id}/complete", json={"data": {}}, headers=h("service1"))
    assert done.status_code == 200, done.get_json()


def test_the_admin_page_lists_stuck_tasks_and_reassigns(client, h, engine, login):
    assert deploy(client, h("admin1"), stuck_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    engine.disable_user(engine.actor_for("admin1"), "billing1")
    file_case(client)
    admin = login("admin1")
    page = admin.get("/admin/stuck-tasks?lang=en")
    assert page.status_code == 200 and "Pull the paper file" in page.get_data(as_text=True)
    task_id = client.get(f"{API}/tasks/stuck", headers=h("admin1")).get_json()["items"][0]["id"]
    bad = admin.post(f"/admin/stuck-tasks/{task_id}/reassign", data={"kind": "group", "to": "dept_billing",
                                                                     "reason": "try"})
    assert bad.status_code == 422 and "nobody eligible" in bad.get_data(as_text=True)
    ok = admin.post(f"/admin/stuck-tasks/{task_id}/reassign", data={"kind": "user", "to": "quality1",
                                                                    "reason": "quality covers"})
    assert ok.status_code in (302, 303)
    assert f'id="task-{task_id}"' not in admin.get("/admin/stuck-tasks?lang=en").get_data(as_text=True)
    assert login("quality1").get("/admin/stuck-tasks").status_code == 403


def test_a_manual_task_is_done_in_the_browser_with_a_confirm_button(client, h, login):
    assert deploy(client, h("owner1"), finance_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    file_case(client)
    [manual] = available(client, h("billing1"))
    browser = login("billing1")
    assert browser.post(f"/tasks/{manual['id']}/claim").status_code in (302, 303)
    page = browser.get(f"/tasks/{manual['id']}?lang=en").get_data(as_text=True)
    assert "Pull the paper file" in page and "Complete task" in page
    done = browser.post(f"/tasks/{manual['id']}/complete", data={})
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:300]
    assert client.get(f"{API}/tasks/{manual['id']}", headers=h("billing1")).get_json()["state"] == "completed"


def test_the_stuck_tasks_page_speaks_chinese(client, h, engine, login):
    assert deploy(client, h("admin1"), stuck_files(), lane_groups={"Finance Team": "dept_billing"}).status_code == 201
    engine.disable_user(engine.actor_for("admin1"), "billing1")
    file_case(client)
    page = login("admin1").get("/admin/stuck-tasks?lang=zh_CN").get_data(as_text=True)
    assert "无人可办的任务" in page and "重新指派" in page
