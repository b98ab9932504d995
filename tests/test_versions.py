"""Versions of a type: every deploy is kept with who, when, comment and hash; new cases start on
the latest pointer, which owners roll back and forward; running cases move only by an explicit,
previewed, audited batch; a different process replaces a type only when confirmed."""
from __future__ import annotations

import hashlib

from engine.diagrams.definitions import bundled_files, content_hash
from engine.context import PROCESSES_DIR
from tests.test_api_support import API, assert_error, h, multipart_files  # noqa: F401

REVIEW_NAME = 'name="受理审查 / Review"'


def complaint_files(**replacements) -> dict[str, bytes]:
    files = bundled_files(PROCESSES_DIR, "complaint.bpmn", "complaint")
    text = files["complaint.bpmn"].decode()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    files["complaint.bpmn"] = text.encode()
    return files


def deploy(client, headers, files, key="complaint", name="客户投诉 / Customer complaint", **extra):
    data = {"key": key, "name": name, "public": "true", "files": multipart_files(files), **extra}
    return client.post(f"{API}/process-types", data=data, headers=headers, content_type="multipart/form-data")


def renamed_review():
    return complaint_files(**{REVIEW_NAME: 'name="受理审查（新） / Review v2"'})


def test_each_deploy_is_a_version_with_who_when_comment_and_hash(client, h):
    files = renamed_review()
    resp = deploy(client, h("owner1"), files, comment="clearer name for the review step")
    assert resp.status_code == 201, resp.get_json()
    listed = client.get(f"{API}/process-types/complaint/versions", headers=h("auditor1")).get_json()
    assert [v["version"] for v in listed["items"]] == [2, 1] and listed["total"] == 2
    v2, v1 = listed["items"]
    assert v2["deployed_by"] == "owner1" and v2["comment"] == "clearer name for the review step"
    assert v2["latest"] is True and v1["latest"] is False and v1["deployed_by"] == "system"
    assert v2["sha256"] == content_hash(files) and len(v1["sha256"]) == 64 and v1["sha256"] != v2["sha256"]
    assert v2["deployed_at"].endswith("+00:00") or "+" in v2["deployed_at"]

    one = client.get(f"{API}/process-types/complaint/versions/2", headers=h("owner1")).get_json()
    assert one["files"]["complaint.bpmn"] == files["complaint.bpmn"].decode()
    assert "review.json" in one["files"] and one["comment"] == v2["comment"]
    old = client.get(f"{API}/process-types/complaint/versions/1", headers=h("owner1")).get_json()
    assert REVIEW_NAME in old["files"]["complaint.bpmn"]  # v1 stays as deployed
    assert hashlib.sha256(b"x").hexdigest() != one["sha256"]


def test_version_reads_are_for_owners_admins_and_auditors(client, h):
    assert_error(client.get(f"{API}/process-types/complaint/versions", headers=h("intake1")), 403)
    assert_error(client.get(f"{API}/process-types/complaint/versions/9", headers=h("admin1")), 404)
    assert_error(client.get(f"{API}/process-types/nope/versions", headers=h("admin1")), 404)
    assert_error(client.post(f"{API}/process-types/complaint/latest", json={"version": 1, "reason": "x y"},
                             headers=h("auditor1")), 403)


def test_new_cases_start_on_the_latest_and_running_ones_stay(client, h, engine, make_case):
    old_case = make_case()
    assert deploy(client, h("owner1"), renamed_review()).status_code == 201
    new_case = make_case()
    admin = engine.actor_for("admin1")
    assert engine.get_case(admin, old_case["id"])["version"] == 1
    assert engine.get_case(admin, new_case["id"])["version"] == 2
    names = {c: engine.get_case(admin, c)["open_tasks"][0]["name"] for c in (old_case["id"], new_case["id"])}
    assert names == {old_case["id"]: "受理审查 / Review", new_case["id"]: "受理审查（新） / Review v2"}


def test_rolling_the_latest_pointer_back_and_forward_is_audited(client, h, engine, make_case):
    assert deploy(client, h("owner1"), renamed_review()).status_code == 201
    resp = client.post(f"{API}/process-types/complaint/latest", json={"version": 1, "reason": "v2 confuses intake"},
                       headers=h("owner1"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"key": "complaint", "version": 1, "previous": 2, "changed": True}
    assert client.get(f"{API}/process-types/complaint", headers=h("intake1")).get_json()["version"] == 1
    case = make_case()
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["version"] == 1
    events = client.get(f"{API}/audit/events?kind=process_latest_moved", headers=h("auditor1")).get_json()["items"]
    assert events and events[0]["actor"] == "owner1"
    assert "v2 confuses intake" in str(events[0]["detail"])
    assert_error(client.post(f"{API}/process-types/complaint/latest", json={"version": 2},
                             headers=h("owner1")), 400, "reason")
    assert_error(client.post(f"{API}/process-types/complaint/latest", json={"version": 7, "reason": "forward"},
                             headers=h("owner1")), 404)
    forward = client.post(f"{API}/process-types/complaint/latest", json={"version": 2, "reason": "fixed the form"},
                          headers=h("admin1"))
    assert forward.get_json()["version"] == 2


def test_a_dry_run_says_which_cases_can_move_and_the_move_carries_them(client, h, engine, make_case, work):
    admin = engine.actor_for("admin1")
    waiting = make_case()
    ended = make_case()
    work(ended["id"], "review", "intake1", decision="transfer", transfer_to="市场监管局", reason="不属于本单位", complex=False)
    assert engine.get_case(admin, ended["id"])["status"] == "transferred"
    assert deploy(client, h("owner1"), renamed_review()).status_code == 201
    url = f"{API}/process-types/complaint/migrations"
    preview = client.post(url, json={"from_version": 1, "to_version": 2, "cases": [waiting["id"], ended["id"]],
                                     "dry_run": True}, headers=h("owner1"))
    assert preview.status_code == 200, preview.get_json()
    by_case = {i["case_id"]: i for i in preview.get_json()["items"]}
    assert by_case[waiting["id"]]["movable"] is True and by_case[waiting["id"]]["reason"] is None
    assert by_case[ended["id"]]["movable"] is False and "ended" in by_case[ended["id"]]["reason"]
    assert engine.get_case(admin, waiting["id"])["version"] == 1  # a dry run changes nothing

    moved = client.post(url, json={"from_version": 1, "to_version": 2, "cases": "all", "dry_run": False},
                        headers=h("owner1")).get_json()
    assert [i["case_id"] for i in moved["items"]] == [waiting["id"]] and moved["moved"] == 1
    case = engine.get_case(admin, waiting["id"])
    assert case["version"] == 2
    assert case["open_tasks"][0]["name"] == "受理审查（新） / Review v2"
    history = [e["kind"] for e in engine.case_history(engine.actor_for("auditor1"), waiting["id"])["items"]]
    assert "case_migrated" in history
    # the moved case runs on under the new version
    result = work(waiting["id"], "review", "intake1", decision="accept", reason="受理", complex=False)
    assert result["case_status"] == "open" and result["next_tasks"]
    assert engine.verify_audit()["ok"]


def test_a_case_waiting_on_a_step_whose_kind_changed_cannot_move(client, h, engine, make_case):
    case = make_case()
    files = complaint_files(**{'<bpmn:userTask id="review" name="受理审查 / Review">':
                               '<bpmn:manualTask id="review" name="受理审查 / Review">'})
    text = files["complaint.bpmn"].decode()
    start = text.index('<bpmn:manualTask id="review"')
    end = text.index("</bpmn:userTask>", start)
    files["complaint.bpmn"] = (text[:end] + "</bpmn:manualTask>" + text[end + len("</bpmn:userTask>"):]).encode()
    assert deploy(client, h("owner1"), files).status_code == 201, deploy
    preview = client.post(f"{API}/process-types/complaint/migrations",
                          json={"from_version": 1, "to_version": 2, "cases": [case["id"]], "dry_run": False},
                          headers=h("owner1")).get_json()
    item = preview["items"][0]
    assert item["movable"] is False and "review" in item["reason"] and "ManualTask" in item["reason"]
    assert engine.get_case(engine.actor_for("admin1"), case["id"])["version"] == 1


def test_migration_input_is_checked(client, h):
    url = f"{API}/process-types/complaint/migrations"
    assert_error(client.post(url, json={"from_version": 1, "to_version": 1, "cases": "all", "dry_run": True},
                             headers=h("owner1")), 400, "to_version")
    assert_error(client.post(url, json={"from_version": "1", "cases": "every", "dry_run": "yes"},
                             headers=h("owner1")), 400, "from_version", "to_version")
    assert_error(client.post(url, json={"from_version": 1, "to_version": 5, "cases": "all", "dry_run": True},
                             headers=h("owner1")), 404)
    assert_error(client.post(url, json={"from_version": 1, "to_version": 1, "cases": "all", "dry_run": True},
                             headers=h("intake1")), 403)


def test_replacing_a_type_with_a_different_process_needs_confirmation(client, h, engine):
    from tests.test_api_support import plain_files

    other = plain_files(key="complaint")
    refused = deploy(client, h("admin1"), other)
    body = assert_error(refused, 409)
    assert body["error"] == "different_process"
    assert body["details"]["steps_added"] and "review" in body["details"]["steps_removed"]
    assert client.get(f"{API}/process-types/complaint", headers=h("intake1")).get_json()["version"] == 1
    confirmed = deploy(client, h("admin1"), other, confirm_replace="1", comment="a new intake process")
    assert confirmed.status_code == 201, confirmed.get_json()
    assert confirmed.get_json()["version"] == 2


def test_a_moved_case_keeps_its_claimed_task_and_its_waiting_timers(client, h, engine, make_case, work):
    from sqlalchemy import select

    from engine.models import Timer

    def timers(case_id):
        with engine.ctx.db.transaction() as session:
            return sorted((t.element_id, t.due_at) for t in session.scalars(
                select(Timer).where(Timer.case_id == case_id, Timer.fired_at.is_(None))))

    case = make_case()
    work(case["id"], "review", "intake1", decision="accept", reason="受理", complex=False)
    admin = engine.actor_for("admin1")
    task = next(t for t in engine.get_case(admin, case["id"])["open_tasks"] if t["element_id"] == "investigate")
    holder = engine.actor_for("quality1")
    engine.claim_task(holder, task["id"])
    before = timers(case["id"])
    assert before  # the reminder and the due time of the investigation
    files = complaint_files(**{'name="调查处理 / Investigate"': 'name="调查核实 / Investigate"'})
    assert deploy(client, h("owner1"), files, comment="rename investigate").status_code == 201
    moved = client.post(f"{API}/process-types/complaint/migrations",
                        json={"from_version": 1, "to_version": 2, "cases": [case["id"]], "dry_run": False},
                        headers=h("owner1")).get_json()
    assert moved["moved"] == 1, moved
    after = engine.get_case(admin, case["id"])
    open_task = next(t for t in after["open_tasks"] if t["element_id"] == "investigate")
    assert open_task["id"] == task["id"] and open_task["assignee"] == "quality1"
    assert open_task["name"] == "调查核实 / Investigate"
    assert timers(case["id"]) == before
    result = engine.complete_task(holder, task["id"], {"root_cause": "包装线封口温度过低", "responsibility": "company",
                                                       "remedy": "exchange", "remedy_detail": "更换两条卷烟"})
    assert [t["element_id"] for t in result["next_tasks"]] == ["approve"]  # on along the new version


def test_the_command_line_deploys_a_version_with_its_comment(runner, tmp_path, client, h):
    paths = []
    for name, content in renamed_review().items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(str(path))
    result = runner.invoke(args=["deploy", *paths, "--key", "complaint", "--name", "客户投诉", "--comment", "from the CLI"])
    assert result.exit_code == 0, result.output
    listed = client.get(f"{API}/process-types/complaint/versions", headers=h("owner1")).get_json()["items"]
    assert listed[0]["version"] == 2 and listed[0]["comment"] == "from the CLI" and listed[0]["deployed_by"] == "cli"


def test_a_case_waiting_on_a_step_the_target_removed_cannot_move(client, h, engine):
    from tests.test_api_support import plain_files

    assert deploy(client, h("owner1"), plain_files(), key="plain", name="Plain").status_code == 201
    filed = client.post(f"{API}/public/reports", json={"type": "plain", "data": {"subject": "hello"}})
    assert filed.status_code == 201
    files = plain_files()
    text = files["plain.bpmn"].decode()
    start, end = text.index('    <bpmn:userTask id="check"'), text.index("</bpmn:userTask>") + len("</bpmn:userTask>\n")
    text = (text[:start] + text[end:]).replace("<bpmn:flowNodeRef>check</bpmn:flowNodeRef>", "")
    text = text.replace('targetRef="check"', 'targetRef="end_closed"').replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end_closed" />', "").replace(
        '<bpmn:incoming>f3</bpmn:incoming>', '<bpmn:incoming>f2</bpmn:incoming>')
    files["plain.bpmn"] = text.encode()
    assert deploy(client, h("owner1"), files, key="plain", name="Plain").status_code == 201
    preview = client.post(f"{API}/process-types/plain/migrations",
                          json={"from_version": 1, "to_version": 2, "cases": "all", "dry_run": True},
                          headers=h("owner1")).get_json()
    (item,) = preview["items"]
    assert item["movable"] is False
    assert item["reason"] == "its active step check (Check) does not exist in version 2"
