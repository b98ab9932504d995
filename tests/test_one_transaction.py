"""One request, one transaction: the hot pages and API calls get what they show — and check who
is asking — in exactly one database transaction; the complainant's receipt (a deliberately slow
hash) is verified once per request. A disabled account's session or token is refused inside
that transaction, before anything about a case or task is revealed."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, update

from engine import receipts
from engine.models import User
from tests.test_web_public import RECEIPT, as_form, file_report
from tests.factories import intake_data

API = "/api/v1"


@pytest.fixture
def transactions(engine):
    """`with transactions() as count:` ... `count["n"]` = BEGINs the database saw meanwhile."""

    @contextmanager
    def _count():
        seen = {"n": 0}

        def begun(_conn):
            seen["n"] += 1

        event.listen(engine.ctx.db.engine, "begin", begun)
        try:
            yield seen
        finally:
            event.remove(engine.ctx.db.engine, "begin", begun)

    return _count


@pytest.fixture
def receipt_checks(monkeypatch):
    """How many times a receipt was hashed to verify it."""
    calls = {"n": 0}
    original = receipts.check_receipt

    def counted(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(receipts, "check_receipt", counted)
    return calls


def held_review(engine, make_case, username="intake1"):
    """A complaint whose review task `username` holds: (case id, task id)."""
    case = make_case("complaint")
    who = engine.actor_for(username)
    task = next(t for t in engine.get_case(who, case["id"])["open_tasks"] if t["element_id"] == "review")
    engine.claim_task(who, task["id"])
    return case["id"], task["id"]


def one_transaction(transactions, call):
    with transactions() as count:
        response = call()
    assert count["n"] == 1, f"{count['n']} transactions for one request"
    return response


# --- staff in the browser ------------------------------------------------------------------------

def test_the_task_page_case_page_and_inbox_each_take_one_transaction(engine, make_case, login, transactions):
    case_id, task_id = held_review(engine, make_case)
    browser = login("intake1")
    page = one_transaction(transactions, lambda: browser.get(f"/tasks/{task_id}"))
    assert page.status_code == 200 and 'name="decision"' in page.get_data(as_text=True)
    page = one_transaction(transactions, lambda: browser.get(f"/cases/{case_id}"))
    assert page.status_code == 200 and 'id="clock"' in page.get_data(as_text=True)
    page = one_transaction(transactions, lambda: browser.get("/inbox"))
    assert page.status_code == 200 and f"/tasks/{task_id}" in page.get_data(as_text=True)
    page = one_transaction(transactions, lambda: browser.get(f"/cases/{case_id}/history"))
    assert page.status_code == 200


def test_completing_a_task_in_the_browser_is_one_transaction(engine, make_case, login, transactions, actor):
    case_id, task_id = held_review(engine, make_case)
    browser = login("intake1")
    form = {"decision": "accept", "reason": "受理"}
    done = one_transaction(transactions, lambda: browser.post(f"/tasks/{task_id}/complete", data=form))
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    case = engine.get_case(actor("auditor1"), case_id)
    assert [t["element_id"] for t in case["open_tasks"]] == ["investigate"]


def test_a_refused_form_is_one_transaction_shows_the_page_and_saves_nothing(engine, make_case, login,
                                                                             transactions, actor):
    case_id, task_id = held_review(engine, make_case)
    browser = login("intake1")
    events_before = engine.verify_audit()["events"]
    refused = one_transaction(transactions, lambda: browser.post(f"/tasks/{task_id}/complete",
                                                                 data={"decision": "no-such-decision"}))
    assert refused.status_code == 400 and 'name="decision"' in refused.get_data(as_text=True)
    case = engine.get_case(actor("auditor1"), case_id)
    assert [(t["element_id"], t["assignee"]) for t in case["open_tasks"]] == [("review", "intake1")]
    audit = engine.verify_audit()
    assert audit["ok"] and audit["events"] == events_before


def test_a_disabled_users_session_ends_at_their_next_request(engine, make_case, login, transactions):
    _case_id, task_id = held_review(engine, make_case)
    browser = login("intake1")
    with engine.ctx.db.transaction() as session:
        session.execute(update(User).where(User.username == "intake1").values(active=False))
    answer = one_transaction(transactions, lambda: browser.get(f"/tasks/{task_id}"))
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert browser.get("/inbox").status_code == 302  # signed out: no second try with the old session


# --- the API ---------------------------------------------------------------------------------------

def test_api_task_and_case_calls_take_one_transaction_with_the_token_check(engine, make_case, api, client,
                                                                          transactions):
    case_id, task_id = held_review(engine, make_case)
    headers = api("intake1")
    got = one_transaction(transactions, lambda: client.get(f"{API}/tasks/{task_id}", headers=headers))
    assert got.status_code == 200 and got.get_json()["element_id"] == "review"
    got = one_transaction(transactions, lambda: client.get(f"{API}/cases/{case_id}", headers=headers))
    assert got.status_code == 200
    done = one_transaction(transactions, lambda: client.post(
        f"{API}/tasks/{task_id}/complete", json={"data": {"decision": "accept", "reason": "受理", "complex": False}}, headers=headers))
    assert done.status_code == 200 and [t["element_id"] for t in done.get_json()["next_tasks"]] == ["investigate"]


def test_an_unknown_token_is_401_before_anything_is_looked_up(engine, make_case, api, client, transactions):
    _case_id, task_id = held_review(engine, make_case)
    headers = api("intake1")
    with engine.ctx.db.transaction() as session:
        session.execute(update(User).where(User.username == "intake1").values(active=False))
    for path in (f"{API}/tasks/{task_id}", f"{API}/tasks/{task_id + 1000}"):  # existing or not: same answer
        answer = one_transaction(transactions, lambda: client.get(path, headers=headers))
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    forged = {"Authorization": "Bearer not-a-token"}
    answer = client.post(f"{API}/tasks/{task_id}/claim", headers=forged)
    assert answer.status_code == 401


# --- the complainant ---------------------------------------------------------------------------------

def test_public_filing_is_one_transaction(client, transactions):
    form = as_form(intake_data("complaint"))
    filed = one_transaction(transactions, lambda: client.post("/report/complaint", data=form,
                                                              content_type="multipart/form-data"))
    assert filed.status_code == 303
    receipt_page = one_transaction(transactions, lambda: client.get("/filed"))
    assert RECEIPT.search(receipt_page.get_data(as_text=True))
    refused = one_transaction(transactions, lambda: client.post("/report/complaint", data={**form, "category": "x"},
                                                                content_type="multipart/form-data"))
    assert refused.status_code == 400


def test_following_and_writing_verify_the_receipt_once(client, engine, transactions, receipt_checks):
    receipt = RECEIPT.search(file_report(client, "complaint").get_data(as_text=True)).group(1)
    receipt_checks["n"] = 0
    shown = one_transaction(transactions, lambda: client.post("/track", data={"receipt": receipt}))
    assert shown.status_code == 200 and receipt_checks["n"] == 1
    receipt_checks["n"] = 0
    sent = one_transaction(transactions, lambda: client.post("/track/message",
                                                             data={"receipt": receipt, "body": "我补充一张照片。"}))
    assert sent.status_code == 200 and "我补充一张照片。" in sent.get_data(as_text=True)
    assert receipt_checks["n"] == 1
    receipt_checks["n"] = 0
    empty = one_transaction(transactions, lambda: client.post("/track/message", data={"receipt": receipt, "body": " "}))
    assert empty.status_code == 400 and receipt_checks["n"] == 1
    receipt_checks["n"] = 0
    wrong = client.post("/track/message", data={"receipt": "AAAAAAAA-AAAAAAAAAAAAAAAAAAAAAAAA", "body": "hi"})
    assert wrong.status_code == 404 and receipt_checks["n"] == 1
    receipt_checks["n"] = 0
    api = one_transaction(transactions, lambda: client.post(f"{API}/public/reports/{receipt}/messages",
                                                            json={"body": "再补充一句。"}))
    assert api.status_code == 201 and receipt_checks["n"] == 1
    messages = [m["body"] for m in engine.public_case(receipt)["messages"]]
    assert messages.count("我补充一张照片。") == 1 and messages.count("再补充一句。") == 1
