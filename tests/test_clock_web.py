"""The clock in the browser and the API: the admin's working-calendar page (warning, add a holiday,
import a year), the notifications page, the case page's clock panel (pause, resume, extension),
the inbox's provisional mark and filters, and the clock endpoints of /api/v1."""
from __future__ import annotations

from datetime import date

from tests.test_clock_support import at, end_of, fire
from tests.factories import every


def accepted(clock, make_case, work, when=None):
    clock.set(when or at(2026, 11, 2, 9))
    case_id = make_case(by="intake1")["id"]
    work(case_id, "review", "intake1", decision="accept", reason="受理", complex=False)
    return case_id


def test_calendar_page_warns_adds_a_holiday_and_imports_a_year(login, clock, make_case, work, engine):
    case_id = accepted(clock, make_case, work, at(2026, 12, 28, 10))
    admin = login("admin1")
    page = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert 'id="import-warning"' in page and "2027" in page
    assert admin.get("/admin/calendar?year=2026").status_code == 200
    assert login("quality1").get("/admin/calendar").status_code == 403
    resp = admin.post("/admin/calendar/days", data={"day": "2027-01-04", "working": "0", "name": "元旦补休"})
    assert resp.status_code == 302
    assert engine.get_case(engine.actor_for("quality1"), case_id)["deadlines"]["resolve_due"] == end_of(date(2027, 1, 6))
    assert 'data-day="2027-01-04"' in admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    resp = admin.post("/admin/calendar/import", data={"year": "2027", "schedule": "2027-01-01 holiday 元旦\n"})
    assert resp.status_code == 302
    # The import replaced the admin's entry: 1-4 is a working day again.
    assert engine.get_case(engine.actor_for("quality1"), case_id)["deadlines"]["resolve_due"] == end_of(date(2027, 1, 5))
    assert engine.case_clock(engine.actor_for("quality1"), case_id)["provisional"] == []
    page = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert 'id="import-warning"' not in page or "2028" in page
    bad = admin.post("/admin/calendar/import", data={"year": "2027", "schedule": "1 Jan holiday"}, follow_redirects=True)
    assert "line 1" in bad.get_data(as_text=True)


def test_case_page_pauses_resumes_and_asks_for_an_extension(login, clock, make_case, work, engine):
    case_id = accepted(clock, make_case, work)
    q1 = login("quality1")
    page = q1.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="clock"' in page and "/clock/pause" in page
    q1.post(f"/cases/{case_id}/clock/pause", data={"kind": "expert_review", "reason": "送检"})
    assert 'id="clock-paused"' in q1.get(f"/cases/{case_id}").get_data(as_text=True)
    clock.set(at(2026, 11, 4, 9))
    q1.post(f"/cases/{case_id}/clock/resume")
    assert engine.get_case(engine.actor_for("quality1"), case_id)["deadlines"]["resolve_due"] == end_of(date(2026, 11, 11))
    q1.post(f"/cases/{case_id}/clock/extensions", data={"working_days": "2", "reason": "厂家检测"})
    sup = login("supervisor1")
    page = sup.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "/clock/extensions/" in page
    request_id = engine.case_clock(engine.actor_for("supervisor1"), case_id)["extensions"][0]["id"]
    sup.post(f"/cases/{case_id}/clock/extensions/{request_id}", data={"approved": "1", "comment": "同意"})
    assert engine.get_case(engine.actor_for("quality1"), case_id)["deadlines"]["resolve_due"] == end_of(date(2026, 11, 13))


def test_inbox_marks_provisional_and_filters_overdue(login, clock, make_case, work, runner):
    accepted(clock, make_case, work, at(2026, 12, 28, 10))
    q1 = login("quality1")
    page = q1.get("/inbox").get_data(as_text=True)
    assert "badge-provisional" in page
    assert 'data-element="investigate"' not in q1.get("/inbox?filter=overdue").get_data(as_text=True)
    fire(runner, clock, at(2027, 1, 6, 0, 1))
    assert 'data-element="investigate"' in q1.get("/inbox?filter=overdue").get_data(as_text=True)


def test_notifications_page_lists_and_marks_read(login, clock, make_case, work, runner, engine):
    case_id = accepted(clock, make_case, work)
    fire(runner, clock, at(2026, 11, 9, 0, 0))
    q1 = login("quality1")
    page = q1.get("/notifications").get_data(as_text=True)
    assert "催办" in page and 'data-kind="reminder"' in page
    note_id = every(engine.list_notifications, engine.actor_for("quality1"))[0]["id"]
    q1.post(f"/notifications/{note_id}/read")
    assert "催办" not in q1.get("/notifications?unread=1").get_data(as_text=True)
    assert case_id


def test_clock_api(client, api, clock, make_case, work, engine):
    case_id = accepted(clock, make_case, work)
    h = api("quality1")
    assert client.get(f"/api/v1/cases/{case_id}/clock", headers=h).get_json()["paused"] is False
    resp = client.post(f"/api/v1/cases/{case_id}/clock/pause", headers=h, json={"kind": "other"})
    assert resp.status_code == 400 and "reason" in resp.get_json()["details"]
    assert client.post(f"/api/v1/cases/{case_id}/clock/pause", headers=h,
                       json={"kind": "correction", "reason": "等待补充材料"}).get_json()["paused"] is True
    assert client.post(f"/api/v1/cases/{case_id}/clock/pause", headers=h,
                       json={"kind": "correction", "reason": "x"}).status_code == 409
    assert client.post(f"/api/v1/cases/{case_id}/clock/resume", headers=h).get_json()["paused"] is False
    ext = client.post(f"/api/v1/cases/{case_id}/clock/extensions", headers=h, json={"working_days": 31, "reason": "x"})
    assert ext.status_code == 400
    ext = client.post(f"/api/v1/cases/{case_id}/clock/extensions", headers=h, json={"working_days": 2, "reason": "x"})
    request_id = ext.get_json()["extensions"][0]["id"]
    undecided = client.post(f"/api/v1/extensions/{request_id}/decision", headers=api("supervisor1"), json={})
    assert undecided.status_code == 400 and "approved" in undecided.get_json()["details"]
    decided = client.post(f"/api/v1/extensions/{request_id}/decision", headers=api("supervisor1"),
                          json={"approved": True})
    assert decided.status_code == 200 and decided.get_json()["extension_rule"]["used"] == 2
    assert client.get("/api/v1/notifications?unread=1", headers=api("supervisor1")).status_code == 200
    admin = api("admin1")
    assert client.get("/api/v1/calendar/2027", headers=h).status_code == 403
    assert 2027 in client.get("/api/v1/calendar/2027", headers=admin).get_json()["years_needing_import"]
    assert client.put("/api/v1/calendar/days/2027-01-04", headers=admin, json={"working": False}).status_code == 200
    done = client.post("/api/v1/calendar/2026/import", headers=admin, json={}).get_json()
    assert done["year"] == 2026 and done["days"] > 20


def test_cli_imports_a_year_from_a_file(runner, tmp_path, engine):
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-02-05..2027-02-11 holiday 春节\n2027-02-14 working 春节调休\n", "utf-8")
    result = runner.invoke(args=["calendar", "import", "--year", "2027", "--file", str(notice)])
    assert result.exit_code == 0 and "8 day(s)" in result.output
    cal = engine.calendar_year(engine.actor_for("admin1"), 2027)
    assert cal["official"] and {"day": "2027-02-14", "weekday": 7, "working": True, "name": "春节调休",
                                "source": "official"} in cal["days"]
    assert runner.invoke(args=["outbox", "send"]).exit_code == 1  # no SMTP configured: says so
