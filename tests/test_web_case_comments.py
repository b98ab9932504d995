"""Comments on the case page (issue 11 point 4): staff comment on a case from its page, colleagues
read them there, a comment for the complainant shows on the tracking page, the recused and those who
may not see the case cannot post, an empty comment is a field error with the form kept."""
from __future__ import annotations

import re

from engine.handing_on import comments as engine_comments
from tests.test_one_transaction import one_transaction, transactions  # noqa: F401 (a fixture)
from tests.test_web_messages import filed_case


def comments_of(html: str) -> str:
    return html.split('id="comments-title"')[1].split("</section>")[0]


def test_a_comment_from_the_case_page_is_read_by_a_colleague(client, login, engine):
    _receipt, case_id = filed_case(client, engine)
    web = login("intake1")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="comment-form"' in page and "暂无评论" in comments_of(page)
    sent = web.post(f"/cases/{case_id}/comments", data={"body": "@intake2 来电号码请再核实", "visibility": "internal"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/cases/{case_id}#comments-title")
    seen = comments_of(login("intake2").get(f"/cases/{case_id}").get_data(as_text=True))
    assert "@intake2 来电号码请再核实" in seen and "intake1" in seen
    notices = engine.list_notifications(engine.actor_for("intake2"))["items"]
    assert any("提到" in n["subject"] for n in notices)
    kinds = [e["kind"] for e in engine.case_history(engine.actor_for("auditor1"), case_id)["items"]]
    assert "comment_added" in kinds


def test_a_comment_for_the_complainant_shows_on_the_tracking_page(client, login, engine):
    receipt, case_id = filed_case(client, engine)
    web = login("intake1")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="complainant"' in comments_of(page)
    web.post(f"/cases/{case_id}/comments", data={"body": "您的投诉已转交核实。", "visibility": "complainant"})
    web.post(f"/cases/{case_id}/comments", data={"body": "内部：疑似重复投诉", "visibility": "internal"})
    tracking = client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    assert "您的投诉已转交核实。" in tracking and "疑似重复投诉" not in tracking
    seen = comments_of(web.get(f"/cases/{case_id}").get_data(as_text=True))
    assert seen.index("您的投诉已转交核实。") < seen.index("疑似重复投诉") and "投诉人可见" in seen


def test_a_confidential_report_offers_no_comment_to_the_reporter(client, login, engine):
    _receipt, case_id = filed_case(client, engine, "internal_report", viewer="integ1")
    web = login("integ1")
    assert 'value="complainant"' not in comments_of(web.get(f"/cases/{case_id}").get_data(as_text=True))
    refused = web.post(f"/cases/{case_id}/comments", data={"body": "初核意见", "visibility": "complainant"})
    assert refused.status_code == 422 and "初核意见" in refused.get_data(as_text=True)
    assert "初核意见" not in comments_of(web.get(f"/cases/{case_id}").get_data(as_text=True))


def test_the_recused_and_outsiders_cannot_comment(client, login, engine):
    _receipt, case_id = filed_case(client, engine)
    task_id = engine.get_case(engine.actor_for("intake2"), case_id)["open_tasks"][0]["id"]
    recused = login("intake1")
    assert recused.post(f"/tasks/{task_id}/recuse", data={"reason": "亲属关系"}).status_code == 302
    assert recused.post(f"/cases/{case_id}/comments", data={"body": "我来看看"}).status_code == 404
    assert login("clerk1").post(f"/cases/{case_id}/comments", data={"body": "我来看看"}).status_code == 404
    mention = login("intake2").post(f"/cases/{case_id}/comments", data={"body": "@intake1 请看"})
    html = mention.get_data(as_text=True)
    assert mention.status_code == 422 and 'id="e-comment"' in html and "@intake1 请看</textarea>" in html
    seen = comments_of(login("supervisor1").get(f"/cases/{case_id}").get_data(as_text=True))
    assert "我来看看" not in seen and "请看" not in seen and "暂无评论" in seen


def test_an_empty_comment_is_a_field_error_with_the_form_kept(client, login, engine):
    _receipt, case_id = filed_case(client, engine)
    resp = login("intake1").post(f"/cases/{case_id}/comments", data={"body": "   ", "visibility": "complainant"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="facts-title"' in html
    assert 'id="e-comment"' in html and "请填写评论" in html
    assert '<option value="complainant" selected>' in html


def test_older_comments_are_a_link_away(client, login, engine, monkeypatch):
    monkeypatch.setattr(engine_comments, "CASE_PAGE_COMMENTS", 2)
    _receipt, case_id = filed_case(client, engine)
    web = login("intake1")
    for n in range(1, 6):
        web.post(f"/cases/{case_id}/comments", data={"body": f"第{n}条意见"})
    newest = comments_of(web.get(f"/cases/{case_id}").get_data(as_text=True))
    assert "第4条意见" in newest and "第5条意见" in newest and "第3条意见" not in newest
    older_url = re.search(r'href="([^"]+)" id="older-comments"', newest).group(1).replace("&amp;", "&")
    older = comments_of(web.get(older_url).get_data(as_text=True))
    assert "第2条意见" in older and "第3条意见" in older and "第4条意见" not in older and "第1条意见" not in older
    assert "最新评论" in older  # back to the newest page
    oldest_url = re.search(r'href="([^"]+)" id="older-comments"', older).group(1).replace("&amp;", "&")
    oldest = comments_of(web.get(oldest_url).get_data(as_text=True))
    assert "第1条意见" in oldest and 'id="older-comments"' not in oldest
    stale = web.get(f"/cases/{case_id}?comments_before=not-a-cursor")
    assert stale.status_code == 302 and stale.headers["Location"].endswith(f"/cases/{case_id}")


def test_the_case_page_and_its_comment_form_each_take_one_transaction(client, login, engine, transactions):
    _receipt, case_id = filed_case(client, engine)
    web = login("intake1")
    posted = one_transaction(transactions, lambda: web.post(f"/cases/{case_id}/comments", data={"body": "已电话联系"}))
    assert posted.status_code == 303
    page = one_transaction(transactions, lambda: web.get(f"/cases/{case_id}"))
    assert "已电话联系" in comments_of(page.get_data(as_text=True))
    events_before = engine.verify_audit()["events"]
    refused = one_transaction(transactions, lambda: web.post(f"/cases/{case_id}/comments", data={"body": ""}))
    assert refused.status_code == 422 and 'id="e-comment"' in refused.get_data(as_text=True)
    audit = engine.verify_audit()
    assert audit["ok"] and audit["events"] == events_before
