"""The inbox over the API: scopes, claims, hand-backs and completion with the conflicts and refusals."""
from __future__ import annotations

from tests.test_api_support import API, assert_error, get_case, h, open_task  # noqa: F401

REVIEW_ACCEPT = {"decision": "accept", "reason": "符合受理条件", "complex": False}


def claim(client, headers, task_id):
    return client.post(f"{API}/tasks/{task_id}/claim", headers=headers)


def complete(client, headers, task_id, data):
    return client.post(f"{API}/tasks/{task_id}/complete", json={"data": data}, headers=headers)


def test_available_and_mine(client, h, make_case):
    case = make_case("complaint", by="intake1")
    available = client.get(f"{API}/tasks?scope=available", headers=h("intake2")).get_json()["items"]
    assert [(t["case_id"], t["element_id"]) for t in available] == [(case["id"], "review")]
    task = available[0]
    assert task["assignee"] is None and task["lane"] and task["case_number"] == case["number"]
    assert client.get(f"{API}/tasks?scope=mine", headers=h("intake2")).get_json()["items"] == []
    assert claim(client, h("intake2"), task["id"]).status_code == 200
    mine = client.get(f"{API}/tasks", headers=h("intake2")).get_json()["items"]
    assert [t["id"] for t in mine] == [task["id"]] and mine[0]["assignee"] == "intake2"
    assert client.get(f"{API}/tasks?scope=available", headers=h("intake1")).get_json()["items"] == []
    assert client.get(f"{API}/tasks?scope=available", headers=h("quality1")).get_json()["items"] == []


def test_get_one_task(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    resp = client.get(f"{API}/tasks/{task['id']}", headers=h("intake2"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == task["id"] and body["form"]["type"] == "object" and body["may_claim"] is True
    assert_error(client.get(f"{API}/tasks/{task['id']}", headers=h("clerk1")), 404)


def test_a_second_claim_is_409(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    first = claim(client, h("intake1"), task["id"])
    assert first.status_code == 200 and first.get_json()["assignee"] == "intake1"
    body = assert_error(claim(client, h("intake2"), task["id"]), 409)
    assert body["error"] == "conflict"
    assert claim(client, h("intake1"), task["id"]).status_code == 200  # claiming one's own task again is harmless


def test_complete_by_someone_not_holding_is_409(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    assert_error(complete(client, h("intake2"), task["id"], REVIEW_ACCEPT), 409)  # nobody holds it yet
    assert claim(client, h("intake1"), task["id"]).status_code == 200
    assert_error(complete(client, h("intake2"), task["id"], REVIEW_ACCEPT), 409)
    assert open_task(client, h("intake1"), case["id"], "review")["assignee"] == "intake1"


def test_completing_twice_is_409(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    claim(client, h("intake1"), task["id"])
    assert complete(client, h("intake1"), task["id"], REVIEW_ACCEPT).status_code == 200
    assert_error(complete(client, h("intake1"), task["id"], REVIEW_ACCEPT), 409)
    assert_error(claim(client, h("intake2"), task["id"]), 409)


def test_a_non_candidate_claim_is_403(client, h, make_case):
    case = make_case("complaint", by="intake1")
    review = open_task(client, h("intake1"), case["id"], "review")
    assert_error(claim(client, h("auditor1"), review["id"]), 403)  # sees every case, takes no task
    claim(client, h("intake1"), review["id"])
    assert complete(client, h("intake1"), review["id"], REVIEW_ACCEPT).status_code == 200
    investigate = open_task(client, h("intake1"), case["id"], "investigate")
    assert_error(claim(client, h("intake2"), investigate["id"]), 403)
    assert claim(client, h("quality2"), investigate["id"]).status_code == 200


def test_a_recused_employee_neither_sees_nor_takes_the_case(client, h, make_case):
    case = make_case("complaint", by="intake1", accused_staff="quality1")
    review = open_task(client, h("intake1"), case["id"], "review")
    claim(client, h("intake1"), review["id"])
    complete(client, h("intake1"), review["id"], REVIEW_ACCEPT)
    assert client.get(f"{API}/tasks?scope=available", headers=h("quality1")).get_json()["items"] == []
    investigate = open_task(client, h("intake1"), case["id"], "investigate")
    assert claim(client, h("quality1"), investigate["id"]).status_code in (403, 404)
    assert_error(client.get(f"{API}/cases/{case['id']}", headers=h("quality1")), 404)
    assert [t["id"] for t in client.get(f"{API}/tasks?scope=available", headers=h("quality2")).get_json()["items"]] == [
        investigate["id"]]


def test_invalid_form_data_is_400_and_changes_nothing(client, h, make_case):
    case = make_case("complaint", by="intake1")
    headers = h("intake1")
    task = open_task(client, headers, case["id"], "review")
    claim(client, headers, task["id"])
    before = get_case(client, headers, case["id"])
    history_before = client.get(f"{API}/cases/{case['id']}/history?limit=100", headers=headers).get_json()["items"]
    resp = complete(client, headers, task["id"], {"decision": "maybe", "complex": "very"})
    assert_error(resp, 400, "decision", "complex")
    after = get_case(client, headers, case["id"])
    for key in ("status", "data", "deadlines", "open_tasks"):
        assert after[key] == before[key], key
    assert client.get(f"{API}/cases/{case['id']}/history?limit=100", headers=headers).get_json()["items"] == history_before
    assert client.post(f"{API}/tasks/{task['id']}/unclaim", headers=headers).status_code == 200
    assert claim(client, h("intake2"), task["id"]).status_code == 200  # still open and claimable
    assert complete(client, h("intake2"), task["id"], REVIEW_ACCEPT).status_code == 200


def test_a_required_field_missing_is_listed(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    claim(client, h("intake1"), task["id"])
    assert_error(complete(client, h("intake1"), task["id"], {}), 400, "decision")
    assert_error(client.post(f"{API}/tasks/{task['id']}/complete", json={}, headers=h("intake1")), 400, "decision")


def test_unclaim_by_holder_or_supervisor_only(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    claim(client, h("intake1"), task["id"])
    assert_error(client.post(f"{API}/tasks/{task['id']}/unclaim", headers=h("intake2")), 403)
    resp = client.post(f"{API}/tasks/{task['id']}/unclaim", headers=h("intake1"))
    assert resp.status_code == 200 and resp.get_json()["assignee"] is None
    assert claim(client, h("intake2"), task["id"]).status_code == 200


def test_complete_answers_case_status_and_next_tasks(client, h, make_case):
    case = make_case("complaint", by="intake1")
    task = open_task(client, h("intake1"), case["id"], "review")
    claim(client, h("intake1"), task["id"])
    body = complete(client, h("intake1"), task["id"], REVIEW_ACCEPT).get_json()
    assert body["case_status"] == "open"
    assert [t["element_id"] for t in body["next_tasks"]] == ["investigate"]
    assert body["next_tasks"][0]["candidate_group"] == "dept_quality"
