"""The reports' numbers match a hand-computed fixture (issue 9, point 6): three complaints driven
with known timings, counted by the dimensions the diagram names."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Forbidden, InvalidInput

API = "/api/v1"


def at(clock, start, hours):
    clock.set(start + timedelta(hours=hours))


@pytest.fixture
def driven(engine, make_case, work, clock):
    """A: web/quality, closed satisfied 10 h after filing. B: hotline/billing, rejected and told so 6 h after filing.
    C: web/quality, reviewed 30 days late, then waiting in the department."""
    t0 = clock.now()
    a = make_case("complaint", by="intake1", category="quality", channel="web")
    b = make_case("complaint", by="intake1", category="billing", channel="hotline")
    c = make_case("complaint", by="intake1", category="quality", channel="web")
    at(clock, t0, 1)
    work(a["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    at(clock, t0, 2)
    work(b["id"], "review", "intake2", decision="reject", reason="不属于本单位受理范围", complex=False)
    at(clock, t0, 3)
    work(a["id"], "investigate", "quality1", root_cause="包装线封口温度过低", responsibility="company",
         remedy="exchange", remedy_detail="更换两条卷烟")
    at(clock, t0, 4)
    work(a["id"], "approve", "supervisor1", approved=True, comment="同意")
    at(clock, t0, 5)
    work(a["id"], "reply", "intake1", reply_text="您好，我们将为您更换两条卷烟。")
    at(clock, t0, 6)
    work(b["id"], "reply_rejection", "intake1", reply_text="您的投诉不属于本单位受理范围。")
    at(clock, t0, 10)
    work(a["id"], "followup", "followup1", satisfaction="satisfied", comment="满意")
    at(clock, t0, 24 * 30)
    work(c["id"], "review", "intake2", decision="accept", reason="符合受理条件", complex=False)
    return {"t0": t0, "a": a, "b": b, "c": c}


def complaint_numbers(engine, driven, who="auditor1"):
    t0 = driven["t0"]
    numbers = engine.reports(engine.actor_for(who), t0 - timedelta(days=1), t0 + timedelta(days=60))
    return next(t for t in numbers["types"] if t["key"] == "complaint")


def test_report_numbers_match_the_driven_cases(engine, driven):
    n = complaint_numbers(engine, driven)
    assert n["cases"] == 3
    assert sum(m["cases"] for m in n["by_month"]) == 3
    assert {d["value"]: d["cases"] for d in n["dimensions"]["category"]} == {"quality": 2, "billing": 1}
    assert {d["value"]: d["cases"] for d in n["dimensions"]["channel"]} == {"web": 2, "hotline": 1}
    review = next(r for r in n["on_time"] if r["element_id"] == "review")
    assert review["completed"] == 3 and review["on_time"] == 2  # C was reviewed 30 days on
    assert n["satisfaction"] == [{"value": "satisfied", "cases": 1}]
    assert n["reopened"] == 0
    # closed: B after 6 h (rejected), A after 10 h; nearest rank of 2: median the 1st, p90 the 2nd
    assert n["handling"] == {"closed": 2, "median_hours": 6.0, "p90_hours": 10.0}


def test_a_period_before_the_cases_counts_none(engine, driven):
    t0 = driven["t0"]
    numbers = engine.reports(engine.actor_for("auditor1"), t0 - timedelta(days=60), t0 - timedelta(days=1))
    complaint = next(t for t in numbers["types"] if t["key"] == "complaint")
    assert complaint["cases"] == 0 and complaint["handling"]["median_hours"] is None


def test_supervisors_read_the_types_naming_them_others_are_refused(engine, driven):
    assert complaint_numbers(engine, driven, "supervisor1")["cases"] == 3
    with pytest.raises(Forbidden):
        engine.reports(engine.actor_for("intake1"), driven["t0"], driven["t0"] + timedelta(days=1))
    with pytest.raises(InvalidInput):
        engine.reports(engine.actor_for("auditor1"), driven["t0"], driven["t0"] - timedelta(days=1))
