"""Every page reads in the reader's language (issue #10, point 2).

One database, built once for the module through the real engine: cases of the three shipped types
in several states (new, under way, paused, waiting for the complainant, decided, closed), with a
declared conflict and a recusal, comments, messages both ways, an uploaded file, a saved filter.
Then every GET route of the app that draws HTML is fetched as each demo user (and anonymously for
the public pages), in Chinese and in English, and each page must read in its language
(tests/page_words.py): no 5xx, no raw identifiers of the processes, no untranslated catalogue
strings on Chinese pages, no Chinese from the app, diagrams or forms on English pages.

A route this walk neither fills nor skips (with its reason, in SKIPPED) fails the test, so a new
page is walked from the day it is added.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.clocks.clock import FakeClock
from engine.errors import Forbidden
from tests.conftest import DEMO_PASSWORD, TEST_FIELD_KEY, _fresh_database_url
from engine.demo import DEMO_USERS
from tests.factories import intake_data
from tests.page_words import empty_translations, problems

SHANGHAI = ZoneInfo("Asia/Shanghai")
LANGS = ("zh_CN", "en")

# Staff who see different things: each role, and a member of each kind of lane.
STAFF = ("admin1", "owner1", "auditor1", "intake1", "quality1", "supervisor1", "followup1", "clerk1", "tinv1",
         "thead1", "disc1", "integ1", "inv1", "comm1")

# GET routes that draw no HTML page, or need what this walk cannot make; each with why.
SKIPPED = {
    "static": "files, not pages",
    "cases.attachment": "a download (the file as uploaded)",
    "cases.export_file": "a download (PDF or JSON of the case)",
    "cases.export_list": "a download (CSV or XLSX)",
    "audit.export": "a download (CSV)",
    "task_operations.print_pdf": "a download (PDF)",
    "reports.summary_pdf": "a download (PDF)",
    "modeler.version_files": "JSON for the modeler's script",
    "modeler.groups": "JSON for the modeler's script",
    "auth.login_code": "the second sign-in step: only after a password, for a user with a second factor",
    "public.filed": "the receipt page right after filing: walked by tests/test_web_public.py (needs the filing's "
                    "one-time session key)",
}

# Text the walk typed itself: user data, not the app's words (English, so a Chinese one on an
# English page comes from the app).
TYPED = {
    "complainant_name": "Wang Xiaoming", "subject": "Wrapper torn on delivery",
    "description": "Two packs in the order of 30 October arrived with torn wrappers.",
    "requested_remedy": "Replacement packs", "order_ref": "ORD-2026-0042",
    "tender_name": "Eastern Construction Ltd", "address": "100 Century Avenue, Shanghai", "contact": "Li Gong",
    "project": "South Sewage Works Upgrade", "tenderer": "South Water Group", "agency": "Honest Tender Agency",
    "facts": "The evaluation committee did not score by the published criteria.",
    "requests": "Evaluate the bids again.", "basis": "Tender Law Regulations, article 60",
    "reporter": "Zhao Reporter", "reporter_dept": "Finance", "accused": "Qian Accused", "accused_dept": "Purchasing",
    "report_facts": "In September a buyer took kickbacks from a supplier.",
    "reason": "Within our remit.", "root_cause": "The sealing line ran too cold.", "remedy_detail": "Two packs replaced.",
    "approve_comment": "Agreed.", "reply": "We replaced the two packs and checked the line.", "followup": "Happy now.",
    "reject_reason": "Outside what we handle.", "reject_reply": "We cannot take this complaint; ask your bank.",
    "findings": "The scores were checked against the criteria.", "evidence": "Score sheets of all members.",
    "decision": "The complaint is dismissed.", "question": "When did the gift arrive?",
    "team_note": "Two investigators.", "pause": "Samples sent to the lab.", "comment": "Please look at the photos.",
    "to_complainant": "We have received your photos.", "from_complainant": "Here is one more photo.",
    "party": "Eastern Construction Ltd", "relation": "My brother-in-law works there.",
    "recusal": "I know the complainant.", "filter": "My overdue", "file": "photo.txt",
    "decide_text": "A written warning.", "triage_note": "Thank you; we are looking into it.",
    "suspend_reason": "No need to stop the tender.", "correction": "Please send the score sheet.",
}


def typed_values() -> set[str]:
    return set(TYPED.values()) | {"13800138000", "wang@example.com", "zhao@example.com", "021-55550000",
                                  "ZB-2026-118"}


@pytest.fixture(scope="module")
def walk_app(tmp_path_factory):
    from webapp import create_app

    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
    app = create_app({
        "TESTING": True, "DATABASE_URL": _fresh_database_url(tmp_path_factory.mktemp("walk")),
        "SECRET_KEY": "test-secret", "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY, "CLOCK": clock,
        "WTF_CSRF_ENABLED": False, "FAST_PASSWORD_HASHING": True, "RATELIMIT_ENABLED": False,
    })
    engine = app.extensions["complaintflow"]
    engine.seed_demo_users(DEMO_PASSWORD)
    data = build(engine, clock)
    yield app, data
    engine.close()


def _file(type_key: str, by: str | None, engine, anonymous: bool = False, files=(), **overrides) -> dict:
    t = TYPED
    english = {
        "complaint": dict(complainant_name=t["complainant_name"], subject=t["subject"], description=t["description"],
                          requested_remedy=t["requested_remedy"]),
        "tender_complaint": dict(complainant_name=t["tender_name"], complainant_address=t["address"],
                                 contact_person=t["contact"], project_name=t["project"], tenderer=t["tenderer"],
                                 respondent=t["tenderer"], agency=t["agency"], facts=t["facts"],
                                 requests=t["requests"], legal_basis=t["basis"]),
        "internal_report": dict(reporter_name=t["reporter"], reporter_department=t["reporter_dept"],
                                accused_name=t["accused"], accused_department=t["accused_dept"],
                                facts=t["report_facts"]),
    }[type_key]
    if type_key == "tender_complaint" and not files:
        files = [{"filename": "evidence.pdf", "content_type": "application/pdf", "data": b"%PDF-1.4 evidence"}]
    data = intake_data(type_key, **{**english, **overrides})
    if anonymous:
        for name in ("reporter_name", "reporter_contact", "reporter_department"):
            data.pop(name, None)
        data["anonymous"] = True
    actor = engine.actor_for(by) if by else None
    return engine.file_case(actor, type_key, data, list(files), anonymous=anonymous)


def _work(engine, case_id: int, element_id: str, username: str, **data) -> dict:
    who = engine.actor_for(username)
    task = next(t for t in engine.get_case(who, case_id)["open_tasks"] if t["element_id"] == element_id)
    if task["assignee"] != username:
        engine.claim_task(who, task["id"])
    return engine.complete_task(who, task["id"], data)


def _open_task(engine, case_id: int, element_id: str) -> int:
    case = engine.get_case(engine.actor_for("auditor1"), case_id)
    return next(t["id"] for t in case["open_tasks"] if t["element_id"] == element_id)


def build(engine, clock: FakeClock) -> dict:
    """The walk's cases, through the real engine; answers what the URLs are filled with."""
    t = TYPED
    photo = [{"filename": t["file"], "content_type": "text/plain", "data": b"a photo, in words"}]
    cases: dict[str, int] = {}
    receipts: dict[str, str] = {}

    new = _file("complaint", None, engine, files=photo)
    cases["complaint_new"], receipts["complaint_new"] = new["id"], new["receipt"]
    engine.post_public_message(new["receipt"], t["from_complainant"], photo)

    working = _file("complaint", "intake1", engine, category="quality")
    cases["complaint_investigating"] = working["id"]
    receipts["complaint_investigating"] = working["receipt"]
    _work(engine, working["id"], "review", "intake1", decision="accept", reason=t["reason"], complex=False)
    quality1 = engine.actor_for("quality1")
    engine.claim_task(quality1, _open_task(engine, working["id"], "investigate"))
    engine.pause_clock(quality1, working["id"], "expert_review", t["pause"])
    engine.add_comment(quality1, working["id"], t["comment"])
    engine.write_to_complainant(quality1, working["id"], t["to_complainant"])
    engine.post_public_message(working["receipt"], t["from_complainant"])

    approving = _file("complaint", "intake1", engine, category="quality")
    cases["complaint_approving"] = approving["id"]
    _work(engine, approving["id"], "review", "intake2", decision="accept", reason=t["reason"], complex=True)
    _work(engine, approving["id"], "investigate", "quality2", root_cause=t["root_cause"], responsibility="company",
          remedy="exchange", remedy_detail=t["remedy_detail"])

    closed = _file("complaint", "intake1", engine, category="quality")
    cases["complaint_closed"] = closed["id"]
    _work(engine, closed["id"], "review", "intake1", decision="accept", reason=t["reason"], complex=False)
    _work(engine, closed["id"], "investigate", "quality1", root_cause=t["root_cause"], responsibility="third_party",
          remedy="return", remedy_detail=t["remedy_detail"])
    _work(engine, closed["id"], "approve", "supervisor1", approved=True, comment=t["approve_comment"])
    _work(engine, closed["id"], "reply", "intake1", reply_text=t["reply"])
    _work(engine, closed["id"], "followup", "followup1", satisfaction="satisfied", comment=t["followup"])

    rejected = _file("complaint", "intake1", engine, category="billing")
    cases["complaint_rejected"] = rejected["id"]
    _work(engine, rejected["id"], "review", "intake1", decision="reject", reason=t["reject_reason"], complex=False)
    _work(engine, rejected["id"], "reply_rejection", "intake1", reply_text=t["reject_reply"])

    # a conflict declared before a tender complaint names the party: tinv3 is recused at filing
    engine.declare_conflict(engine.actor_for("tinv3"), t["party"], t["relation"], party_kind="organisation")
    tender_new = _file("tender_complaint", None, engine)
    cases["tender_new"] = tender_new["id"]
    correction = _file("tender_complaint", None, engine)
    cases["tender_correction"] = correction["id"]
    _work(engine, correction["id"], "acceptance_review", "clerk1", decision="request_correction",
          reason=t["correction"])
    tender = _file("tender_complaint", None, engine)
    cases["tender_investigating"] = tender["id"]
    _work(engine, tender["id"], "acceptance_review", "clerk1", decision="accept")
    _work(engine, tender["id"], "suspension", "thead1", suspend_tender=False, reason=t["suspend_reason"])
    tinv2 = engine.actor_for("tinv2")
    task_id = _open_task(engine, tender["id"], "investigation")
    engine.claim_task(tinv2, task_id)
    engine.recuse_from_task(tinv2, task_id, t["recusal"])
    decided = _file("tender_complaint", None, engine)
    cases["tender_discipline"] = decided["id"]
    _work(engine, decided["id"], "acceptance_review", "clerk1", decision="accept")
    _work(engine, decided["id"], "suspension", "thead1", suspend_tender=False, reason=t["suspend_reason"])
    _work(engine, decided["id"], "investigation", "tinv1", second_investigator="tinv2", findings=t["findings"],
          evidence_reviewed=t["evidence"])
    _work(engine, decided["id"], "decision", "thead1", outcome="rejected", decision_text=t["decision"],
          refer_discipline=True)

    report_new = _file("internal_report", None, engine, anonymous=True)
    cases["report_new"], receipts["report_new"] = report_new["id"], report_new["receipt"]
    asking = _file("internal_report", None, engine)
    cases["report_asking"], receipts["report_asking"] = asking["id"], asking["receipt"]
    _work(engine, asking["id"], "triage", "integ1", decision="accept", note_to_reporter=t["triage_note"])
    _work(engine, asking["id"], "form_team", "comm1", investigators=["inv1", "inv2"], note=t["team_note"])
    _work(engine, asking["id"], "investigate", "inv1", next_step="ask_reporter", question=t["question"])
    decided_report = _file("internal_report", None, engine)
    cases["report_decided"] = decided_report["id"]
    _work(engine, decided_report["id"], "triage", "integ1", decision="accept")
    _work(engine, decided_report["id"], "form_team", "comm1", investigators=["inv1", "inv2"])
    _work(engine, decided_report["id"], "investigate", "inv1", next_step="report", findings=t["findings"],
          substantiated="yes")
    _work(engine, decided_report["id"], "decide", "comm1", decision_text=t["decide_text"], refer_judicial=False,
          retaliation_risk="low")

    clock.advance(days=3)  # deadlines near, some passed: reminders and overdue marks drawn
    engine.fire_timers()
    filters = {u: engine.save_filter(engine.actor_for(u), t["filter"], {"due": "overdue"})["id"]
               for u in ("quality1", "intake1")}
    auditor = engine.actor_for("auditor1")
    members = {}
    for username, _name, _roles, groups in DEMO_USERS:
        for group in groups:
            members.setdefault(group, username)
    tasks, typed = {}, set()
    for case_id in cases.values():
        try:
            case = engine.get_case(auditor, case_id)
        except Forbidden:  # a sealed report: opened only with a reason, it has no open task
            continue
        typed |= {m["body"] for m in case["messages"]}  # written by the handlers for the complainant, in both languages
        for task in case["open_tasks"]:
            tasks[task["id"]] = {members.get(task["candidate_group"]), task["assignee"]} - {None}
    readers = {cases[key]: set(who.split()) for key, who in CASE_READERS.items()}
    return {"cases": cases, "receipts": receipts, "tasks": tasks, "filters": filters, "readers": readers,
            "typed": typed}


# who works each case besides the auditor and the admin (each page of a case is fetched as them)
CASE_READERS = {
    "complaint_new": "intake1", "complaint_investigating": "intake1 quality1",
    "complaint_approving": "supervisor1 quality1", "complaint_closed": "intake1 followup1 supervisor1",
    "complaint_rejected": "intake1", "tender_new": "clerk1", "tender_correction": "clerk1",
    "tender_investigating": "clerk1 thead1 tinv1", "tender_discipline": "thead1 disc1 tinv1",
    "report_new": "integ1", "report_asking": "integ1 comm1 inv1", "report_decided": "comm1 integ1",
}


def urls(app, data: dict) -> list[tuple[str, str, frozenset | None]]:
    """(endpoint, URL, who) for every walked GET page, its parameters filled from the data; `who`:
    the users it is fetched as besides the auditor and the admin (None: everyone walked)."""
    out = []
    unknown = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in SKIPPED:
            continue
        args = set(rule.arguments)
        if not args:
            out.append((rule.endpoint, rule.rule, None))
        elif args == {"case_id"}:
            out += [(rule.endpoint, rule.rule.replace("<id:case_id>", str(c)), frozenset(data["readers"][c]))
                    for c in data["cases"].values()]
        elif args == {"task_id"}:
            out += [(rule.endpoint, rule.rule.replace("<id:task_id>", str(t)), frozenset(who))
                    for t, who in data["tasks"].items()]
        elif args == {"key"}:
            out += [(rule.endpoint, rule.rule.replace("<key>", k), None)
                    for k in ("complaint", "tender_complaint", "internal_report")]
        elif args == {"key", "version"}:
            out += [(rule.endpoint, rule.rule.replace("<key>", k).replace("<int:version>", "1"), None)
                    for k in ("complaint", "tender_complaint", "internal_report")]
        elif args == {"type_key"}:
            out += [(rule.endpoint, rule.rule.replace("<type_key>", k), None)
                    for k in ("complaint", "tender_complaint", "internal_report")]
        elif args == {"username"}:
            out += [(rule.endpoint, rule.rule.replace("<username>", u), None) for u in ("intake1", "comm1")]
        elif args == {"filter_id"}:
            out += [(rule.endpoint, rule.rule.replace("<id:filter_id>", str(f)), frozenset([u])) for u, f in data["filters"].items()]
        else:
            unknown.append(f"{rule.endpoint} {rule.rule}")
    assert not unknown, ("routes the walk neither fills nor skips (fill their parameters in urls() or add "
                         "them to SKIPPED with a reason): " + ", ".join(sorted(unknown)))
    return sorted(set(out), key=lambda page: page[1])


def _signed_in(app, username: str | None):
    client = app.test_client()
    if username:
        resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert resp.status_code in (302, 303), username
    return client


def test_the_catalogue_translates_every_string():
    assert not empty_translations(), f"msgids without a translation: {empty_translations()}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_reads_in_its_language(walk_app, lang):
    app, data = walk_app
    pages = urls(app, data)
    typed = typed_values() | data["typed"]
    found, seen, served = [], 0, set()
    for username in (None,) + STAFF:
        client = _signed_in(app, username)
        client.get(f"/?lang={lang}")
        for endpoint, url, who in pages:
            if who is not None and username not in who | {"admin1", "auditor1", None}:
                continue
            resp = client.get(url)
            status = resp.status_code
            assert status < 500, f"{url} as {username}: {status}"
            if status in (301, 302, 303) or not resp.mimetype == "text/html":
                continue
            if status == 200:
                served.add(endpoint)
            seen += 1
            for problem in problems(resp.get_data(as_text=True), lang, typed):
                found.append(f"{url} as {username or 'the public'}: {problem}")
    never = {e for e, *_ in pages} - served
    assert not never, f"pages no walked user could open (fill them better or skip them): {sorted(never)}"
    assert not found, f"{len(found)} problems on {seen} pages:\n" + "\n".join(_grouped(found))


def _grouped(found: list[str]) -> list[str]:
    """One line per distinct problem (with the first page it was seen on and how often)."""
    by_problem: dict[str, list[str]] = {}
    for line in found:
        where, problem = line.split(": ", 1)
        by_problem.setdefault(re.sub(r"….*", "", problem), []).append(f"{where}: {problem}")
    return [f"{lines[0]} (x{len(lines)})" for lines in by_problem.values()]
