"""Staff write to the complainant or reporter from the case page; the message shows on the
tracking page, the complainant's answer shows on the case page; an empty message is a field error."""
from __future__ import annotations

from tests.factories import intake_data
from tests.test_web_public import RECEIPT, as_form


def filed_case(client, engine, type_key="complaint", viewer="admin1", **overrides):
    html = client.post(f"/report/{type_key}", data={**as_form(intake_data(type_key, **overrides))},
                       follow_redirects=True).get_data(as_text=True)
    receipt = RECEIPT.search(html).group(1)
    number = engine.public_case(receipt)["number"]
    case_id = next(c["id"] for c in engine.list_cases(engine.actor_for(viewer))["items"] if c["number"] == number)
    return receipt, case_id


def test_staff_write_to_the_complainant_and_read_the_answer(client, login, engine):
    receipt, case_id = filed_case(client, engine)
    web = login("intake1")
    assert 'id="write-to-complainant"' in web.get(f"/cases/{case_id}").get_data(as_text=True)
    sent = web.post(f"/cases/{case_id}/messages", data={"body": "请补充订单截图。"})
    assert sent.status_code == 303
    tracking = client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    assert "请补充订单截图。" in tracking
    client.post("/track/message", data={"receipt": receipt, "body": "截图已上传。"})
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    thread = page.split('id="messages-title"')[1].split("</section>")[0]
    assert thread.index("请补充订单截图。") < thread.index("截图已上传。")
    kinds = [e["kind"] for e in engine.case_history(engine.actor_for("auditor1"), case_id)["items"]]
    assert "message_to_complainant" in kinds


def test_an_empty_message_is_a_field_error_on_the_case_page(client, login, engine):
    _receipt, case_id = filed_case(client, engine)
    resp = login("intake1").post(f"/cases/{case_id}/messages", data={"body": "  "})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="e-body"' in html and 'id="facts-title"' in html


def test_a_whistleblower_case_speaks_of_the_reporter_and_hides_the_author(client, login, engine):
    receipt, case_id = filed_case(client, engine, "internal_report", viewer="integ1")
    web = login("integ1")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "与举报人的往来消息" in page and "与投诉人的往来消息" not in page
    web.post(f"/cases/{case_id}/messages", data={"body": "我们已收到线索，正在核实。"})
    tracking = client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    assert "我们已收到线索，正在核实。" in tracking and "integ1" not in tracking
    assert "integ1" not in repr(engine.public_case(receipt))


def test_the_triage_note_reaches_the_reporter_when_the_report_is_accepted(client, engine, work):
    receipt, case_id = filed_case(client, engine, "internal_report", viewer="integ1")
    work(case_id, "triage", "integ1", decision="accept", reason="线索具体",
         note_to_reporter="感谢您提供的线索，我们将认真核查。")
    bodies = [m["body"] for m in engine.public_case(receipt)["messages"]]
    assert any("感谢您提供的线索，我们将认真核查。" in b and "已受理" in b for b in bodies)
    open_steps = [t["element_id"] for t in engine.get_case(engine.actor_for("comm1"), case_id)["open_tasks"]]
    assert open_steps == ["form_team"]
