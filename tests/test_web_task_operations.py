"""The task page's handing-on forms (issue 11): delegation and its hand-back, sign-offs, comments,
in zh-CN, with nobody recused ever offered."""
from __future__ import annotations

from tests.test_web_task_page import _open_task


def test_delegate_then_hand_back_from_the_pages(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = _open_task(engine, case["id"], "review", "intake2")
    holder = login("intake2")
    html = holder.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="delegate-form"' in html and 'id="transfer-form"' in html and 'id="signers-form"' in html
    assert holder.post(f"/tasks/{task_id}/delegate", data={"to": "intake1", "reason": "请核实电话"}).status_code == 302
    helper = login("intake1")
    html = helper.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="hand-back-form"' in html and "委派" in html
    assert 'action="/tasks/%d/complete"' % task_id not in html  # the holder completes, not the helper
    assert helper.post(f"/tasks/{task_id}/hand-back", data={"note": "已核实"}).status_code == 302
    task = engine.get_task(engine.actor_for("intake2"), task_id)
    assert task["assignee"] == "intake2"


def test_sign_off_and_comment_from_the_pages(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = _open_task(engine, case["id"], "review", "intake2")
    holder = login("intake2")
    assert holder.post(f"/tasks/{task_id}/signers", data={"to": ["supervisor1"], "note": "请会签"}).status_code == 302
    sign_off = next(t for t in engine.list_tasks(engine.actor_for("supervisor1"))["items"]
                    if t["case_id"] == case["id"])
    signer = login("supervisor1")
    html = signer.get(f"/tasks/{sign_off['id']}").get_data(as_text=True)
    assert 'id="sign-form"' in html
    answer = signer.post(f"/tasks/{sign_off['id']}/sign", data={"agree": "yes", "opinion": "同意"})
    assert answer.status_code == 302
    html = holder.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "已会签" in html
    holder.post(f"/cases/{case['id']}/comments", data={"body": "@intake1 请补充来电记录", "task_id": str(task_id),
                                                       "about_task": "1", "visibility": "internal"})
    html = holder.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "请补充来电记录" in html and "针对本任务" in html


def test_a_recused_colleague_is_not_offered_on_the_page(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = next(t["id"] for t in engine.get_case(engine.actor_for("intake2"), case["id"])["open_tasks"])
    assert login("intake1").post(f"/tasks/{task_id}/recuse", data={"reason": "亲属关系"}).status_code == 302
    engine.claim_task(engine.actor_for("intake2"), task_id)
    page = login("intake2")
    html = page.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'value="supervisor1"' in html and 'value="intake1"' not in html
    refused = page.post(f"/tasks/{task_id}/transfer", data={"to": "intake1", "reason": "转办"}, follow_redirects=True)
    assert "已回避本案" in refused.get_data(as_text=True)
    assert engine.get_task(engine.actor_for("intake2"), task_id)["assignee"] == "intake2"


def test_the_workload_page_for_supervisors_only(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = _open_task(engine, case["id"], "review", "intake2")
    page = login("supervisor1")
    html = page.get("/workload").get_data(as_text=True)
    assert 'data-user="intake2"' in html and "工作量" in html
    html = page.get("/workload?assignee=intake2").get_data(as_text=True)
    assert f'href="/tasks/{task_id}"' in html
    assert login("intake1").get("/workload").status_code == 403


def test_naming_a_deputy_from_the_page(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = _open_task(engine, case["id"], "review", "intake2")
    page = login("intake2")
    assert "代理人" in page.get("/deputy").get_data(as_text=True)
    saved = page.post("/deputy", data={"deputy": "intake1", "until": "2026-11-05", "action": "save"},
                      follow_redirects=True)
    assert 'id="current-deputy"' in saved.get_data(as_text=True)
    assert engine.get_task(engine.actor_for("intake1"), task_id)["assignee"] == "intake1"
    page.post("/deputy", data={"action": "clear", "until": ""})
    assert engine.get_task(engine.actor_for("intake2"), task_id)["assignee"] == "intake2"


def test_saved_filters_in_the_inbox_and_a_follow_up_date(login, engine, make_case):
    case = make_case("complaint", by="intake1")
    task_id = _open_task(engine, case["id"], "review", "intake2")
    page = login("intake2")
    page.post("/filters", data={"name": "我办理的", "assignee": "me"})
    html = page.get("/inbox").get_data(as_text=True)
    assert "我办理的" in html and 'id="saved-filters"' in html
    saved = engine.saved_filters(engine.actor_for("intake2"))["items"][0]
    assert saved["count"] == 1
    assert f'href="/tasks/{task_id}"' in page.get(f"/filters/{saved['id']}").get_data(as_text=True)
    page.post(f"/tasks/{task_id}/follow-up", data={"at": "2026-11-06"})
    assert 'value="2026-11-06"' in page.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_the_printable_handling_form(login, engine, make_case, work):
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    page = login("intake1")
    html = page.get(f"/cases/{case['id']}/handling-form").get_data(as_text=True)
    assert "投诉处理单" in html and 'id="print-steps"' in html and "符合受理条件" in html
    pdf = page.get(f"/cases/{case['id']}/handling-form.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert login("clerk1").get(f"/cases/{case['id']}/handling-form").status_code == 404
