"""Words of the engine's vocabulary read in the reader's language: message kinds, pause kinds,
holiday names, the "fill in at least one of" rule with the fields' labels."""
from __future__ import annotations

from tests.factories import intake_data
from tests.test_clock_web import accepted
from tests.test_web_public import as_form, field_block


def test_at_least_one_of_names_the_fields_by_their_labels_in_both_languages(client):
    form = as_form(intake_data("complaint", complainant_phone=None, complainant_email=None))
    chinese = client.post("/report/complaint", data=form).get_data(as_text=True)
    error = field_block(chinese, "complainant_phone").split('class="field-error"')[1].split(">", 1)[1]
    assert error.startswith("请至少填写以下一项：联系电话、电子邮箱")
    english = client.post("/report/complaint?lang=en", data=form).get_data(as_text=True)
    error = field_block(english, "complainant_phone").split('class="field-error"')[1].split(">", 1)[1]
    assert error.startswith("Fill in at least one of") and "complainant_email" not in error.split("</p>")[0]


def test_case_page_names_pause_and_message_kinds_in_chinese(login, clock, make_case, work, engine):
    case_id = accepted(clock, make_case, work)
    q1 = login("quality1")
    q1.post(f"/cases/{case_id}/clock/pause", data={"kind": "expert_review", "reason": "送检"})
    page = q1.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "· expert_review ·" not in page
    messages = page.split('class="meta"')[1:]
    assert messages and not any(f"· {kind}" in m.split("</p>")[0] for m in messages
                                for kind in ("acknowledgement", "notice", "reply", "decision"))


def test_holiday_names_are_translated(login):
    admin = login("admin1")
    admin.post("/admin/calendar/import", data={"year": "2027", "schedule": "2027-10-01 holiday National Day\n"})
    page = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "国庆节" in page and "<td>National Day</td>" not in page
