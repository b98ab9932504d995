"""A rule a step's handler checks comes back as an error beside the field on the same task page,
in the reader's language, with everything typed still in the form; required fields are marked."""
from __future__ import annotations

import re

from tests.test_web_task_page import _open_task


def field_block(html: str, name: str) -> str:
    start = html.index(f'id="field-{name}"')
    following = re.compile(r'<div class="field[ "]').search(html, start)
    return html[start:following.start() if following else None]


def investigation_task(engine, make_case, work) -> tuple[dict, int]:
    case = make_case("tender_complaint")
    work(case["id"], "acceptance_review", "clerk1", decision="accept")
    work(case["id"], "suspension", "thead1", suspend_tender=False)
    return case, _open_task(engine, case["id"], "investigation", "tinv1")


def test_choosing_yourself_as_second_investigator_is_a_field_error_with_input_kept(login, engine, make_case, work):
    case, task_id = investigation_task(engine, make_case, work)
    web = login("tinv1")
    form = {"findings": "评分表第3项计算有误", "evidence_reviewed": "评标报告", "second_investigator": "tinv1"}
    resp = web.post(f"/tasks/{task_id}/complete", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    block = field_block(html, "second_investigator")
    assert 'class="field-error"' in block and "不能是您本人" in block
    assert "评分表第3项计算有误" in field_block(html, "findings")  # what was typed is kept
    assert "check_investigators" not in html and case["number"] + ", task" not in html  # no internal ids
    english = web.post(f"/tasks/{task_id}/complete?lang=en", data=form).get_data(as_text=True)
    assert "must be someone else" in field_block(english, "second_investigator")
    # the task is still open and held: nothing was half-saved
    assert engine.get_task(engine.actor_for("tinv1"), task_id)["assignee"] == "tinv1"


def test_required_fields_are_marked(login, engine, make_case, work):
    _case, task_id = investigation_task(engine, make_case, work)
    html = login("tinv1").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'class="req"' in field_block(html, "findings")
    assert 'required' in field_block(html, "findings")


def test_midnight_reads_as_24_00_of_the_day_before_everywhere(app):
    from webapp.i18n import deadline, localtime

    with app.test_request_context("/"):
        midnight = "2026-11-30T16:00:00+00:00"  # 00:00 on 1 December in Shanghai
        assert localtime(midnight) == deadline(midnight) == "2026-11-30 24:00"
        assert localtime(midnight, "%Y-%m-%d %H:%M:%S") == "2026-11-30 24:00:00"
        assert localtime("2026-11-30T02:05:00+00:00") == "2026-11-30 10:05"
