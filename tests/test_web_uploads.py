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


def test_files_sent_are_shown_back_on_the_tracking_page(client):
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
