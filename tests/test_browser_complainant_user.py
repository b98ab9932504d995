"""The complainant in a real browser, in Chinese and in English (issue 10, point 7): a public filer
files a complaint with a file, keeps the receipt through a reload and a language switch, follows
the case, reads staff's message and answers it with a file; a whistleblower files anonymously
(identity fields hidden and cleared) and finds the integrity office's triage note in the mailbox."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_steps import LANGS, in_language, receipt_of, track, words
from tests.factories import intake_data
from tests.test_browser import fill_intake, live_server, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# what this test types itself (its data, not the app's words)
TYPED = {"线索具体", "我们已受理您的举报。"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_public_filer_files_once_follows_the_case_and_answers_with_a_file(live_server, page, engine, lang, tmp_path):  # noqa: F811
    evidence = tmp_path / "photo-of-box.txt"
    evidence.write_text("a photo of the broken box")
    page.goto(f"{live_server}/report/complaint?lang={lang}")
    in_language(page, lang, TYPED)
    for name in ("complainant_name", "subject", "description"):  # required fields carry a visible mark
        expect(page.locator(f"#field-{name} .req")).to_be_visible()
    data = intake_data("complaint")
    fill_intake(page, {k: v for k, v in data.items() if k != "channel" and page.locator(f'[name="{k}"]').count()})
    page.set_input_files("#f-attachments", str(evidence))
    page.click("form.schema-form button[type=submit]")
    page.wait_for_url(f"{live_server}/filed")
    number = page.locator(".case-number").inner_text()
    receipt = receipt_of(page)

    page.reload()  # the receipt page is shown again, nothing is filed twice
    assert receipt_of(page) == receipt
    page.click("a.lang-switch")  # the other language keeps the receipt
    assert receipt_of(page) == receipt and page.locator(".case-number").inner_text() == number
    assert [c["number"] for c in engine.list_cases(engine.actor_for("admin1"))["items"]] == [number]

    staff = engine.actor_for("intake1")
    case_id = engine.list_cases(staff, q=number)["items"][0]["id"]
    engine.write_to_complainant(staff, case_id, "请补充包装破损的照片。")

    track(page, live_server, receipt, lang)
    in_language(page, lang, TYPED)
    expect(page.locator("#filed-files")).to_contain_text("photo-of-box.txt")  # the file filed is shown back
    expect(page.locator("ul.messages")).to_contain_text("请补充包装破损的照片。")
    page.fill("#body", words(lang, "照片已附上。", "The photo is attached."))
    page.set_input_files("#f-attachments", str(evidence))
    page.click("form[action$='/track/message'] button[type=submit]")
    expect(page.locator("[role=status]")).to_be_visible()
    answer = page.locator("li.message.from-complainant")
    expect(answer).to_contain_text(words(lang, "照片已附上。", "The photo is attached."))
    expect(answer.locator(".files")).to_contain_text("photo-of-box.txt")  # a file sent through /track is shown back
    page.reload()  # re-sending the form posts nothing twice
    expect(page.locator("li.message.from-complainant")).to_have_count(1)
    page.click(".lang-switch")  # the other language shows the same case, no code typed again
    in_language(page, "en" if lang == "zh_CN" else "zh_CN", TYPED)
    expect(page.locator("main h1")).to_contain_text(number)
    expect(page.locator("#filed-files")).to_contain_text("photo-of-box.txt")
    messages = engine.get_case(staff, case_id)["messages"]
    assert [m["body"] for m in messages].count(words(lang, "照片已附上。", "The photo is attached.")) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_a_whistleblower_reports_anonymously_and_reads_the_triage_note(live_server, page, engine, work, lang,  # noqa: F811
                                                                       tmp_path):
    evidence = tmp_path / "receipt-scan.txt"
    evidence.write_text("a scanned receipt")
    page.goto(f"{live_server}/report/internal_report?lang={lang}")
    in_language(page, lang, TYPED)
    expect(page.locator("#field-facts .req")).to_be_visible()
    data = intake_data("internal_report")
    fill_intake(page, {k: v for k, v in data.items() if k != "anonymous"})
    page.check("#f-anonymous")  # the anonymous choice hides and clears who is reporting
    for name in ("reporter_name", "reporter_contact", "reporter_department"):
        expect(page.locator(f"#field-{name}")).to_be_hidden()
    page.uncheck("#f-anonymous")
    assert page.input_value("#f-reporter_name") == "" and page.input_value("#f-reporter_contact") == ""
    page.check("#f-anonymous")
    page.set_input_files("#f-attachments", str(evidence))  # a report takes files at filing too
    page.dblclick("form.schema-form button[type=submit]")  # a double submit files one report
    page.wait_for_url(f"{live_server}/filed")
    number = page.locator(".case-number").inner_text()
    receipt = receipt_of(page)

    integ1 = engine.actor_for("integ1")
    assert [c["number"] for c in engine.list_cases(integ1)["items"]] == [number]  # filed once
    case = engine.list_cases(integ1, q=number)["items"][0]
    stored = engine.get_case(integ1, case["id"])
    assert stored["anonymous"] is True
    assert not {"reporter_name", "reporter_contact", "reporter_department"} & set(stored["data"])  # nothing of who
    work(case["id"], "triage", "integ1", decision="accept", reason="线索具体",
         note_to_reporter="感谢您提供的线索，我们将认真核查。")

    track(page, live_server, receipt, lang)
    in_language(page, lang, TYPED)
    expect(page.locator("ul.messages")).to_contain_text("感谢您提供的线索，我们将认真核查。")  # the note reached the mailbox
    expect(page.locator("#filed-files")).to_contain_text("receipt-scan.txt")
