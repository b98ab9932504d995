"""The engine without Flask, on a small diagram: filing, inbox rows, claims, completion,
timers, optimistic locking, the audit chain, and deployment validation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from engine import EngineSettings, build_engine
from engine.errors import Conflict, DeploymentInvalid, Forbidden, InvalidInput, NotFound
from engine.handler_api import HandlerRegistry
from tests.conftest import TEST_FIELD_KEY, _fresh_database_url
from tests.factories import every

HERE = Path(__file__).parent / "bpmn"


def stamp(ctx, params):
    """A test handler: number the case and give the check two working days."""
    due = ctx.lookups.add_working_days(ctx.now, 2)
    return {"case": {"number": ctx.lookups.next_number(params["prefix"])},
            "deadlines": {"check_due": due.isoformat()},
            "messages": [{"kind": "acknowledgement", "body": "received"}]}


def simple_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in HERE.iterdir()}


@pytest.fixture
def core(tmp_path, clock):
    registry = HandlerRegistry()
    registry.register("test.stamp", stamp)
    engine = build_engine(EngineSettings(database_url=_fresh_database_url(tmp_path), field_key=TEST_FIELD_KEY,
                                         clock=clock, fast_hashing=True), registry)
    engine.seed_demo_users("pw")
    admin = engine.actor_for("admin1")
    engine.deploy(admin, "simple", "Simple", simple_files(), True)
    yield engine
    engine.close()


def test_filing_creates_numbered_case_with_inbox_row_and_timer(core, clock):
    result = core.file_case(None, "simple", {"subject": "x", "email": "a@example.com"})
    assert result["number"] == "SI-202611-0001" and result["status"] == "open" and result["receipt"]
    intake1 = core.actor_for("intake1")
    available = every(core.list_tasks, intake1, "available")
    assert [t["element_id"] for t in available] == ["check"]
    # 2 working days after Monday 2 Nov 2026 end at 24:00 on Wednesday 4 Nov (Shanghai)
    assert available[0]["due_at"] == "2026-11-04T16:00:00+00:00"
    with core.ctx.db.transaction() as s:
        timers = s.execute(text("select element_id from timer where fired_at is null")).all()
    assert [t[0] for t in timers] == ["check_timeout"]


def test_personal_fields_are_encrypted_and_shown_to_handlers_only(core, tmp_path):
    case = core.file_case(None, "simple", {"subject": "x", "email": "secret-person@example.com"})
    with core.ctx.db.transaction() as s:
        row = s.execute(text("select workflow_json, data from complaint_case where id=:i"), {"i": case["id"]}).one()
    assert "secret-person" not in row[0] and "secret-person" not in str(row[1])
    detail = core.get_case(core.actor_for("intake1"), case["id"])
    assert detail["data"]["email"] == "secret-person@example.com"


def test_invalid_intake_lists_fields_and_saves_nothing(core):
    with pytest.raises(InvalidInput) as err:
        core.file_case(None, "simple", {"subject": ""})
    assert "subject" in err.value.details
    assert core.list_cases(core.actor_for("auditor1"))["total"] == 0


def test_claim_is_exclusive_and_completion_needs_the_holder(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    i1, i2, q1 = core.actor_for("intake1"), core.actor_for("intake2"), core.actor_for("quality1")
    task_id = core.get_case(i1, case["id"])["open_tasks"][0]["id"]
    with pytest.raises(NotFound):
        core.claim_task(q1, task_id)  # not in a lane of this case: the case is invisible
    core.claim_task(i1, task_id)
    with pytest.raises(Conflict):
        core.claim_task(i2, task_id)
    with pytest.raises(Conflict):
        core.complete_task(i2, task_id, {"ok": True})
    with pytest.raises(InvalidInput) as err:
        core.complete_task(i1, task_id, {"ok": "yes"})
    assert "ok" in err.value.details
    result = core.complete_task(i1, task_id, {"ok": True, "lane_groups": {"intake": "x"}})
    assert result["case_status"] == "closed" and result["next_tasks"] == []
    with pytest.raises(Conflict):
        core.complete_task(i1, task_id, {"ok": True})


def test_unclaim_by_other_staff_is_forbidden(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    i1, i2 = core.actor_for("intake1"), core.actor_for("intake2")
    task_id = core.get_case(i1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(i1, task_id)
    with pytest.raises(Forbidden):
        core.unclaim_task(i2, task_id)
    assert core.unclaim_task(i1, task_id)["assignee"] is None


def test_default_branch_ends_rejected(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    i1 = core.actor_for("intake1")
    task_id = core.get_case(i1, case["id"])["open_tasks"][0]["id"]
    core.claim_task(i1, task_id)
    assert core.complete_task(i1, task_id, {"ok": False})["case_status"] == "rejected"


def test_timer_fires_once_at_its_due_time_and_not_before(core, clock):
    case = core.file_case(None, "simple", {"subject": "x"})
    due = datetime(2026, 11, 4, 16, 0, tzinfo=timezone.utc)  # 24:00 on Wednesday in Shanghai
    assert core.fire_timers(due - timedelta(seconds=1)) == 0
    assert core.fire_timers(due) == 1
    assert core.fire_timers(due + timedelta(days=1)) == 0
    detail = core.get_case(core.actor_for("auditor1"), case["id"])
    assert detail["status"] == "rejected" and detail["open_tasks"] == []
    kinds = [e["kind"] for e in every(core.case_history, core.actor_for("auditor1"), case["id"])]
    assert "timer_fired" in kinds and "task_cancelled" in kinds


def test_receipt_shows_messages_and_wrong_receipt_is_not_found(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    view = core.public_case(case["receipt"])
    assert view["number"] == case["number"] and view["messages"][0]["body"] == "received"
    wrong = case["receipt"][:-1] + ("A" if case["receipt"][-1] != "A" else "B")
    with pytest.raises(NotFound):
        core.public_case(wrong)
    with pytest.raises(NotFound):
        core.public_case("nonsense")


def test_audit_chain_verifies_and_detects_tampering(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    result = core.verify_audit()
    assert result["ok"] and result["events"] >= 3
    with core.ctx.db.transaction() as s:
        s.execute(text("update audit_event set actor='mallory' where seq=2"))
    broken = core.verify_audit()
    assert broken == {"ok": False, "events": 2, "first_bad_seq": 2, "problem": "edited",
                      "message": "event 2 was changed after it was written"}
    assert case["id"]


def test_path_lists_completed_and_active_elements(core):
    case = core.file_case(None, "simple", {"subject": "x"})
    path = core.case_path(core.actor_for("auditor1"), case["id"])
    assert {"start", "stamp"} <= set(path["completed"]) and "check" in path["active"]


def test_deploy_refuses_unknown_operator_missing_form_and_unsafe_script(core):
    admin = core.actor_for("admin1")
    files = simple_files()
    bpmn = files["simple.bpmn"].decode()
    bad = (bpmn.replace("test.stamp", "os.system")
           .replace("<bpmn:conditionExpression>ok == True", "<bpmn:conditionExpression>().__class__")
           .replace('value="check.json"', 'value="missing.json"'))
    with pytest.raises(DeploymentInvalid) as err:
        core.deploy(admin, "simple", "Simple", {**files, "simple.bpmn": bad.encode()}, True)
    messages = " | ".join(p["message"] for p in err.value.details)
    assert "unknown service operator 'os.system'" in messages
    assert "missing.json is missing" in messages
    assert "__class__" in messages
    assert all(p["line"] for p in err.value.details if p["element"])


def test_deploy_refuses_xxe(core):
    admin = core.actor_for("admin1")
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    with pytest.raises(DeploymentInvalid) as err:
        core.deploy(admin, "xxe", "XXE", {"x.bpmn": xxe}, True)
    assert "DOCTYPE" in str(err.value.details)


def test_new_version_leaves_running_cases_on_theirs(core):
    first = core.file_case(None, "simple", {"subject": "x"})
    admin = core.actor_for("admin1")
    assert core.deploy(admin, "simple", "Simple", simple_files(), True)["version"] == 2
    second = core.file_case(None, "simple", {"subject": "y"})
    auditor = core.actor_for("auditor1")
    assert core.get_case(auditor, first["id"])["version"] == 1
    assert core.get_case(auditor, second["id"])["version"] == 2


def test_only_admins_and_owners_deploy(core):
    with pytest.raises(Forbidden):
        core.deploy(core.actor_for("intake1"), "simple", "Simple", simple_files(), True)
