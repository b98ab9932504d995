"""Handing work on (issue 11) through the API: 转办, 委派, 退回, 抄送 — with recusal, need-to-know
on confidential reports, and two staff acting on one task at once."""
from __future__ import annotations

from sqlalchemy import select

from engine.errors import Conflict
from engine.models import AuditEvent, Notification
from tests.test_api_support import API, assert_error, file_case, get_case, h, open_task, work  # noqa: F401
from tests.test_concurrency import _race

REVIEW_ACCEPT = {"decision": "accept", "reason": "符合受理条件", "complex": False}
INVESTIGATED = {"root_cause": "封口温度过低", "responsibility": "company", "remedy": "exchange",
                "remedy_detail": "更换两条卷烟"}


def post(client, headers, path, body):
    return client.post(f"{API}{path}", json=body, headers=headers)


def kinds(engine, case_id):
    with engine.ctx.db.transaction() as session:
        return [e.kind for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                                .order_by(AuditEvent.seq))]


def notices(engine, username):
    with engine.ctx.db.transaction() as session:
        return [n.subject for n in session.scalars(select(Notification).where(Notification.username == username))]


def held_review(client, h, holder="intake2"):
    case = file_case(client, h("intake1"))
    task = open_task(client, h(holder), case["id"], "review")
    assert post(client, h(holder), f"/tasks/{task['id']}/claim", {}).status_code == 200
    return case, task


# --- 转办 ------------------------------------------------------------------------------------
def test_transfer_makes_the_task_the_colleagues(client, h, engine):
    case, task = held_review(client, h)
    resp = post(client, h("intake2"), f"/tasks/{task['id']}/transfer", {"to": "intake1", "reason": "我明天休假"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["assignee"] == "intake1"
    assert open_task(client, h("intake1"), case["id"], "review")["assignee"] == "intake1"
    assert "task_transferred" in kinds(engine, case["id"])
    assert any("转办" in s for s in notices(engine, "intake1"))
    # it is theirs now: the old holder can neither complete nor transfer it
    assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT}), 409)
    assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/transfer", {"to": "intake2", "reason": "还我"}), 403)
    done = post(client, h("intake1"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT})
    assert done.status_code == 200


def test_transfer_refuses_people_outside_the_case_and_bad_input(client, h):
    case, task = held_review(client, h)
    path = f"/tasks/{task['id']}/transfer"
    assert_error(post(client, h("intake2"), path, {"to": "clerk1", "reason": "转给招标"}), 403, "to")
    assert_error(post(client, h("intake2"), path, {"to": "nobody-such", "reason": "转办"}), 403, "to")
    assert_error(post(client, h("intake2"), path, {"to": "intake1"}), 400, "reason")
    assert_error(post(client, h("intake2"), path, {"to": "intake2", "reason": "自己"}), 400, "to")
    assert_error(post(client, h("intake1"), path, {"to": "intake1", "reason": "不是我的"}), 403)  # not the holder


def test_a_recused_colleague_is_never_offered_nor_accepted(client, h, engine):
    case = file_case(client, h("intake1"))
    task = open_task(client, h("intake2"), case["id"], "review")
    assert post(client, h("intake1"), f"/tasks/{task['id']}/recuse", {"reason": "投诉人是我亲属"}).status_code == 200
    assert post(client, h("intake2"), f"/tasks/{task['id']}/claim", {}).status_code == 200
    body = assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/transfer",
                             {"to": "intake1", "reason": "请你办"}), 403, "to")
    assert "recused" in body["message"]
    assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/delegate", {"to": "intake1", "reason": "帮忙"}),
                 403, "to")
    page = engine.task_page(engine.actor_for("intake2"), task["id"])
    assert "intake1" not in [p["username"] for p in page["operations"]["people"]]
    # the recused colleague may not act on the task either
    assert_error(post(client, h("intake1"), f"/tasks/{task['id']}/transfer", {"to": "intake2", "reason": "转办"}), 403)


def test_a_supervisor_may_transfer_a_held_task(client, h, engine):
    case, task = held_review(client, h)
    resp = post(client, h("supervisor1"), f"/tasks/{task['id']}/transfer", {"to": "intake1", "reason": "工作量平衡"})
    assert resp.status_code == 200 and resp.get_json()["assignee"] == "intake1"


def test_two_staff_transferring_one_task_one_wins(client, h, engine):
    case, task = held_review(client, h)
    supervisor, admin = engine.actor_for("supervisor1"), engine.actor_for("admin1")
    results = _race([lambda: engine.transfer_task(supervisor, task["id"], "intake1", "平衡工作量"),
                     lambda: engine.transfer_task(admin, task["id"], "intake1", "平衡工作量")])
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    assert kinds(engine, case["id"]).count("task_transferred") == 1


def test_a_hand_back_racing_a_transfer_leaves_one_story(client, h, engine):
    case, task = held_review(client, h)
    holder = engine.actor_for("intake2")
    results = _race([lambda: engine.transfer_task(holder, task["id"], "intake1", "我休假"),
                     lambda: engine.unclaim_task(holder, task["id"])])
    assert sum(isinstance(r, dict) for r in results) == 1, results
    events = kinds(engine, case["id"])
    assert ("task_transferred" in events) != ("task_unclaimed" in events)
    holder_now = open_task(client, h("intake1"), case["id"], "review")["assignee"]
    assert holder_now == ("intake1" if "task_transferred" in events else None)
    assert engine.verify_audit()["ok"]


# --- 委派 ------------------------------------------------------------------------------------
def test_delegated_work_comes_back_to_the_holder_to_complete(client, h, engine):
    case, task = held_review(client, h)
    resp = post(client, h("intake2"), f"/tasks/{task['id']}/delegate", {"to": "intake1", "reason": "请核实电话"})
    assert resp.status_code == 200 and resp.get_json()["assignee"] == "intake1"
    assert resp.get_json()["delegated_by"] == "intake2"
    body = assert_error(post(client, h("intake1"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT}), 409)
    assert "delegated" in body["message"]
    assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/hand-back", {"note": "x"}), 403)
    back = post(client, h("intake1"), f"/tasks/{task['id']}/hand-back", {"note": "电话已核实"})
    assert back.status_code == 200 and back.get_json()["assignee"] == "intake2"
    assert post(client, h("intake2"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT}).status_code == 200
    assert {"task_delegated", "task_delegation_returned"} <= set(kinds(engine, case["id"]))


# --- 退回 ------------------------------------------------------------------------------------
def at_approval(client, h):
    case = file_case(client, h("intake1"), category="quality")
    work(client, h, case["id"], "review", "intake2", **REVIEW_ACCEPT)
    work(client, h, case["id"], "investigate", "quality1", **INVESTIGATED)
    approve = open_task(client, h("supervisor1"), case["id"], "approve")
    assert post(client, h("supervisor1"), f"/tasks/{approve['id']}/claim", {}).status_code == 200
    return case, approve


def test_send_back_returns_the_case_to_the_investigation(client, h, engine):
    case, approve = at_approval(client, h)
    before = get_case(client, h("auditor1"), case["id"])
    resp = post(client, h("supervisor1"), f"/tasks/{approve['id']}/send-back",
                {"to": "investigate", "reason": "赔偿依据不足，请补充"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["sent_back_to"] == "investigate"
    after = get_case(client, h("auditor1"), case["id"])
    assert [t["element_id"] for t in after["open_tasks"]] == ["investigate"]
    again = after["open_tasks"][0]
    assert again["assignee"] == "quality1"  # whoever did it before has it back
    assert again["due_at"] == next(t for t in before["open_tasks"] if t["element_id"] == "approve")["due_at"]
    assert after["deadlines"] == before["deadlines"]  # the case's period keeps running
    assert_error(post(client, h("supervisor1"), f"/tasks/{approve['id']}/complete",
                      {"data": {"approved": True}}), 409)  # the approval was cancelled
    events = kinds(engine, case["id"])
    assert "task_sent_back" in events and "task_cancelled" in events
    assert any("退回" in s for s in notices(engine, "quality1"))
    # the department does it again; the approval comes back and the case closes normally
    work(client, h, case["id"], "investigate", "quality1", **INVESTIGATED)
    work(client, h, case["id"], "approve", "supervisor1", approved=True, comment="同意")
    assert [t["element_id"] for t in get_case(client, h("auditor1"), case["id"])["open_tasks"]] == ["reply"]


def test_send_back_only_to_marked_earlier_steps_by_the_holder(client, h):
    case, approve = at_approval(client, h)
    path = f"/tasks/{approve['id']}/send-back"
    assert_error(post(client, h("supervisor1"), path, {"to": "reply", "reason": "不行"}), 400, "to")
    assert_error(post(client, h("supervisor1"), path, {"to": "investigate"}), 400, "reason")
    assert_error(post(client, h("quality1"), path, {"to": "investigate", "reason": "退回"}), 403)
    fresh = file_case(client, h("intake1"))
    review = open_task(client, h("intake2"), fresh["id"], "review")
    post(client, h("intake2"), f"/tasks/{review['id']}/claim", {})
    assert_error(post(client, h("intake2"), f"/tasks/{review['id']}/send-back",
                      {"to": "investigate", "reason": "还没到"}), 400, "to")  # not passed on the way here


def test_send_back_racing_the_completion_saves_one(client, h, engine):
    case, approve = at_approval(client, h)
    sup = engine.actor_for("supervisor1")
    results = _race([lambda: engine.send_back_task(sup, approve["id"], "investigate", "补充材料"),
                     lambda: engine.complete_task(sup, approve["id"], {"approved": True, "comment": "同意"})])
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert engine.verify_audit()["ok"]


# --- 抄送 ------------------------------------------------------------------------------------
def test_copied_colleague_reads_the_case_but_takes_nothing(client, h, engine):
    case = file_case(client, h("intake1"))
    assert_error(client.get(f"{API}/cases/{case['id']}", headers=h("billing1")), 404)
    resp = post(client, h("intake1"), f"/cases/{case['id']}/cc", {"to": ["billing1"], "note": "涉及计费，请知悉"})
    assert resp.status_code == 201 and resp.get_json()["copied_to"] == ["billing1"]
    assert get_case(client, h("billing1"), case["id"])["number"] == case["number"]
    review = open_task(client, h("billing1"), case["id"], "review")
    assert_error(post(client, h("billing1"), f"/tasks/{review['id']}/claim", {}), 403)
    assert any("抄送" in s for s in notices(engine, "billing1"))
    assert "case_copied" in kinds(engine, case["id"])
    work(client, h, case["id"], "review", "intake2", **REVIEW_ACCEPT)  # the lanes' refresh keeps the copy
    assert get_case(client, h("billing1"), case["id"])["id"] == case["id"]


def test_copy_refuses_the_recused_and_strangers_to_the_case(client, h):
    case = file_case(client, h("intake1"))
    task = open_task(client, h("intake2"), case["id"], "review")
    post(client, h("intake1"), f"/tasks/{task['id']}/recuse", {"reason": "亲属"})
    assert_error(post(client, h("intake2"), f"/cases/{case['id']}/cc", {"to": ["intake1"]}), 403, "to")
    assert_error(post(client, h("intake1"), f"/cases/{case['id']}/cc", {"to": ["billing1"]}), 404)  # recused caller
    assert_error(post(client, h("clerk1"), f"/cases/{case['id']}/cc", {"to": ["billing1"]}), 404)
    assert_error(post(client, h("intake2"), f"/cases/{case['id']}/cc", {"to": "billing1"}), 400, "to")


# --- confidential reports: only the access list ---------------------------------------------
def test_on_a_confidential_report_only_the_access_list(client, h, engine, make_case):
    case = make_case("internal_report")
    triage = open_task(client, h("integ1"), case["id"], "triage")
    assert post(client, h("integ1"), f"/tasks/{triage['id']}/claim", {}).status_code == 200
    path = f"/tasks/{triage['id']}/transfer"
    assert_error(post(client, h("integ1"), path, {"to": "quality1", "reason": "转办"}), 403, "to")
    assert_error(post(client, h("integ1"), path, {"to": "admin1", "reason": "转办"}), 403, "to")
    assert_error(post(client, h("integ1"), f"/cases/{case['id']}/cc", {"to": ["intake1"]}), 403, "to")
    assert post(client, h("integ1"), f"/cases/{case['id']}/cc", {"to": ["integ2"]}).status_code == 201
    assert_error(client.get(f"{API}/cases/{case['id']}", headers=h("intake1")), 404)  # the circle did not widen
    # a recused member of the office: 404 on everything, and never accepted as `to`
    post(client, h("integ1"), f"/tasks/{triage['id']}/unclaim", {})
    assert post(client, h("integ2"), f"/tasks/{triage['id']}/recuse", {"reason": "与被举报人同组"}).status_code == 200
    assert_error(post(client, h("integ2"), path, {"to": "integ1", "reason": "转办"}), 404)
    assert_error(post(client, h("integ2"), f"/tasks/{triage['id']}/claim", {}), 404)
    post(client, h("integ1"), f"/tasks/{triage['id']}/claim", {})
    body = assert_error(post(client, h("integ1"), path, {"to": "integ2", "reason": "转办"}), 403, "to")
    assert "recused" not in body["message"] and "recused" not in str(body["details"])
    assert post(client, h("integ1"), path, {"to": "comm1", "reason": "请委员会初核"}).status_code == 200


# --- 加签 / 减签 ------------------------------------------------------------------------------
def test_the_task_completes_only_when_every_signer_signed(client, h, engine):
    case, task = held_review(client, h)
    resp = post(client, h("intake2"), f"/tasks/{task['id']}/signers", {"to": ["intake1", "supervisor1"],
                                                                         "note": "请会签受理意见"})
    assert resp.status_code == 201, resp.get_json()
    assert [s["username"] for s in resp.get_json()["signers"]] == ["intake1", "supervisor1"]
    mine = client.get(f"{API}/tasks", headers=h("intake1")).get_json()["items"]
    sign_off = next(t for t in mine if t["case_id"] == case["id"])  # each signer gets a task of their own
    body = assert_error(post(client, h("intake2"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT}), 409)
    assert "sign-off" in body["message"]
    assert_error(post(client, h("intake1"), f"/tasks/{sign_off['id']}/complete", {"data": {}}), 409)
    assert_error(post(client, h("intake2"), f"/tasks/{sign_off['id']}/sign", {"agree": True, "opinion": "同意"}), 403)
    signed = post(client, h("intake1"), f"/tasks/{sign_off['id']}/sign", {"agree": True, "opinion": "同意受理"})
    assert signed.status_code == 200, signed.get_json()
    # 减签: the supervisor's pending sign-off is withdrawn; then the holder may complete
    removed = client.delete(f"{API}/tasks/{task['id']}/signers/supervisor1", headers=h("intake2"))
    assert removed.status_code == 200
    assert [s["state"] for s in removed.get_json()["signers"]] == ["completed", "cancelled"]
    assert_error(client.delete(f"{API}/tasks/{task['id']}/signers/supervisor1", headers=h("intake2")), 404)
    assert post(client, h("intake2"), f"/tasks/{task['id']}/complete", {"data": REVIEW_ACCEPT}).status_code == 200
    assert {"signers_added", "signed_off", "signer_removed"} <= set(kinds(engine, case["id"]))
    assert [t["element_id"] for t in get_case(client, h("auditor1"), case["id"])["open_tasks"]] == ["investigate"]


def test_signers_must_be_eligible_and_only_the_holder_asks(client, h):
    case = file_case(client, h("intake1"))
    task = open_task(client, h("intake2"), case["id"], "review")
    post(client, h("intake1"), f"/tasks/{task['id']}/recuse", {"reason": "亲属关系"})
    post(client, h("intake2"), f"/tasks/{task['id']}/claim", {})
    path = f"/tasks/{task['id']}/signers"
    assert_error(post(client, h("intake2"), path, {"to": ["intake1"]}), 403, "to")
    assert_error(post(client, h("intake2"), path, {"to": ["clerk1"]}), 403, "to")
    assert_error(post(client, h("intake2"), path, {"to": []}), 400, "to")
    assert_error(post(client, h("supervisor1"), path, {"to": ["intake2"]}), 403)


def test_a_sent_back_task_takes_its_pending_sign_offs_with_it(client, h, engine):
    case, approve = at_approval(client, h)
    post(client, h("supervisor1"), f"/tasks/{approve['id']}/signers", {"to": ["quality2"]})
    assert post(client, h("supervisor1"), f"/tasks/{approve['id']}/send-back",
                {"to": "investigate", "reason": "请补充"}).status_code == 200
    assert [t["element_id"] for t in get_case(client, h("auditor1"), case["id"])["open_tasks"]] == ["investigate"]


# --- comments ---------------------------------------------------------------------------------
def test_comments_internal_and_to_the_complainant_with_mentions(client, h, engine):
    case = file_case(client, h("intake1"))
    task = open_task(client, h("intake2"), case["id"], "review")
    url = f"/cases/{case['id']}/comments"
    internal = post(client, h("intake2"), url, {"body": "@intake1 请核实来电号码", "task_id": task["id"]})
    assert internal.status_code == 201, internal.get_json()
    assert internal.get_json()["mentions"] == ["intake1"] and internal.get_json()["visibility"] == "internal"
    assert any("提到" in s for s in notices(engine, "intake1"))
    public = post(client, h("intake2"), url, {"body": "您的投诉已收到，正在核实。", "visibility": "complainant"})
    assert public.status_code == 201
    tracked = engine.public_case(case["receipt"])
    bodies = [m["body"] for m in tracked["messages"]]
    assert "您的投诉已收到，正在核实。" in bodies and "@intake1 请核实来电号码" not in bodies
    page = client.get(f"{API}{url}?limit=1", headers=h("supervisor1"))
    assert page.status_code == 200 and page.get_json()["total"] == 2 and page.get_json()["next"]
    rest = client.get(f"{API}{url}?limit=1&cursor={page.get_json()['next']}", headers=h("supervisor1")).get_json()
    assert [c["visibility"] for c in page.get_json()["items"] + rest["items"]] == ["internal", "complainant"]
    assert "comment_added" in kinds(engine, case["id"])
    assert_error(client.get(f"{API}{url}", headers=h("clerk1")), 404)
    assert_error(post(client, h("intake2"), url, {"body": "   "}), 400, "body")
    assert_error(post(client, h("intake2"), url, {"body": "x", "visibility": "everyone"}), 400, "visibility")


def test_mentions_never_reach_the_recused_or_outsiders(client, h, engine, make_case):
    case = file_case(client, h("intake1"))
    task = open_task(client, h("intake2"), case["id"], "review")
    post(client, h("intake1"), f"/tasks/{task['id']}/recuse", {"reason": "亲属关系"})
    url = f"/cases/{case['id']}/comments"
    assert_error(post(client, h("intake2"), url, {"body": "@intake1 看一下"}), 403, "body")
    assert_error(post(client, h("intake2"), url, {"body": "@clerk1 看一下"}), 403, "body")
    assert_error(client.get(f"{API}{url}", headers=h("intake1")), 404)  # the recused reads nothing
    assert not any("提到" in s for s in notices(engine, "intake1"))
    report = make_case("internal_report")
    report_url = f"/cases/{report['id']}/comments"
    assert_error(post(client, h("integ1"), report_url, {"body": "初核", "visibility": "complainant"}), 400,
                 "visibility")
    assert post(client, h("integ1"), report_url, {"body": "@integ2 请协助初核"}).status_code == 201
    assert_error(client.get(f"{API}{report_url}", headers=h("intake1")), 404)


# --- workload ---------------------------------------------------------------------------------
def test_supervisors_see_the_load_per_person_and_group_and_reassign(client, h, engine, clock, make_case):
    first, task = held_review(client, h)
    second = file_case(client, h("intake1"))
    make_case("internal_report")  # the supervisor is not on the report's list: it adds nothing
    load = client.get(f"{API}/workload", headers=h("supervisor1"))
    assert load.status_code == 200, load.get_json()
    people = {p["username"]: p for p in load.get_json()["people"]}
    assert people["intake2"]["open"] == 1 and "integ1" not in people
    groups = {g["group"]: g for g in load.get_json()["groups"]}
    assert groups["intake"]["open"] == 2 and groups["intake"]["unclaimed"] == 1
    assert "integrity_office" not in groups
    mine = client.get(f"{API}/workload?assignee=intake2", headers=h("supervisor1")).get_json()
    assert [t["id"] for t in mine["tasks"]] == [task["id"]]
    moved = post(client, h("supervisor1"), f"/tasks/{task['id']}/transfer", {"to": "intake1", "reason": "工作量平衡"})
    assert moved.status_code == 200
    people = {p["username"]: p for p in client.get(f"{API}/workload", headers=h("supervisor1")).get_json()["people"]}
    assert "intake2" not in people and people["intake1"]["open"] == 1
    assert_error(client.get(f"{API}/workload", headers=h("intake1")), 403)
    assert second["id"]


# --- deputies ---------------------------------------------------------------------------------
def test_a_deputy_covers_the_absence_and_the_tasks_return_after(client, h, engine, clock):
    case, task = held_review(client, h, holder="intake2")
    assert_error(client.put(f"{API}/deputies/intake2", json={"deputy": "intake1", "until": "2026-11-04"},
                            headers=h("intake1")), 403)
    resp = client.put(f"{API}/deputies/intake2", json={"deputy": "intake1", "until": "2026-11-04"},
                      headers=h("intake2"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["active"] is True and resp.get_json()["deputy"] == "intake1"
    assert open_task(client, h("intake1"), case["id"], "review")["assignee"] == "intake1"
    assert "task_to_deputy" in kinds(engine, case["id"])
    assert client.get(f"{API}/deputies/intake2", headers=h("admin1")).get_json()["deputy"] == "intake1"
    clock.advance(days=3)  # (the API tokens have expired by then: the engine is asked directly)
    assert engine.sweep_deputies() == 1
    intake2 = engine.actor_for("intake2")
    assert [t["assignee"] for t in engine.get_case(intake2, case["id"])["open_tasks"]] == ["intake2"]
    assert "task_from_deputy" in kinds(engine, case["id"])
    assert engine.get_deputy(intake2, "intake2")["deputy"] is None


def test_a_deputy_never_gets_what_they_may_not_handle(client, h, engine, make_case):
    report = make_case("internal_report")
    triage = open_task(client, h("integ1"), report["id"], "triage")
    post(client, h("integ1"), f"/tasks/{triage['id']}/claim", {})
    resp = client.put(f"{API}/deputies/integ1", json={"deputy": "intake1", "until": "2026-11-10"},
                      headers=h("integ1"))
    assert resp.status_code == 200
    assert open_task(client, h("integ1"), report["id"], "triage")["assignee"] == "integ1"
    assert "deputy_not_eligible" in kinds(engine, report["id"])
    assert_error(client.put(f"{API}/deputies/integ1", json={"deputy": "integ1", "until": "2026-11-10"},
                            headers=h("integ1")), 400, "deputy")
    assert_error(client.put(f"{API}/deputies/integ1", json={"deputy": "integ2", "until": "2020-01-01"},
                            headers=h("integ1")), 400, "until")


# --- saved filters and follow-up dates -------------------------------------------------------
def test_saved_filters_count_what_the_user_may_see(client, h, engine, clock, make_case):
    case, task = held_review(client, h)
    file_case(client, h("intake1"))
    make_case("internal_report")
    made = post(client, h("intake2"), "/filters", {"name": "我的投诉", "criteria": {"type": "complaint",
                                                                                   "assignee": "me"}})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["count"] == 1
    assert_error(client.delete(f"{API}/filters/{made.get_json()['id']}", headers=h("intake1")), 404)
    post(client, h("intake2"), "/filters", {"name": "全部待认领", "criteria": {"assignee": "unassigned"}})
    listed = client.get(f"{API}/filters", headers=h("intake2")).get_json()["items"]
    assert [(f["name"], f["count"]) for f in listed] == [("我的投诉", 1), ("全部待认领", 1)]
    assert client.get(f"{API}/filters", headers=h("integ1")).get_json()["items"] == []  # per user
    tasks = client.get(f"{API}/filters/{made.get_json()['id']}/tasks", headers=h("intake2")).get_json()
    assert [t["id"] for t in tasks["items"]] == [task["id"]]
    assert_error(client.get(f"{API}/filters/{made.get_json()['id']}/tasks", headers=h("intake1")), 404)
    assert_error(post(client, h("intake2"), "/filters", {"name": "x", "criteria": {"due": "someday"}}), 400,
                 "criteria.due")
    # a follow-up date: the holder's own; the filter finds it once the day has come
    assert_error(post(client, h("intake1"), f"/tasks/{task['id']}/follow-up", {"at": "2026-11-03"}), 403)
    assert post(client, h("intake2"), f"/tasks/{task['id']}/follow-up", {"at": "2026-11-03"}).status_code == 200
    due = post(client, h("intake2"), "/filters", {"name": "跟进", "criteria": {"due": "follow_up"}}).get_json()
    assert due["count"] == 0
    clock.advance(days=1)
    assert engine.saved_filters(engine.actor_for("intake2"))["items"][-1]["count"] == 1
    assert "follow_up_set" in kinds(engine, case["id"])
    assert engine.inbox(engine.actor_for("intake2"))["saved_filters"][0]["count"] == 1
    engine.delete_filter(engine.actor_for("intake2"), made.get_json()["id"])  # (the API token has expired by now)
    assert [f["name"] for f in engine.saved_filters(engine.actor_for("intake2"))["items"]] == ["全部待认领", "跟进"]


# --- the handling form (print) ----------------------------------------------------------------
def test_the_handling_form_lists_each_step_and_prints_as_pdf(client, h, engine):
    case, approve = at_approval(client, h)
    post(client, h("supervisor1"), f"/tasks/{approve['id']}/send-back", {"to": "investigate", "reason": "请补充依据"})
    form = client.get(f"{API}/cases/{case['id']}/handling-form", headers=h("supervisor1"))
    assert form.status_code == 200, form.get_json()
    steps = [(s["element_id"], s["handler"], s["kind"]) for s in form.get_json()["steps"]]
    assert steps == [("review", "intake2", "task_completed"), ("investigate", "quality1", "task_completed"),
                     ("approve", "supervisor1", "task_sent_back")]
    assert form.get_json()["steps"][1]["result"]["remedy"] == "exchange"
    pdf = client.get(f"{API}/cases/{case['id']}/handling-form?format=pdf", headers=h("supervisor1"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert kinds(engine, case["id"]).count("case_printed") == 2
    assert_error(client.get(f"{API}/cases/{case['id']}/handling-form", headers=h("clerk1")), 404)
