"""The public pages: file a complaint of each type, see field errors with nothing lost, keep the
receipt (shown once, never in a URL), follow the case with it."""
from __future__ import annotations

import io
import re

import pytest

from tests.factories import intake_data

NUMBER = {"complaint": r"CP-\d{6}-\d{4}", "tender_complaint": r"TC-\d{6}-\d{4}",
          "internal_report": r"IR-\d{6}-\d{4}"}
RECEIPT = re.compile(r'class="receipt-code">([^<]+)<')


def as_form(data: dict) -> dict:
    """Intake data as a browser would send the HTML form: true boxes "on", false boxes absent."""
    form = {}
    for name, value in data.items():
        if value is True:
            form[name] = "on"
        elif value is False or value is None:
            continue
        else:
            form[name] = value if isinstance(value, list) else str(value)
    return form


def evidence() -> list:
    """One PDF upload, as the test client sends files."""
    return [(io.BytesIO(b"%PDF-1.4 evidence"), "evidence.pdf", "application/pdf")]


def file_report(client, type_key: str, **overrides):
    """File a valid report of the type through the public form (with evidence where needed)."""
    form = as_form(intake_data(type_key, **overrides))
    if type_key == "tender_complaint":
        form["attachments"] = evidence()
    return client.post(f"/report/{type_key}", data=form, content_type="multipart/form-data", follow_redirects=True)


def field_block(html: str, name: str) -> str:
    """The HTML of one form field's block (label, input, error)."""
    start = html.index(f'id="field-{name}"')
    following = re.compile(r'<div class="field[ "]').search(html, start)
    return html[start:following.start() if following else None]


def test_start_page_lists_the_public_types(client):
    html = client.get("/").get_data(as_text=True)
    for key in ("complaint", "tender_complaint", "internal_report"):
        assert f'href="/report/{key}"' in html


@pytest.mark.parametrize("type_key", ["complaint", "tender_complaint", "internal_report"])
def test_filing_each_type_shows_number_and_receipt(client, engine, type_key):
    page = client.get(f"/report/{type_key}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, value in intake_data(type_key).items():
        if value is not False and name != "channel":
            assert f'name="{name}"' in html, name
    assert 'name="channel"' not in html  # the public page does not ask how it was reached (x-public)

    resp = file_report(client, type_key)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:2000]
    number = re.search(NUMBER[type_key], html).group(0)
    receipt = RECEIPT.search(html).group(1)
    assert engine.public_case(receipt)["number"] == number


def test_invalid_fields_are_marked_and_every_value_is_kept(client):
    form = as_form(intake_data("complaint", subject=None, category="weather"))
    form["description"] = "第一行\n第二行 <b>不是标签</b>"
    resp = client.post("/report/complaint", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="field-error"' in field_block(html, "subject")
    assert 'class="field-error"' in field_block(html, "category")
    assert 'aria-invalid="true"' in field_block(html, "subject")
    # what the complainant typed is all still there, escaped
    assert 'value="王小明"' in field_block(html, "complainant_name")
    assert 'value="13800138000"' in field_block(html, "complainant_phone")
    assert "第一行\n第二行 &lt;b&gt;不是标签&lt;/b&gt;" in field_block(html, "description")
    assert 'name="channel"' not in html
    assert "<b>不是标签</b>" not in html
    assert not RECEIPT.search(html)


def test_a_phone_or_an_email_is_needed(client):
    form = as_form(intake_data("complaint", complainant_phone=None, complainant_email=None))
    resp = client.post("/report/complaint", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="field-error"' in field_block(html, "complainant_phone")
    assert 'class="field-error"' in field_block(html, "complainant_email")
    assert "not valid under any" not in html  # no validator jargon, no echo of the data


def test_tender_complaint_needs_evidence(client):
    form = as_form(intake_data("tender_complaint"))
    resp = client.post("/report/tender_complaint", data=form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="field-error"' in field_block(html, "attachments")
    assert "城南污水处理厂改造工程" in field_block(html, "project_name")


def test_anonymous_tender_complaint_is_refused_with_422(client):
    page = client.get("/report/tender_complaint").get_data(as_text=True)
    assert 'name="anonymous"' not in page  # not offered where it is not allowed
    form = as_form(intake_data("tender_complaint"))
    form["anonymous"] = "on"
    form["attachments"] = evidence()
    resp = client.post("/report/tender_complaint", data=form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'class="form-errors"' in html
    assert 'value="华东建设工程有限公司"' in html
    assert not RECEIPT.search(html)


def test_internal_report_may_be_anonymous(client, engine):
    form = as_form(intake_data("internal_report", reporter_name=None, reporter_contact=None,
                               reporter_department=None))
    form["anonymous"] = "on"
    resp = client.post("/report/internal_report", data=form, follow_redirects=True)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    receipt = RECEIPT.search(resp.get_data(as_text=True)).group(1)
    assert engine.public_case(receipt)["number"].startswith("IR-")


def test_receipt_is_shown_once_and_never_in_a_url_or_cookie(client):
    form = as_form(intake_data("complaint"))
    posted = client.post("/report/complaint", data=form, content_type="multipart/form-data")
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/filed")
    resp = client.get("/filed")
    html = resp.get_data(as_text=True)
    receipt = RECEIPT.search(html).group(1)
    assert "no-store" in resp.headers["Cache-Control"]
    assert html.count(receipt) == 1
    assert receipt not in posted.headers.get("Set-Cookie", "") + posted.headers["Location"]
    assert receipt not in client.get("/track").get_data(as_text=True)
    assert receipt not in client.get("/").get_data(as_text=True)
    assert 'method="post"' in client.get("/track").get_data(as_text=True)


def test_reload_and_language_switch_keep_the_receipt_until_it_is_saved(client, engine):
    html = file_report(client, "complaint").get_data(as_text=True)
    receipt = RECEIPT.search(html).group(1)
    assert "data-print" in html and 'data-copy="#receipt-code"' in html
    english = client.get("/filed?lang=en").get_data(as_text=True)
    assert RECEIPT.search(english).group(1) == receipt and "Your receipt code" in english
    assert RECEIPT.search(client.get("/filed").get_data(as_text=True)).group(1) == receipt  # a reload
    saved = client.post("/filed/saved")
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/track")
    assert receipt not in client.get("/filed", follow_redirects=True).get_data(as_text=True)
    assert engine.public_case(receipt)["status"] == "open"


def test_a_double_submit_files_one_case(client, engine):
    token = re.search(r'name="form_token" value="([^"]+)"', client.get("/report/complaint").get_data(as_text=True))
    form = {**as_form(intake_data("complaint")), "form_token": token.group(1)}
    first = client.post("/report/complaint", data=form, follow_redirects=True).get_data(as_text=True)
    second = client.post("/report/complaint", data=form, follow_redirects=True).get_data(as_text=True)
    number = re.search(NUMBER["complaint"], first).group(0)
    assert re.search(NUMBER["complaint"], second).group(0) == number
    assert RECEIPT.search(second).group(1) == RECEIPT.search(first).group(1)
    numbers = [c["number"] for c in engine.list_cases(engine.actor_for("admin1"))["items"]]
    assert numbers.count(number) == 1 and len(numbers) == 1
    # a fresh form files a new case
    fresh = client.post("/report/complaint", data=as_form(intake_data("complaint")), follow_redirects=True)
    assert re.search(NUMBER["complaint"], fresh.get_data(as_text=True)).group(0) != number


def test_tracking_with_the_receipt_and_writing_a_message(client, engine):
    html = file_report(client, "complaint").get_data(as_text=True)
    receipt = RECEIPT.search(html).group(1)
    number = re.search(NUMBER["complaint"], html).group(0)

    resp = client.post("/track", data={"receipt": receipt})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and number in page
    assert 'name="body"' in page

    resp = client.post("/track/message", data={"receipt": receipt, "body": "我还有一张照片可以提供。"})
    assert resp.status_code == 200
    assert any("我还有一张照片可以提供。" in m["body"] for m in engine.public_case(receipt)["messages"])
    assert "我还有一张照片可以提供。" in resp.get_data(as_text=True)


def test_empty_message_is_refused_and_the_case_stays_shown(client):
    receipt = RECEIPT.search(file_report(client, "complaint").get_data(as_text=True)).group(1)
    resp = client.post("/track/message", data={"receipt": receipt, "body": "  "})
    assert resp.status_code == 400
    assert 'id="e-body"' in resp.get_data(as_text=True)


@pytest.mark.parametrize("receipt", ["AAAAAAAA-AAAAAAAAAAAAAAAAAAAAAAAA", "nonsense", ""])
def test_wrong_receipt_is_404_with_one_wording(client, receipt):
    file_report(client, "complaint")
    resp = client.post("/track", data={"receipt": receipt})
    assert resp.status_code == 404
    assert 'class="form-errors"' in resp.get_data(as_text=True)
    same = client.post("/track/message", data={"receipt": receipt, "body": "hello"})
    assert same.status_code == 404
    wording = re.search(r'class="form-errors" role="alert">([^<]+)<', resp.get_data(as_text=True)).group(1)
    assert wording in same.get_data(as_text=True)


def test_unknown_type_is_a_404_page_not_a_trace(client):
    resp = client.get("/report/no_such_type")
    assert resp.status_code == 404
    assert "Traceback" not in resp.get_data(as_text=True)
    assert client.post("/report/no_such_type", data={}).status_code == 404


def test_pages_carry_security_headers(client):
    resp = client.get("/")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"]


def test_the_public_form_files_through_the_web_channel_whatever_is_sent(client, engine):
    form = as_form(intake_data("complaint"))
    form["channel"] = "hotline"  # a crafted post: the public page's channel is always the web
    resp = client.post("/report/complaint", data=form)
    assert resp.status_code == 303
    auditor = engine.actor_for("auditor1")
    case = engine.list_cases(auditor, per_page=1)["items"][0]
    assert engine.get_case(auditor, case["id"])["data"]["channel"] == "web"


def test_a_public_api_filing_also_files_through_the_web_channel(client, engine):
    sent = client.post("/api/v1/public/reports", json={"type": "complaint",
                                                       "data": intake_data("complaint", channel="hotline")})
    assert sent.status_code == 201, sent.get_json()
    auditor = engine.actor_for("auditor1")
    case = engine.list_cases(auditor, per_page=1)["items"][0]
    assert engine.get_case(auditor, case["id"])["data"]["channel"] == "web"
    staff = engine.file_case(engine.actor_for("intake1"), "complaint", intake_data("complaint", channel="hotline"))
    assert engine.get_case(auditor, staff["id"])["data"]["channel"] == "hotline"  # staff say how it came
