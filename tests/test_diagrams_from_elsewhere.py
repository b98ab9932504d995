"""Diagrams written elsewhere run (issue 8, point 7): ISO 8601 and timedelta timers, refusals at
deploy naming the element (not executable, undeliverable messages, unknown names in scripts, an
ambiguous main process), a 422 at run time that saves nothing (a multi-instance over a missing
list, a timer whose value is no time), and the documented script environment."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine.errors import DeploymentInvalid
from engine.models import AuditEvent, Case
from tests.run_diagrams import TEMPLATE, diagram, script_body, timer_body
from tests.test_api_support import API, assert_error, h, multipart_files  # noqa: F401


def deploy(engine, key: str, files: dict[str, bytes], **options) -> dict:
    return engine.deploy(engine.actor_for("admin1"), key, key.replace("_", " "), files, True, **options)


def refused(engine, key: str, files: dict[str, bytes], **options) -> list[dict]:
    with pytest.raises(DeploymentInvalid) as err:
        deploy(engine, key, files, **options)
    return err.value.details


def stored(engine) -> tuple[int, int]:
    with engine.ctx.db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def file(client, key: str, subject: str = "hello"):
    return client.post(f"{API}/public/reports", json={"type": key, "data": {"subject": subject}})


def status(engine) -> list[str]:
    return [c["status"] for c in engine.list_cases(engine.actor_for("auditor1"))["items"]]


def date_timer_body(element: str, when: str) -> str:
    return f"""<bpmn:intermediateCatchEvent id="{element}" name="{element}">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:timerEventDefinition id="{element}_timer"><bpmn:timeDate>{escape(when)}</bpmn:timeDate>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


# --- timers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, waits", [
    ("PT5M", timedelta(minutes=5)),                 # bare ISO 8601, as Camunda and SpiffArena write it
    ("P3D", timedelta(days=3)),
    ("PT1H30M", timedelta(hours=1, minutes=30)),
    ('"PT5M"', timedelta(minutes=5)),               # quoted, SpiffWorkflow's own way
    ("timedelta(days=2, hours=1)", timedelta(days=2, hours=1)),  # Python
])
def test_duration_timers_written_in_iso_8601_or_as_timedelta_wait_that_long(engine, client, clock, written, waits):
    deploy(engine, "waiting", diagram("waiting", timer_body("Event_0wait", written)))
    assert file(client, "waiting").status_code == 201
    assert engine.fire_timers(clock.now() + waits - timedelta(seconds=1)) == 0
    assert status(engine) == ["open"]
    assert engine.fire_timers(clock.now() + waits + timedelta(seconds=1)) == 1
    assert status(engine) == ["closed"]


@pytest.mark.parametrize("written, due", [
    ("2026-11-03T09:00:00+08:00", datetime(2026, 11, 3, 1, tzinfo=timezone.utc)),
    ("2026-11-04", datetime(2026, 11, 4, tzinfo=timezone.utc)),            # a bare date: midnight UTC
    ("datetime(2026, 11, 3, 12, 30)", datetime(2026, 11, 3, 12, 30, tzinfo=timezone.utc)),  # naive: UTC
    ("P1D", datetime(2026, 11, 3, 1, tzinfo=timezone.utc)),                # a duration counts from now
])
def test_date_timers_take_iso_dates_datetimes_and_python_values(engine, client, clock, written, due):
    deploy(engine, "dated", diagram("dated", date_timer_body("Event_1date", written)))
    assert file(client, "dated").status_code == 201
    assert engine.fire_timers(due - timedelta(seconds=1)) == 0
    assert engine.fire_timers(due + timedelta(seconds=1)) == 1
    assert status(engine) == ["closed"]


@pytest.mark.parametrize("body, says", [
    (timer_body("Event_0wait", "2026-11-04"), "a duration timer takes a duration"),
    (date_timer_body("Event_1date", "2026-13-01"), "not a valid ISO 8601"),
    (timer_body("Event_0wait", "P1Y2W"), "not a valid ISO 8601"),
])
def test_a_timer_value_that_is_no_time_is_refused_at_deploy_naming_it(engine, body, says):
    [problem] = refused(engine, "broken", diagram("broken", body))
    assert problem["element"] in ("Event_0wait", "Event_1date") and says in problem["message"] and problem["line"]


def test_a_timer_whose_variable_holds_no_time_is_a_422_that_saves_nothing(engine, client):
    deploy(engine, "dated", diagram("dated", date_timer_body("Event_1date", "subject")))
    before = stored(engine)
    resp = file(client, "dated", subject="next tuesday")
    body = resp.get_json()
    assert resp.status_code == 422 and body["details"]["element_id"] == "Event_1date", body
    assert "neither an ISO 8601 date" in body["message"]
    assert stored(engine) == before


# --- what cannot run is refused at deploy ---------------------------------------------------------------

def test_a_non_executable_process_is_refused_naming_it(engine):
    files = diagram("drawn", script_body("Activity_0a", "x = 1"))
    files["drawn.bpmn"] = files["drawn.bpmn"].replace(b'isExecutable="true"', b'isExecutable="false"')
    problems = refused(engine, "drawn", files)
    assert any(p["element"] == "drawn" and 'isExecutable="false"' in p["message"] for p in problems), problems


def two_processes(first: str = "Process_0first", second: str = "Process_1second") -> dict[str, bytes]:
    one = TEMPLATE.format(key=first, body=script_body("Activity_0a", "x = 1"))
    other = TEMPLATE.format(key=second, body=script_body("Activity_0b", "y = 2"))
    inner = other.split("<bpmn:process", 1)[1].split("</bpmn:process>", 1)[0]
    for name in ('"start"', '"end_closed"', '"to_work"', '"to_end"', ">to_work<", ">to_end<"):
        inner = inner.replace(name, name[:-1] + "_b" + name[-1])
    merged = one.replace("</bpmn:definitions>", f"<bpmn:process{inner}</bpmn:process>\n</bpmn:definitions>")
    return {"pair.bpmn": merged.encode(), "intake.json": diagram("x", "")["intake.json"]}


def test_the_main_process_of_a_multi_process_upload_is_chosen(engine, client):
    [problem] = refused(engine, "pair", two_processes())
    assert "choose it with main_process" in problem["message"]
    assert "Process_0first" in problem["message"] and "Process_1second" in problem["message"]
    [problem] = refused(engine, "pair", two_processes(), main_process="Process_9none")
    assert "not a process of this upload" in problem["message"]
    deployed = deploy(engine, "pair", two_processes(), main_process="Process_1second")
    assert engine.get_process_type("pair")["process_id"] == "Process_1second" and deployed["version"] == 1
    assert file(client, "pair").status_code == 201
    case = engine.list_cases(engine.actor_for("auditor1"))["items"][0]
    assert engine.get_case(engine.actor_for("auditor1"), case["id"])["data"].get("y") == 2


def test_main_process_goes_through_the_api(client, h):
    data = {"key": "pair", "name": "Pair", "public": "true", "main_process": "Process_0first",
            "files": multipart_files(two_processes())}
    resp = client.post(f"{API}/process-types", data=data, headers=h("owner1"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    data["files"], data["main_process"] = multipart_files(two_processes()), ""
    resp = client.post(f"{API}/process-types", data=data, headers=h("owner1"), content_type="multipart/form-data")
    assert "main_process" in assert_error(resp, 400)["details"][0]["message"]


MESSAGES = """<bpmn:message id="Message_0pay" name="{name}" />"""


def message_diagram(body: str, name: str) -> dict[str, bytes]:
    files = diagram("waits", body)
    files["waits.bpmn"] = files["waits.bpmn"].replace(
        b"<bpmn:process", MESSAGES.format(name=name).encode() + b"\n  <bpmn:process", 1)
    return files


RECEIVE = """<bpmn:receiveTask id="Activity_0recv" name="Wait for the payment" messageRef="Message_0pay">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing></bpmn:receiveTask>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="Activity_0recv" />
    <bpmn:sequenceFlow id="to_end" sourceRef="Activity_0recv" targetRef="end_closed" />"""
SEND = """<bpmn:intermediateThrowEvent id="Event_0send" name="Tell accounting">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MessageEventDefinition_0x" messageRef="Message_0pay" />
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="Event_0send" />
    <bpmn:sequenceFlow id="to_end" sourceRef="Event_0send" targetRef="end_closed" />"""


def test_a_message_nothing_delivers_is_refused_naming_the_element(engine):
    [problem] = refused(engine, "waits", message_diagram(RECEIVE, "payment_received"))
    assert (problem["element"], problem["name"]) == ("Activity_0recv", "Wait for the payment")
    assert "'payment_received', which nothing delivers" in problem["message"]
    [problem] = refused(engine, "waits", message_diagram(SEND, "accounting_told"))
    assert problem["element"] == "Event_0send" and "nothing in this upload receives" in problem["message"]


def test_the_complainants_answer_is_a_message_the_product_delivers(engine, client):
    deploy(engine, "waits", message_diagram(RECEIVE, "complainant_message"))
    resp = file(client, "waits")
    assert resp.status_code == 201
    receipt = resp.get_json()["receipt"]
    assert status(engine) == ["open"]
    assert client.post(f"{API}/public/reports/{receipt}/messages", json={"body": "paid today"}).status_code == 201
    assert status(engine) == ["closed"]


MULTI = """<bpmn:scriptTask id="Activity_0each" name="Each invoice">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopDataInputRef>invoices</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="invoice" name="invoice" />
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>seen = invoice</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="Activity_0each" />
    <bpmn:sequenceFlow id="to_end" sourceRef="Activity_0each" targetRef="end_closed" />"""


def test_a_multi_instance_over_a_missing_list_is_a_422_that_saves_nothing(engine, client):
    deploy(engine, "each", diagram("each", MULTI))
    before = stored(engine)
    resp = file(client, "each")
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["error"] == "workflow_failed" and body["details"]["element_id"] == "Activity_0each"
    assert stored(engine) == before


# --- the script environment ---------------------------------------------------------------------------

@pytest.mark.parametrize("script, name", [
    ("user = get_current_user()", "get_current_user"),
    ("home = os.getenv('HOME')", "os"),
    ("n = math.floor(1.5)", "math"),
    ("when = dateparser.parse(subject)", "dateparser"),
    ("t = time.monotonic()", "time.monotonic"),  # `time` is there, with only time()
    ("n = calendar.setfirstweekday(0)", "calendar.setfirstweekday"),
])
def test_a_script_using_a_name_the_environment_lacks_is_refused_at_deploy(engine, script, name):
    files = diagram("named", script_body("Activity_0s", script))
    [problem] = refused(engine, "named", files)
    assert problem["element"] == "Activity_0s" and f"{name!r} is not available" in problem["message"]


def test_every_unknown_name_is_listed_at_once(engine):
    [problem] = refused(engine, "named", diagram("named", script_body("Activity_0s", "a = foo()\nb = bar(a)")))
    assert "line 1: 'foo'" in problem["message"] and "line 2: 'bar'" in problem["message"]


def test_scripts_read_the_engine_clock_and_print_harmlessly(engine, client, clock):
    script = ("now_text = datetime.now(timezone.utc).isoformat()\n"
              "today_text = date.today().isoformat()\n"
              "stamp = int(time.time())\n"
              "week_day = calendar.weekday(2026, 11, 2)\n"
              "print('filed', subject)\n"
              "parsed = datetime.strptime('2026-11-30', '%Y-%m-%d').date().isoformat()\n"
              "data = json.loads('{\"a\": [1, 2]}')\n"
              "found = bool(re.search(r'\\d+', 'case 42'))")
    deploy(engine, "clocked", diagram("clocked", script_body("Activity_0s", script)))
    assert file(client, "clocked").status_code == 201
    case = engine.list_cases(engine.actor_for("auditor1"))["items"][0]
    data = engine.get_case(engine.actor_for("auditor1"), case["id"])["data"]
    assert data["now_text"] == clock.now().astimezone(timezone.utc).isoformat()
    assert data["today_text"] == "2026-11-02" and data["stamp"] == int(clock.now().timestamp())
    assert data["week_day"] == 0 and data["parsed"] == "2026-11-30" and data["data"] == {"a": [1, 2]}
    assert data["found"] is True and "printed" not in data


def test_a_pattern_that_could_backtrack_for_ever_is_a_422(engine, client):
    deploy(engine, "regex", diagram("regex", script_body("Activity_0r", "m = re.match('(a+)+$', subject)")))
    before = stored(engine)
    resp = file(client, "regex", subject="a" * 40 + "!")
    assert resp.status_code == 422 and "can run for ever" in resp.get_json()["message"]
    assert stored(engine) == before


def test_the_cli_chooses_the_main_process(runner, tmp_path, engine):
    paths = []
    for name, content in two_processes().items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    result = runner.invoke(args=["deploy", *paths, "--key", "pair", "--name", "Pair"])
    assert result.exit_code == 1 and "main_process" in result.output
    result = runner.invoke(args=["deploy", *paths, "--key", "pair", "--name", "Pair", "--main-process", "Process_0first"])
    assert result.exit_code == 0, result.output
    assert engine.get_process_type("pair")["process_id"] == "Process_0first"
