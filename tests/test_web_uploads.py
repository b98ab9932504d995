"""Files: every public type whose form allows it takes files at filing; what the complainant sent,
with the report and with later messages, is shown back on the tracking page in readable sizes."""
from __future__ import annotations

import io
import re

from tests.factories import intake_data
from tests.test_web_public import RECEIPT, as_form


def test_complaint_and_internal_report_take_files_at_filing(client):
    for type_key in ("complaint", "internal_report", "tender_complaint"):
        html = client.get(f"/report/{type_key}").get_data(as_text=True)
        assert 'type="file"' in html and 'name="attachments"' in html, type_key


def test_files_sent_are_shown_back_on_the_tracking_page(client, login):
    form = as_form(intake_data("complaint"))
    form["attachments"] = [(io.BytesIO(b"seventeen bytes!!"), "破损照片.jpg", "image/jpeg")]
    filed = client.post("/report/complaint", data=form, content_type="multipart/form-data", follow_redirects=True)
    receipt = RECEIPT.search(filed.get_data(as_text=True)).group(1)
    page = client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    listed = page.split('id="filed-files"')[1].split("</ul>")[0]
    assert "破损照片.jpg" in listed and "17 B" in listed and "Bytes" not in page

    sent = client.post("/track/message", content_type="multipart/form-data", data={
        "receipt": receipt, "body": "补充发票一张。",
        "attachments": [(io.BytesIO(b"%PDF-1.4 invoice"), "发票.pdf", "application/pdf")]})
    html = sent.get_data(as_text=True)
    message = html[html.index("补充发票一张。"):]
    assert "发票.pdf" in message[:message.index("</li>")]
    # staff read the file beside the message it came with
    case_id = re.search(r'/cases/(\d+)', login("auditor1").get("/cases").get_data(as_text=True)).group(1)
    staff = login("intake1").get(f"/cases/{case_id}").get_data(as_text=True)
    thread = staff[staff.index('class="messages"'):]
    beside = thread[thread.index("补充发票一张。"):]
    assert "发票.pdf" in beside[:beside.index("</li>")]


def test_the_anonymous_box_marks_the_identity_fields(client):
    html = client.get("/report/internal_report").get_data(as_text=True)
    for name in ("reporter_name", "reporter_contact", "reporter_department"):
        assert re.search(rf'id="field-{name}" data-identity', html), name
    assert 'src="/static/js/forms.js"' in html


def test_a_resent_message_form_posts_the_message_once(client, engine):
    filed = client.post("/report/complaint", data=as_form(intake_data("complaint")), follow_redirects=True)
    receipt = RECEIPT.search(filed.get_data(as_text=True)).group(1)
    page = client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    form = {"receipt": receipt, "body": "请尽快处理。", "form_token": token}
    first = client.post("/track/message", data=form)
    again = client.post("/track/message", data=form)  # the browser's reload of the POST
    assert first.status_code == again.status_code == 200
    assert [m["body"] for m in engine.public_case(receipt)["messages"]].count("请尽快处理。") == 1
    assert re.search(r'name="form_token" value="([^"]+)"', again.get_data(as_text=True)).group(1) != token


def test_a_task_form_takes_files_shown_to_staff_not_to_the_complainant(client, login, engine, make_case, work):
    form = as_form(intake_data("complaint", category="quality"))
    filed = client.post("/report/complaint", data=form, follow_redirects=True).get_data(as_text=True)
    receipt = RECEIPT.search(filed).group(1)
    number = engine.public_case(receipt)["number"]
    case_id = next(c["id"] for c in engine.list_cases(engine.actor_for("admin1"))["items"] if c["number"] == number)
    work(case_id, "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    quality = engine.actor_for("quality1")
    task = next(t for t in engine.get_case(quality, case_id)["open_tasks"] if t["element_id"] == "investigate")
    engine.claim_task(quality, task["id"])
    web = login("quality1")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="field-attachments"' in page and 'enctype="multipart/form-data"' in page
    resp = web.post(f"/tasks/{task['id']}/complete", content_type="multipart/form-data", data={
        "root_cause": "包装线封口温度过低", "responsibility": "company", "remedy": "exchange",
        "remedy_detail": "更换两条卷烟", "attachments": [(io.BytesIO(b"%PDF-1.4 lab"), "检测报告.pdf", "application/pdf")]})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    case_page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "检测报告.pdf" in case_page
    assert "检测报告.pdf" not in client.post("/track", data={"receipt": receipt}).get_data(as_text=True)
    kinds = [e["kind"] for e in engine.case_history(engine.actor_for("auditor1"), case_id)["items"]]
    assert "task_files_attached" in kinds
