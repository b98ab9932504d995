"""The approval page shows what is being approved: the earlier steps' results as sections named
after their forms, with the fields' labels and option names, not raw variables."""
from __future__ import annotations

from tests.test_web_task_page import _open_task


def test_the_supervisor_sees_the_investigation_as_a_labelled_section(login, engine, make_case, work):
    case = make_case("complaint", category="quality")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    work(case["id"], "investigate", "quality1", root_cause="包装线封口温度过低", responsibility="company",
         remedy="exchange", remedy_detail="更换两条卷烟")
    task_id = _open_task(engine, case["id"], "approve", "supervisor1")
    web = login("supervisor1")
    html = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    sections = html.split('class="step-result"')[1:]
    investigation = next(s for s in sections if "包装线封口温度过低" in s)
    assert "<h3>调查处理</h3>" in investigation
    assert "root_cause" not in investigation and "remedy_detail" not in investigation
    assert ">exchange<" not in investigation and ">company<" not in investigation  # option names, not values
    english = web.get(f"/tasks/{task_id}?lang=en").get_data(as_text=True)
    assert "<h3>Investigate and remedy</h3>" in english


def test_sections_follow_the_order_of_the_steps(login, engine, make_case, work):
    case = make_case("complaint", category="quality")
    work(case["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    work(case["id"], "investigate", "quality1", root_cause="包装线封口温度过低", responsibility="company",
         remedy="exchange", remedy_detail="更换两条卷烟")
    task_id = _open_task(engine, case["id"], "approve", "supervisor1")
    html = login("supervisor1").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert html.index("符合受理条件") < html.index("包装线封口温度过低")
    assert "&#34;data&#34;" not in html  # no handler result blobs
