"""Staff in a real browser, in Chinese and in English (issue 10, point 7): intake finds work in the
inbox (columns, sorting, full-text search within need-to-know), claims a task straight into it and
writes to the complainant, whose answer shows on both sides; a department handler attaches a file
to the investigation; the supervisor approves reading the earlier results as labelled sections;
a tender investigator's refused choice comes back on the same form; the integrity office reads a
whistleblower's case headed as a report, with the triage note among its messages."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_steps import LANGS, OTHER_COMPLAINT, first_column, in_language, one_line, sign_in, track, words
from tests.test_browser import live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# what this test types itself (its data, not the app's words)
TYPED = {*OTHER_COMPLAINT.values(), "受理", "线索具体", "我们已受理您的举报。"}


def open_task_id(engine, username: str, case_id: int, element_id: str) -> int:
    tasks = engine.get_case(engine.actor_for(username), case_id)["open_tasks"]
    return next(t["id"] for t in tasks if t["element_id"] == element_id)



@pytest.mark.parametrize("lang", LANGS)
def test_intake_finds_claims_and_writes_to_the_complainant(live_server, page, engine, make_case, lang):  # noqa: F811
    wanted = make_case("complaint")
    other = make_case("complaint", **OTHER_COMPLAINT)
    hidden = make_case("internal_report")  # intake may not see a report, nor find it
    assert sign_in(page, live_server, "intake1", lang) == "/inbox"
    in_language(page, lang, TYPED)
    headers = page.locator("#available-tasks thead th").all_inner_texts()
    for label in words(lang, "事由 投诉人 办理时限 状态", "Subject Complainant Due Status").split():
        assert any(label in h for h in headers), (label, headers)
    row = page.locator("#available-tasks tr", has_text=wanted["number"])
    expect(row.locator("td.subject")).to_have_text("卷烟包装破损")
    expect(row.locator("td.complainant")).to_have_text("王小明")
    assert first_column(page, "#available-tasks") == [wanted["number"], other["number"]]  # soonest due first
    page.click("nav.sort a:nth-of-type(2)")  # sorted newest first
    expect(page.locator("nav.sort a[aria-current]")).to_have_text(words(lang, "最新到达在前", "newest first"))
    assert first_column(page, "#available-tasks") == [other["number"], wanted["number"]]

    for q, found in (("两条卷烟", wanted), ("李四", other), ("回扣", None), (hidden["number"], None)):
        page.fill("#inbox-q", q)
        page.click("form.search button[type=submit]")
        expect(page.locator("#inbox-q")).to_have_value(q)
        assert first_column(page, "#available-tasks") == ([found["number"]] if found else []), q
    page.fill("#inbox-q", "王小明")
    page.click("form.search button[type=submit]")
    page.click("a.lang-switch")  # the other language keeps the search
    in_language(page, "en" if lang == "zh_CN" else "zh_CN", TYPED)
    expect(page.locator("#inbox-q")).to_have_value("王小明")
    assert first_column(page, "#available-tasks") == [wanted["number"]]
    page.click("a.lang-switch")

    page.locator("#available-tasks tr", has_text=wanted["number"]).locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))  # claiming opens the task
    release = page.locator(f"form[action$='/unclaim'] button").inner_text()
    assert release.strip() and "退回" not in release and "send back" not in release.lower()  # releasing is not 退回

    page.goto(f"{live_server}/cases/{wanted['id']}")
    expect(page.locator("#messages-title")).to_have_text(words(lang, "与投诉人的往来消息", "Messages with the complainant"))
    page.fill("#f-body", "请问包装破损的是哪两条？")
    page.click("#write-to-complainant button[type=submit]")
    expect(page.locator("ul.messages")).to_contain_text("请问包装破损的是哪两条？")
    one_line(page.locator("main ul.messages time"))  # times are not wrapped

    page.context.clear_cookies()  # the complainant reads it on /track and answers
    track(page, live_server, wanted["receipt"], lang)
    expect(page.locator("ul.messages")).to_contain_text("请问包装破损的是哪两条？")
    page.fill("#body", "是十月三十日订单里的两条。")
    page.click("form[action$='/track/message'] button[type=submit]")
    expect(page.locator("li.message.from-complainant")).to_contain_text("是十月三十日订单里的两条。")

    sign_in(page, live_server, "intake1", lang)
    page.goto(f"{live_server}/cases/{wanted['id']}")
    expect(page.locator("ul.messages")).to_contain_text("是十月三十日订单里的两条。")  # the answer on staff's side


@pytest.mark.parametrize("lang", LANGS)
def test_a_handler_attaches_a_file_and_the_supervisor_reads_labelled_results(live_server, page, engine, make_case,  # noqa: F811
                                                                               work, lang, tmp_path):
    report = tmp_path / "inspection.txt"
    report.write_text("warehouse inspection")
    case = make_case("complaint", by="intake1", category="quality")
    work(case["id"], "review", "intake2", decision="accept", reason="受理", complex=False)

    sign_in(page, live_server, "quality1", lang)
    page.locator("#available-tasks tr", has_text=case["number"]).locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    in_language(page, lang, TYPED)
    page.fill("#f-root_cause", "仓储搬运不当")
    page.select_option("#f-responsibility", "company")
    page.select_option("#f-remedy", "exchange")
    page.fill("#f-remedy_detail", "三日内换货")
    page.set_input_files("#f-attachments", str(report))
    page.click("form.schema-form button[type=submit]")
    page.wait_for_url(lambda url: "/tasks/" not in url or "/complete" not in url)
    files = engine.get_case(engine.actor_for("quality1"), case["id"])["attachments"]
    assert [(f["filename"], f["uploaded_by"]) for f in files] == [("inspection.txt", "quality1")]
    page.goto(f"{live_server}/cases/{case['id']}")
    expect(page.locator("main")).to_contain_text("inspection.txt")  # shown back to the handler who sent it

    approve = open_task_id(engine, "supervisor1", case["id"], "approve")
    sign_in(page, live_server, "supervisor1", lang)
    page.goto(f"{live_server}/inbox")
    page.locator(f"tr[data-task-id='{approve}'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/tasks/{approve}")
    sections = page.locator("section.step-result")
    expect(sections.first).to_be_visible()  # earlier results are shown open, as labelled sections
    shown = " ".join(sections.all_inner_texts())
    for label, value in ((words(lang, "原因分析", "Root cause"), "仓储搬运不当"),
                         (words(lang, "责任认定", "Responsibility"), words(lang, "本公司", "Company")),
                         (words(lang, "处理方式", "Remedy"), words(lang, "换货", "Exchange"))):
        assert label in shown and value in shown, (label, value, shown)
    main = page.locator("main").inner_text()
    for raw in ("root_cause", "remedy_detail", "responsibility", "{\""):
        assert raw not in main, raw
    assert not re.search(r"\d{4}-\d{2}-\d{2} 00:00", main)  # midnight reads as 24:00 of the day before
    expect(page.locator("main")).to_contain_text("inspection.txt")  # the handler's file is shown with the case
    page.check("#f-approved")
    page.click("form.schema-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    assert "approve" not in [t["element_id"] for t in engine.get_case(engine.actor_for("supervisor1"), case["id"])["open_tasks"]]


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_second_investigator_is_a_field_error_on_the_same_form(live_server, page, engine, make_case,  # noqa: F811
                                                                         work, lang):
    case = make_case("tender_complaint", by="clerk1")
    work(case["id"], "acceptance_review", "clerk1", decision="accept")
    work(case["id"], "suspension", "thead1", suspend_tender=False)
    task_id = open_task_id(engine, "tinv1", case["id"], "investigation")
    sign_in(page, live_server, "tinv1", lang)
    page.goto(f"{live_server}/inbox")
    page.locator(f"tr[data-task-id='{task_id}'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/tasks/{task_id}")
    expect(page.locator("#field-findings .req")).to_be_visible()
    page.fill("#f-findings", "评分表第3项计算有误")
    page.fill("#f-evidence_reviewed", "评标报告")
    page.select_option("#f-second_investigator", "tinv1")  # the group's members are offered; choose yourself
    page.click("form.schema-form button[type=submit]")
    error = page.locator("#field-second_investigator .field-error")
    expect(error).to_have_text(re.compile(words(lang, "不能是您本人", "must be someone else")))
    assert page.input_value("#f-findings") == "评分表第3项计算有误"  # what was typed is kept
    assert "check_investigators" not in page.content() and page.locator("h1").inner_text() not in ("无法受理", "")
    assert page.locator("form.schema-form").count() >= 1


@pytest.mark.parametrize("lang", LANGS)
def test_the_integrity_office_reads_a_report_headed_as_a_report(live_server, page, engine, make_case, work, lang):  # noqa: F811
    case = make_case("internal_report")
    sign_in(page, live_server, "integ1", lang)
    row = page.locator("#available-tasks tr", has_text=case["number"])
    expect(row.locator("td.complainant")).to_have_text(words(lang, "保密", "confidential"))  # the reporter is masked
    assert "赵举报" not in page.locator("main").inner_text()
    work(case["id"], "triage", "integ1", decision="accept", reason="线索具体", note_to_reporter="我们已受理您的举报。")
    page.goto(f"{live_server}/cases/{case['id']}")
    in_language(page, lang, TYPED)
    heading = page.locator("#messages-title").inner_text()
    assert heading == words(lang, "与举报人的往来消息", "Messages with the reporter"), heading
    assert "投诉人" not in heading and "complainant" not in heading.lower()
    expect(page.locator("ul.messages")).to_contain_text("我们已受理您的举报。")  # the triage note is among the messages
    one_line(page.locator("main time"))
    page.goto(f"{live_server}/cases/{case['id']}/history")
    one_line(page.locator(".timeline-entry time"))
