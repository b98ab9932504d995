"""Exports: a case file as PDF (the printable 处理单, Chinese rendered with a built-in CID font),
JSON and a print page; case lists as CSV and XLSX with the list's filters, read page by page;
identity masked per role; every export an audit event."""
from __future__ import annotations

import base64
import csv
import io
import re
import zlib

from engine.oversight import exports
from engine.models import Case
from tests.test_one_transaction import one_transaction, transactions  # noqa: F401  (a fixture)

API = "/api/v1"


def pdf_text(data: bytes) -> str:
    """The text a PDF shows (ReportLab's content streams; CID text is UTF-16-BE)."""
    shown = []
    for match in re.finditer(rb"<<([^>]*?)>>\s*stream\r?\n(.*?)endstream", data, re.S):
        head, body = match.group(1), match.group(2).strip()
        if b"ASCII85Decode" in head:
            body = base64.a85decode(body.removesuffix(b"~>"))
        if b"FlateDecode" in head:
            body = zlib.decompress(body)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", body, re.S):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
                         else m.group(1), literal)
            try:
                shown.append(raw.decode("utf-16-be") if len(raw) % 2 == 0 and b"\x00" in raw or raw[:1] >= b"\x4e"
                             else raw.decode("latin-1"))
            except UnicodeDecodeError:
                shown.append(raw.decode("latin-1"))
    return "".join(shown)


def _events(engine, case_id=None, kind=None):
    auditor = engine.actor_for("auditor1")
    found = engine.audit_events(auditor, kind=kind, case_id=case_id, limit=100)["items"]
    return found


def _driven(make_case, work, **overrides):
    case = make_case("complaint", by="intake1", **overrides)
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    return case


def test_the_case_file_as_pdf_is_the_printable_form_in_chinese(client, api, make_case, work, engine):
    case = _driven(make_case, work)
    resp = client.get(f"{API}/cases/{case['id']}/export", query_string={"format": "pdf", "lang": "zh_CN"},
                      headers=api("supervisor1"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    text = pdf_text(resp.data)
    for words in ("投诉处理单", case["number"], "一、投诉情况", "二、处理意见", "受理审查", "审查结论", "受理",
                  "四、处理记录", "立案", "经办人"):
        assert words in text, words
    english = pdf_text(client.get(f"{API}/cases/{case['id']}/export", query_string={"format": "pdf", "lang": "en"},
                                  headers=api("supervisor1")).data)
    assert "Complaint handling form" in english and "Decision" in english
    exported = [e for e in _events(engine, case["id"], "case_exported")]
    assert [e["detail"]["format"] for e in exported] == ["pdf", "pdf"] and exported[0]["actor"] == "supervisor1"


def test_the_case_file_as_json_has_facts_decisions_letters_and_timeline(client, api, make_case, work, engine):
    case = _driven(make_case, work)
    doc = client.get(f"{API}/cases/{case['id']}/export", query_string={"lang": "en"},
                     headers=api("supervisor1")).get_json()
    assert doc["case"]["number"] == case["number"]
    assert doc["facts"] and all(f["label"] for f in doc["facts"])
    review = next(d for d in doc["decisions"] if d["step"] == "Review")
    assert {"field": "decision", "label": "Decision", "old": None, "new": "Accept"} in review["changes"]
    assert doc["letters"] and doc["letters"][0]["direction"] == "to_complainant"
    assert doc["timeline"][0]["kind"] == "case_filed"
    assert [e["detail"]["format"] for e in _events(engine, case["id"], "case_exported")] == ["json"]


def test_a_confidential_file_needs_a_reason_and_never_shows_identity(client, api, make_case, engine):
    report = make_case("internal_report")
    with engine.ctx.db.transaction() as session:
        sealed = session.get(Case, report["id"]).personal_sealed
    secrets = [v for v in engine.ctx.cipher.open(sealed).values() if isinstance(v, str) and len(v) >= 2]
    auditor = api("auditor1")
    refused = client.get(f"{API}/cases/{report['id']}/export", query_string={"format": "pdf"}, headers=auditor)
    assert refused.status_code in (400, 422) and "reason" in refused.get_json()["details"]
    asked = {"format": "json", "reason": "annual file review"}
    doc = client.get(f"{API}/cases/{report['id']}/export", query_string=asked, headers=auditor)
    assert doc.status_code == 200 and all(s not in doc.get_data(as_text=True) for s in secrets)
    pdf = client.get(f"{API}/cases/{report['id']}/export", query_string={**asked, "format": "pdf"}, headers=auditor)
    assert all(s not in pdf_text(pdf.data) for s in secrets)
    reasons = [e["detail"].get("reason") for e in _events(engine, report["id"], "case_exported")]
    assert reasons == ["annual file review", "annual file review"]


def test_case_lists_export_with_the_filters_page_by_page(client, api, make_case, engine, monkeypatch):
    monkeypatch.setattr(exports, "PAGE", 2)  # five cases: three pages
    made = [make_case("complaint", by="intake1") for _ in range(5)]
    make_case("tender_complaint")
    resp = client.get(f"{API}/cases/export", query_string={"format": "csv", "type": "complaint", "lang": "en"},
                      headers=api("auditor1"))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Case number", "Type", "Status"]
    assert [r[0] for r in rows[1:]] == [c["number"] for c in reversed(made)]
    from openpyxl import load_workbook

    xlsx = client.get(f"{API}/cases/export", query_string={"format": "xlsx", "type": "complaint"},
                      headers=api("auditor1"))
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "案件编号" and [r[0] for r in values[1:]] == [c["number"] for c in reversed(made)]
    logged = _events(engine, kind="cases_exported")
    assert [(e["detail"]["format"], e["detail"]["count"], e["detail"]["filters"]) for e in logged] == [
        ("xlsx", 5, {"type": "complaint"}), ("csv", 5, {"type": "complaint"})]
    bad = client.get(f"{API}/cases/export", query_string={"format": "pdf", "status": "lost"}, headers=api("auditor1"))
    assert bad.status_code == 400 and set(bad.get_json()["details"]) == {"format", "status"}


def test_a_list_export_holds_only_what_the_reader_may_see(client, api, make_case):
    mine = make_case("complaint", by="intake1")
    report = make_case("internal_report")
    rows = client.get(f"{API}/cases/export", query_string={"format": "csv"}, headers=api("intake1")).data
    text = rows.decode("utf-8-sig")
    assert mine["number"] in text and report["number"] not in text


def test_the_case_and_list_pages_offer_the_exports(login, make_case, work):
    case = _driven(make_case, work)
    staff = login("supervisor1")
    page = staff.get(f"/cases/{case['id']}?lang=zh_CN").get_data(as_text=True)
    assert f"/cases/{case['id']}/export.pdf" in page and f"/cases/{case['id']}/print" in page
    printed = staff.get(f"/cases/{case['id']}/print").get_data(as_text=True)
    assert "投诉处理单" in printed and "审查结论: — → 受理" in printed and "经办人" in printed
    pdf = staff.get(f"/cases/{case['id']}/export.pdf")
    assert pdf.status_code == 200 and "投诉处理单" in pdf_text(pdf.data)
    listing = staff.get("/cases?type=complaint&status=open").get_data(as_text=True)
    assert "/cases/export.csv?" in listing and "status=open" in listing and "type=complaint" in listing
    exported = staff.get("/cases/export.csv?type=complaint&status=open").data.decode("utf-8-sig")
    assert case["number"] in exported and exported.startswith("案件编号")


def test_each_export_and_the_history_page_is_one_transaction(make_case, work, login, transactions):  # noqa: F811
    case = _driven(make_case, work)
    browser = login("supervisor1")
    for url in (f"/cases/{case['id']}/history", f"/cases/{case['id']}/print", f"/cases/{case['id']}/export.pdf",
                "/cases/export.csv?type=complaint", "/cases/export.xlsx"):
        assert one_transaction(transactions, lambda: browser.get(url)).status_code == 200, url
