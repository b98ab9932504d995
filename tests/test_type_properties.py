"""Types describe themselves (issue 8, point 1): what is particular to a complaint type lives in its
diagram's `spiffworkflow:property` extensions, never in engine/ or webapp/.

The shipped types keep their behaviour through the properties their diagrams now carry (the rest
of the suite drives them). Here: no shipped type key, lane or element id is written into the code,
and a type the code has never heard of (tests/grievance, ids as bpmn-js generates them) gets
its own case numbers, end statuses, alert kinds, clock keepers, extension cap, need-to-know rules
and deadline labels from its diagram alone.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.accounts import users
from engine.errors import Conflict, DeploymentInvalid, Forbidden, InvalidInput, NotFound
from engine.models import Task
from tests.conftest import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
GRIEVANCE = Path(__file__).parent / "grievance"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Engine vocabulary that happens to equal a shipped element or lane id: message kinds the handler
# contract defines ("reply", "decision"), a case field ("department", also the complaint's lane
# whose group is that field), an audit event kind ("recusal"). Each means the same for every type.
ENGINE_WORDS = {"reply", "decision", "department", "recusal"}
NOT_TYPE_CODE = {"engine/demo.py"}  # demo users and cases for `serve --demo`


def shipped_names() -> set[str]:
    """Type keys, process ids, lane ids and names, flow element ids and the group names the
    shipped diagrams' properties give (sequence flows and diagram shapes are not named in code)."""
    processes = ROOT / "processes"
    names: set[str] = set()
    for shipped in json.loads((processes / "bundled.json").read_text(encoding="utf-8")):
        names.add(shipped["key"])
        root = etree.parse(str(processes / shipped["diagram"])).getroot()
        for process in root.iter(f"{{{BPMN}}}process"):
            names.add(process.get("id"))
            for node in process.iter():
                if not isinstance(node.tag, str):
                    continue
                tag = etree.QName(node)
                if tag.namespace == BPMN and node.get("id") and tag.localname not in ("sequenceFlow", "laneSet") \
                        and not tag.localname.endswith("EventDefinition"):
                    names.add(node.get("id"))
                if tag.localname == "lane":
                    names.add(node.get("name"))
                if tag.namespace == SPIFF and tag.localname == "property" and node.get("name") in (
                        "escalationGroup", "clockKeeper", "extensionApprovers", "sealedCaseReaders",
                        "identityRevealers"):
                    names.update(g.strip() for g in node.get("value").split(","))
    return names - {None, ""}


def test_no_shipped_type_key_lane_or_element_id_is_written_into_engine_or_webapp():
    names = shipped_names()
    assert {"complaint", "tender_complaint", "internal_report", "committee", "end_closed"} <= names
    sources = [p for folder in ("engine", "webapp") for p in (ROOT / folder).rglob("*")
               if p.suffix in (".py", ".html", ".js") and "vendor" not in p.parts]
    found = []
    for path in sources:
        relative = path.relative_to(ROOT).as_posix()
        if relative in NOT_TYPE_CODE:
            continue
        text = path.read_text(encoding="utf-8")
        for name in names - ENGINE_WORDS:
            quoted = re.compile(r"""(['"])%s\1""" % re.escape(name))
            # ids with an underscore are distinctive enough to be found as words anywhere (comments too)
            bare = re.compile(r"(?<![\w-])%s(?![\w-])" % re.escape(name)) if "_" in name else None
            for pattern in filter(None, (quoted, bare)):
                for match in pattern.finditer(text):
                    found.append(f"{relative}:{text.count(chr(10), 0, match.start()) + 1}: {name}")
    assert sorted(set(found)) == []


# --- a new type, with no code ----------------------------------------------------------------

STAFF = {"desk1": ["gv_desk"], "desk2": ["gv_desk"], "lead1": ["gv_leads"], "head1": ["gv_head"],
         "panel1": ["gv_panel"], "chair1": ["gv_chair"]}


def grievance_files(**replace: str) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(GRIEVANCE.iterdir())}
    text = files["grievance.bpmn"].decode("utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    files["grievance.bpmn"] = text.encode("utf-8")
    return files


def grievance_staff(engine) -> None:
    """Its staff, in the groups only its diagram names (its lanes map to them)."""
    with engine.ctx.db.transaction() as session:
        for username, groups in STAFF.items():
            users.ensure_user(session, username, DEMO_PASSWORD, username, ["staff"], groups, fast_hash=True)


@pytest.fixture
def grievance(engine):
    """The grievance type deployed by an admin, and its staff (groups only its diagram names)."""
    grievance_staff(engine)
    engine.deploy(engine.actor_for("admin1"), "staff_grievance", "Staff grievance", grievance_files(), True)
    return engine


def file_grievance(engine, subject="Unpaid overtime") -> dict:
    return engine.file_case(None, "staff_grievance", {"subject": subject, "email": "a@example.com"}, [])


def answer(engine, case_id: int, outcome: str, who: str = "desk1", element: str = "Activity_1answer") -> dict:
    actor = engine.actor_for(who)
    task = next(t for t in engine.get_case(actor, case_id)["open_tasks"] if t["element_id"] == element)
    engine.claim_task(actor, task["id"])
    return engine.complete_task(actor, task["id"], {"outcome": outcome})


def test_a_new_type_numbers_its_cases_with_its_prefix_and_ends_with_its_own_statuses(grievance):
    engine = grievance
    filed = [file_grievance(engine) for _ in range(5)]
    assert [f["number"] for f in filed] == [f"GV-202611-000{i}" for i in range(1, 6)]
    assert all(f["status"] == "open" for f in filed)
    ends = [answer(engine, case["id"], outcome)["case_status"]
            for case, outcome in zip(filed, ("uphold", "refer", "dismiss", "seal", "seal"))]
    # upheld: no caseStatus, closed; referred: transferred; the end event whose id is end_closed
    # says rejected; a case to seal goes to the panel first (a second lane), which seals or parks it
    assert ends == ["closed", "transferred", "rejected", "open", "open"]
    assert answer(engine, filed[3]["id"], "seal", "panel1", "Activity_0s3al11")["case_status"] == "sealed"
    assert answer(engine, filed[4]["id"], "park", "panel1", "Activity_0s3al11")["case_status"] == "pending"


def test_the_diagrams_alert_kind_decides_which_alert_a_timer_stands_for(grievance):
    engine = grievance
    case = file_grievance(engine)
    with engine.ctx.db.transaction() as session:
        task = session.scalars(select(Task).where(Task.case_id == case["id"])).one()
        # the timer on `answer_by_remind_at` is the escalation (alertKind), so the engine sends no
        # escalation of its own, but still its own reminder
        assert task.due_at is not None and task.escalate_at is None and task.remind_at is not None


def test_the_clock_is_kept_by_the_groups_the_diagram_names_and_extensions_follow_its_cap(grievance):
    engine = grievance
    case = file_grievance(engine)
    head, lead, panel = (engine.actor_for(u) for u in ("head1", "lead1", "panel1"))
    # the process-level keeper works no task of the case and still keeps its clock
    assert engine.pause_clock(head, case["id"], "other", "waiting for payroll records")["paused"] is True
    assert engine.resume_clock(head, case["id"])["paused"] is False
    # the lane-level keeper keeps it while the case has a task in that lane
    assert engine.pause_clock(lead, case["id"], "other", "expert opinion")["paused"] is True
    engine.resume_clock(lead, case["id"])
    with pytest.raises(Forbidden):
        engine.pause_clock(panel, case["id"], "other", "not mine to pause")
    with pytest.raises(NotFound):  # the shipped complaint's clock keeper is nobody here
        engine.pause_clock(engine.actor_for("supervisor1"), case["id"], "other", "no")
    desk = engine.actor_for("desk1")
    clock = engine.case_clock(desk, case["id"])
    assert clock["extension_rule"] == {"deadline": "answer_by", "cap": 5, "approvers": "gv_head", "used": 0}
    with pytest.raises(InvalidInput) as too_long:
        engine.request_extension(desk, case["id"], 6, "more witnesses")
    assert "5 working days" in too_long.value.message
    asked = engine.request_extension(desk, case["id"], 3, "more witnesses")
    request_id = asked["extensions"][0]["id"]
    with pytest.raises(Forbidden):
        engine.decide_extension(lead, request_id, True)
    before = asked["deadlines"]["answer_by"]
    decided = engine.decide_extension(head, request_id, True)
    assert decided["extension_rule"]["used"] == 3 and decided["deadlines"]["answer_by"] > before
    with pytest.raises(InvalidInput):
        engine.request_extension(desk, case["id"], 3, "again")  # 2 of the cap of 5 remain


def test_a_type_without_an_extension_rule_has_no_extensions(engine, make_case, work):
    case = make_case("tender_complaint", by="clerk1")
    with pytest.raises(Conflict):
        engine.request_extension(engine.actor_for("clerk1"), case["id"], 3, "more time")


def test_sealed_cases_and_identities_open_to_the_groups_the_diagram_names(grievance):
    engine = grievance
    case = file_grievance(engine)
    answer(engine, case["id"], "seal")
    answer(engine, case["id"], "seal", "panel1", "Activity_0s3al11")
    with pytest.raises(NotFound):  # to the desk a sealed grievance does not exist
        engine.get_case(engine.actor_for("desk1"), case["id"])
    with pytest.raises(Forbidden) as sealed:
        engine.get_case(engine.actor_for("panel1"), case["id"])
    assert sealed.value.code == "sealed"
    opened = engine.open_sealed_case(engine.actor_for("panel1"), case["id"], "annual review of sealed files")
    assert opened["case"]["number"] == case["number"]
    revealed = engine.reveal_identity(engine.actor_for("panel1"), case["id"], "the panel must contact them")
    assert revealed["identity"] == {"email": "a@example.com"}
    open_case = file_grievance(engine)
    with pytest.raises(Forbidden):
        engine.reveal_identity(engine.actor_for("desk1"), open_case["id"], "curious about the filer")
    assert engine.get_case(engine.actor_for("panel1"), open_case["id"])["may_reveal_identity"] is False  # not confidential


def test_deadline_labels_come_from_the_diagram_in_both_languages(grievance, login):
    engine = grievance
    case = file_grievance(engine)
    detail = engine.get_case(engine.actor_for("desk1"), case["id"])
    assert detail["deadline_labels"]["answer_by"] == {"zh_CN": "申诉答复时限", "en": "grievance answer due"}
    page = login("desk1")
    english = page.get(f"/cases/{case['id']}?lang=en").get_data(as_text=True)
    assert "grievance answer due" in english and "申诉答复时限" not in english
    chinese = page.get(f"/cases/{case['id']}?lang=zh_CN").get_data(as_text=True)
    assert "申诉答复时限" in chinese
    # an unlabelled deadline shows its name
    assert "answer by remind at" in chinese


def test_the_supervising_group_the_diagram_names_hands_tasks_back(grievance):
    engine = grievance
    case = file_grievance(engine)
    desk = engine.actor_for("desk1")
    task = engine.get_case(desk, case["id"])["open_tasks"][0]
    engine.claim_task(desk, task["id"])
    with pytest.raises(Forbidden):
        engine.unclaim_task(engine.actor_for("desk2"), task["id"])
    with pytest.raises(Forbidden):  # the panel lane's own supervising group
        engine.unclaim_task(engine.actor_for("chair1"), task["id"])
    assert engine.unclaim_task(engine.actor_for("head1"), task["id"])["assignee"] is None
    answer(engine, case["id"], "seal")
    panel_task = engine.get_case(engine.actor_for("panel1"), case["id"])["open_tasks"][0]
    engine.claim_task(engine.actor_for("panel1"), panel_task["id"])
    with pytest.raises(Forbidden):
        engine.unclaim_task(engine.actor_for("head1"), panel_task["id"])
    assert engine.unclaim_task(engine.actor_for("chair1"), panel_task["id"])["assignee"] is None


def test_a_type_without_a_supervising_group_hands_an_orphaned_task_to_the_admins(engine):
    with engine.ctx.db.transaction() as session:
        for username, groups in STAFF.items():
            users.ensure_user(session, username, DEMO_PASSWORD, username, ["staff"], groups, fast_hash=True)
    files = grievance_files(**{'<spiffworkflow:property name="escalationGroup" value="gv_head" />': ""})
    engine.deploy(engine.actor_for("admin1"), "staff_grievance", "Staff grievance", files, True)
    case = file_grievance(engine)
    task = engine.get_case(engine.actor_for("desk1"), case["id"])["open_tasks"][0]
    engine.recuse_from_task(engine.actor_for("desk1"), task["id"], "my own department")
    left = engine.recuse_from_task(engine.actor_for("desk2"), task["id"], "my manager is named")
    assert left["candidate_group"] == "gv_desk"  # no group to go up to: the admins are its candidates
    with engine.ctx.db.transaction() as session:
        assert session.get(Task, task["id"]).candidates == ["admin1"]
    assert engine.claim_task(engine.actor_for("admin1"), task["id"])["assignee"] == "admin1"


def test_earlier_cases_of_the_same_complainant_follow_the_diagrams_history_field(grievance, make_case):
    engine = grievance
    first = file_grievance(engine, subject="Shift allowance")
    answer(engine, first["id"], "uphold")
    file_grievance(engine, subject="Canteen prices")
    second = file_grievance(engine, subject="Shift allowance")
    history = engine.get_case(engine.actor_for("desk1"), second["id"])["complainant_history"]
    assert history["complainant"] == "Shift allowance" and [c["number"] for c in history["cases"]] == [first["number"]]
    complaint = make_case("complaint", by="intake1")  # its diagram names no history field
    assert "complainant_history" not in engine.get_case(engine.actor_for("intake1"), complaint["id"])


def test_deploy_lists_every_malformed_type_property_at_once(engine):
    files = grievance_files(**{
        'name="casePrefix" value="GV"': 'name="casePrefix" value="grievance"',
        'name="extensionCapDays" value="5"': 'name="extensionCapDays" value="lots"',
        'name="caseStatus" value="transferred"': 'name="caseStatus" value="archived"',
        'name="alertKind" value="escalation"': 'name="alertKind" value="nag"',
        '<spiffworkflow:property name="dueDateVariable" value="answer_by" />':
            '<spiffworkflow:property name="dueDateVariable" value="answer_by" />'
            '<spiffworkflow:property name="deadline" value="answer_by" />',
        '<bpmn:endEvent id="Event_0uph3ld" name="Upheld">':
            '<bpmn:endEvent id="Event_0uph3ld" name="Upheld"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="deadline" value="answer_by" />'
            '<spiffworkflow:property name="deadlineLabel_en" value="another label" />'
            '</spiffworkflow:properties></bpmn:extensionElements>',
    })
    grievance_staff(engine)
    with pytest.raises(DeploymentInvalid) as refused:
        engine.deploy(engine.actor_for("admin1"), "staff_grievance", "Staff grievance", files, True)
    problems = {(p["element"], p["message"].split(" ")[0]) for p in refused.value.details}
    assert problems == {("Process_1x2y3z4", "casePrefix"), ("Process_1x2y3z4", "extensionCapDays"),
                        ("Event_1r3f3rd", "caseStatus"), ("Event_0r3m1nd", "alertKind"),
                        ("Event_0uph3ld", "deadline")}
    assert all(p["line"] for p in refused.value.details)


def test_an_alert_kind_belongs_on_a_boundary_timer(engine):
    files = grievance_files(**{'<bpmn:endEvent id="Event_0l8late">':
                               '<bpmn:endEvent id="Event_0l8late"><bpmn:extensionElements><spiffworkflow:properties>'
                               '<spiffworkflow:property name="alertKind" value="reminder" />'
                               '</spiffworkflow:properties></bpmn:extensionElements>'})
    grievance_staff(engine)
    with pytest.raises(DeploymentInvalid) as refused:
        engine.deploy(engine.actor_for("admin1"), "staff_grievance", "Staff grievance", files, True)
    assert [p["element"] for p in refused.value.details] == ["Event_0l8late"]


# --- versions deployed before types described themselves -------------------------------------------

PRE_0008_KEYS = ("end_statuses", "clock_keeper", "lane_clock_keepers", "lane_escalation_groups", "extension", "sealed_readers",
                 "identity_revealers", "case_prefix", "complainant_history_field", "deadline_labels")


def test_versions_deployed_before_keep_their_end_statuses_and_their_types_rules(engine):
    """Revision 0008 writes into an older summary what the end event ids and the code's tables
    meant: the stored diagram's `end_<status>` ids, and the shipped type's rules."""
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import update

    from engine.models import ProcessDefinition

    path = next((ROOT / "engine" / "migrations" / "versions").glob("*_type_rules_in_summaries.py"))
    spec = importlib.util.spec_from_file_location("type_rules_in_summaries", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    db = engine.ctx.db
    with db.transaction() as session:
        for row in session.scalars(select(ProcessDefinition)):
            old = {k: v for k, v in row.summary.items() if k not in PRE_0008_KEYS}
            session.execute(update(ProcessDefinition).where(ProcessDefinition.id == row.id).values(summary=old))
    with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        migration.upgrade()
    with db.transaction() as session:
        summaries = {r.key: r.summary for r in session.scalars(select(ProcessDefinition))}
    complaint, report = summaries["complaint"], summaries["internal_report"]
    assert complaint["end_statuses"]["end_transferred"] == "transferred"
    assert complaint["end_statuses"]["end_closed_reminded"] == "closed"
    assert complaint["extension"] == {"deadline": "resolve_due", "cap": 30, "approvers": "supervisor"}
    assert complaint["clock_keeper"] == "supervisor" and complaint["case_prefix"] == "CP"
    assert report["end_statuses"]["end_pending"] == "pending" and report["end_statuses"]["end_sealed"] == "sealed"
    assert report["sealed_readers"] == ["committee"] and report["identity_revealers"] == ["committee"]
    assert summaries["tender_complaint"]["complainant_history_field"] == "complainant_name"
    assert complaint["drawn_alerts"] == {"investigate": ["reminder", "escalation"]}
