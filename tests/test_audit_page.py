"""The audit page (/audit) and the log's CSV export: auditors only, filtered by who, kind, case
and period, paged by cursor; sign-ins, failed sign-ins, completed forms' changes and exports are
all in the log."""
from __future__ import annotations

import csv
import io
import re

API = "/api/v1"


def test_the_log_holds_sign_ins_failures_changes_and_exports(client, api, make_case, work, engine, login):
    login("intake2")
    client.post("/login", data={"username": "intake2", "password": "wrong-password"})
    case = make_case("complaint", by="intake1")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    client.get(f"{API}/cases/export", query_string={"format": "csv"}, headers=api("supervisor1"))
    auditor = engine.actor_for("auditor1")

    def kinds(**filters):
        return engine.audit_events(auditor, limit=100, **filters)["items"]

    assert [e["actor"] for e in kinds(kind="login_failed")] == ["intake2"]
    assert "intake2" in {e["actor"] for e in kinds(kind="login")}
    completed = kinds(kind="task_completed", case_id=case["id"])[0]
    assert completed["element_id"] == "review" and completed["actor"] == "intake2"
    assert {"field": "decision", "label": {"zh_CN": "审查结论", "en": "Decision"}, "old": None, "new": "accept",
            "new_label": {"zh_CN": "受理", "en": "Accept"}} in completed["detail"]["changes"]
    assert [e["kind"] for e in kinds(kind="task_created", case_id=case["id"])]
    assert kinds(kind="cases_exported")[0]["actor"] == "supervisor1"
    assert engine.verify_audit()["ok"]


def test_the_audit_page_filters_pages_and_speaks_chinese(login, make_case, clock, monkeypatch):
    from webapp import audit as audit_page

    monkeypatch.setattr(audit_page, "PER_PAGE", 3)
    first = make_case("complaint", by="intake1")
    clock.advance(days=2)
    make_case("complaint", by="intake2")
    auditor = login("auditor1")
    page = auditor.get(f"/audit?kind=case_filed&case={first['id']}&lang=zh_CN").get_data(as_text=True)
    assert "审计日志" in page and "立案" in page and first["number"] in page
    one_day = clock.now().date().isoformat()
    period = auditor.get(f"/audit?kind=case_filed&from={one_day}&to={one_day}").get_data(as_text=True)
    assert first["number"] not in period
    paged = auditor.get("/audit?actor=intake1").get_data(as_text=True)
    assert 'rel="next"' in paged  # more than one page of intake1's events
    after = re.search(r'href="([^"]+)" rel="next"', paged).group(1).replace("&amp;", "&")
    second = auditor.get(after).get_data(as_text=True)
    firsts = set(re.findall(r"<td>(\d+)</td>", paged))
    assert firsts and set(re.findall(r"<td>(\d+)</td>", second)).isdisjoint(firsts)
    later_kind = auditor.get("/audit?kind=task_delegated").get_data(as_text=True)  # a kind added elsewhere
    assert '<option value="task_delegated" selected>任务已委托</option>' in later_kind
    bad = auditor.get("/audit?case=abc&from=yesterday")
    assert bad.status_code == 400 and "案件编号应为整数" in bad.get_data(as_text=True)


def test_only_auditors_open_the_audit_page_and_its_export(login, client, api):
    assert login("admin1").get("/audit").status_code == 403
    assert login("intake1").get("/audit/export.csv").status_code == 403
    assert client.get(f"{API}/audit/export", headers=api("intake1")).status_code == 403


def test_the_log_exports_as_csv_with_its_filters_and_the_export_is_logged(client, api, make_case, engine, login):
    case = make_case("complaint", by="intake1")
    resp = client.get(f"{API}/audit/export", query_string={"case": case["id"]}, headers=api("auditor1"))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows and {r["case"] for r in rows} == {case["number"]}
    seqs = [int(r["seq"]) for r in rows]
    assert seqs == sorted(seqs, reverse=True)
    page = login("auditor1").get(f"/audit/export.csv?case={case['id']}")
    assert page.status_code == 200 and case["number"] in page.data.decode("utf-8-sig")
    logged = engine.audit_events(engine.actor_for("auditor1"), kind="audit_log_exported", limit=10)["items"]
    assert [e["detail"]["count"] for e in logged] == [len(rows), len(rows)]
    assert logged[0]["detail"]["filters"] == {"case": case["id"]}
