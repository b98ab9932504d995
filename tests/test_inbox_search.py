"""Finding work: the inbox shows each task's case subject and complainant (masked on a confidential
report), finds tasks by case number, subject, description words and the complainant's full name,
never past need-to-know, through an index; claiming opens the task; each role lands where it works."""
from __future__ import annotations

from tests.test_query_plans import captured, pg_plan, sqlite_plan


def available_rows(html: str) -> str:
    return html.split('id="available-tasks"')[1]


def test_inbox_shows_subject_and_complainant(login, make_case):
    case = make_case("complaint")
    html = available_rows(login("intake1").get("/inbox").get_data(as_text=True))
    row = html[html.index(case["number"]):]
    row = row[:row.index("</tr>")]
    assert "卷烟包装破损" in row and "王小明" in row


def test_a_confidential_report_masks_the_reporter_in_the_inbox(login, make_case):
    case = make_case("internal_report")
    html = available_rows(login("integ1").get("/inbox").get_data(as_text=True))
    row = html[html.index(case["number"]):]
    row = row[:row.index("</tr>")]
    assert "赵举报" not in row and 'class="complainant"><span class="muted">' in row


def test_search_finds_by_number_subject_description_and_full_name(login, make_case):
    wanted = make_case("complaint")
    other = make_case("complaint", subject="电费账单错误", description="十月电费重复收取。",
                      complainant_name="李四")
    web = login("intake1")
    for q in (wanted["number"], "包装", "卷烟包装破损", "两条卷烟", "王小明"):
        html = web.get("/inbox", query_string={"q": q}).get_data(as_text=True)
        assert wanted["number"] in html and other["number"] not in html, q
    found = web.get("/inbox", query_string={"q": "电费"}).get_data(as_text=True)
    assert other["number"] in found and wanted["number"] not in found
    nothing = web.get("/inbox", query_string={"q": "不存在的词语"}).get_data(as_text=True)
    assert wanted["number"] not in nothing and other["number"] not in nothing


def test_search_respects_need_to_know(engine, make_case):
    report = make_case("internal_report")
    for q in ("回扣", "钱被告", report["number"]):
        assert engine.list_cases(engine.actor_for("intake1"), q=q)["items"] == []
        assert [c["number"] for c in engine.list_cases(engine.actor_for("integ1"), q=q)["items"]] == [report["number"]]
    assert engine.list_cases(engine.actor_for("integ1"), q="赵举报")["items"] == []  # a reporter's name is never a key


def test_search_uses_its_full_text_index(engine, make_case):
    make_case("complaint")
    with captured(engine.ctx.db.engine) as seen:
        engine.inbox(engine.actor_for("intake1"), q="包装")
    searching = [(s, p) for s, p in seen if "case_search" in s]
    assert searching
    db = engine.ctx.db.engine
    with db.connect() as connection:
        sqlite = db.dialect.name == "sqlite"
        if not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        plans = "\n".join((sqlite_plan if sqlite else pg_plan)(connection, s, p) for s, p in searching)
        connection.rollback()
    expected = "VIRTUAL TABLE INDEX" if sqlite else "ix_case_search_doc"
    assert expected in plans, plans


def test_claiming_opens_the_task(login, engine, make_case):
    case = make_case("complaint")
    task = next(t for t in engine.get_case(engine.actor_for("intake1"), case["id"])["open_tasks"])
    resp = login("intake1").post(f"/tasks/{task['id']}/claim", data={"next": "/inbox"}, follow_redirects=True)
    assert resp.request.path == f"/tasks/{task['id']}" and case["number"] in resp.get_data(as_text=True)


def test_each_role_lands_on_a_page_of_use(app, login):
    app.add_url_rule("/process-types", "process_types_stand_in", lambda: "process types")
    assert login("auditor1").get("/").status_code in (200, 302)
    assert login_landing(app, "auditor1").endswith("/cases")
    assert login_landing(app, "owner1").endswith("/process-types")
    assert login_landing(app, "intake1").endswith("/inbox")


def login_landing(app, username: str) -> str:
    from tests.conftest import DEMO_PASSWORD

    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    return resp.headers["Location"]


def test_the_inbox_sorts_by_due_time_or_newest_first(login, engine, make_case, clock):
    from datetime import timedelta

    first = make_case("complaint")
    clock.set(clock.now() + timedelta(days=1))
    second = make_case("complaint")
    web = login("intake1")
    by_due = available_rows(web.get("/inbox").get_data(as_text=True))
    assert by_due.index(first["number"]) < by_due.index(second["number"])
    newest = available_rows(web.get("/inbox?sort=newest").get_data(as_text=True))
    assert newest.index(second["number"]) < newest.index(first["number"])
    one = engine.inbox(engine.actor_for("intake1"), sort="newest", limit=1)["available"]
    rest = engine.inbox(engine.actor_for("intake1"), sort="newest", limit=1,
                        cursors={"available": one["next"]})["available"]
    assert [one["items"][0]["case_number"], rest["items"][0]["case_number"]] == [second["number"], first["number"]]


def test_newest_first_walks_its_index(engine, make_case):
    make_case("complaint")
    with captured(engine.ctx.db.engine) as seen:
        engine.inbox(engine.actor_for("intake1"), sort="newest")
    listing = [(s, p) for s, p in seen if "ORDER BY human_task.id DESC" in s]
    assert listing
    db = engine.ctx.db.engine
    with db.connect() as connection:
        sqlite = db.dialect.name == "sqlite"
        if not sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        plans = [(sqlite_plan if sqlite else pg_plan)(connection, s, p) for s, p in listing]
        connection.rollback()
    joined = "\n".join(plans)
    assert "Seq Scan on human_task" not in joined, joined
    if sqlite:  # PostgreSQL picks among the indexes by cost, which a tiny test table does not decide
        assert "ix_task_available_newest" in joined and "ix_task_mine_newest" in joined, joined
        # only the named-candidate branch sorts: a person's own named tasks, a handful at most
        grouped = [p for (s, _), p in zip(listing, plans) if "task_candidate" not in s]
        assert not any("TEMP B-TREE FOR ORDER BY" in p for p in grouped), joined
