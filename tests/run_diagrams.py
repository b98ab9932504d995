"""Hostile little diagrams for the run-budget tests, built from one template.

Each is a public type whose start event takes the simple intake form (`subject`, `email`)
and whose work between start and `end_closed` is one of the bodies below.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

INTAKE = (Path(__file__).parent / "bpmn" / "intake.json").read_bytes()

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="intake.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>to_work</bpmn:outgoing>
    </bpmn:startEvent>
    {body}
    <bpmn:endEvent id="end_closed"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def script_body(element: str, script: str) -> str:
    """start -> a script task running `script` -> end."""
    return f"""<bpmn:scriptTask id="{element}" name="{element}">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


def condition_body(element: str, condition: str) -> str:
    """start -> a gateway whose way to the end is guarded by `condition` (default: also the end)."""
    return f"""<bpmn:exclusiveGateway id="{element}" default="to_end">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:outgoing>guarded</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_rejected"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="caseStatus" value="rejected" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>guarded</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />
    <bpmn:sequenceFlow id="guarded" sourceRef="{element}" targetRef="end_rejected">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"""


def script_then_condition_body(script: str, condition: str) -> str:
    """start -> script task `work` -> gateway `decide` (flow `guarded` under `condition`) -> end."""
    return f"""<bpmn:scriptTask id="work" name="work">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_decide</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="decide" default="to_end">
      <bpmn:incoming>to_decide</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:outgoing>guarded</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_rejected"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="caseStatus" value="rejected" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>guarded</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="to_decide" sourceRef="work" targetRef="decide" />
    <bpmn:sequenceFlow id="to_end" sourceRef="decide" targetRef="end_closed" />
    <bpmn:sequenceFlow id="guarded" sourceRef="decide" targetRef="end_rejected">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"""


def timer_body(element: str, duration: str) -> str:
    """start -> an intermediate timer waiting `duration` (an expression) -> end."""
    return f"""<bpmn:intermediateCatchEvent id="{element}" name="{element}">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:timerEventDefinition id="{element}_timer"><bpmn:timeDuration>{escape(duration)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


def gateway_loop_body() -> str:
    """start -> `spin` -> gateway `again`, whose default leads back to `spin`: it never waits."""
    return """<bpmn:scriptTask id="spin" name="Spin">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:incoming>back</bpmn:incoming>
      <bpmn:outgoing>to_gateway</bpmn:outgoing><bpmn:script>turns = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="again" default="back">
      <bpmn:incoming>to_gateway</bpmn:incoming><bpmn:outgoing>back</bpmn:outgoing>
      <bpmn:outgoing>to_end</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="spin" />
    <bpmn:sequenceFlow id="to_gateway" sourceRef="spin" targetRef="again" />
    <bpmn:sequenceFlow id="back" sourceRef="again" targetRef="spin" />
    <bpmn:sequenceFlow id="to_end" sourceRef="again" targetRef="end_closed">
      <bpmn:conditionExpression>turns == 0</bpmn:conditionExpression></bpmn:sequenceFlow>"""


def call_body(element: str, called: str) -> str:
    """start -> a call activity of process `called` -> end."""
    return f"""<bpmn:callActivity id="{element}" name="{element}" calledElement="{called}">
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing></bpmn:callActivity>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


def decision_body(element: str, decision: str) -> str:
    """start -> a business rule task deciding with DMN `decision` -> end."""
    return f"""<bpmn:businessRuleTask id="{element}" name="{element}">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>to_work</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="to_work" sourceRef="start" targetRef="{element}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="{element}" targetRef="end_closed" />"""


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_{decision}"
  name="{decision}" namespace="http://complaintflow.example/dmn">
  <decision id="{decision}" name="{decision}">
    <decisionTable id="{decision}_table" hitPolicy="FIRST">
      <input id="input_subject" label="Subject">
        <inputExpression id="input_subject_expression" typeRef="string"><text>{input}</text></inputExpression>
      </input>
      <output id="output_team" label="Team" name="team" typeRef="string" />
      <rule id="rule_1">
        <inputEntry id="rule_1_subject"><text>{entry}</text></inputEntry>
        <outputEntry id="rule_1_team"><text>{output}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def diagram(key: str, body: str, **extra: bytes) -> dict[str, bytes]:
    """The files of one deployment: the BPMN, the intake form, and any extra files (DMN)."""
    return {f"{key}.bpmn": TEMPLATE.format(key=key, body=body).encode(), "intake.json": INTAKE, **extra}


def decision_table(decision: str, input: str = "subject", entry: str = '"x"', output: str = '"team_a"') -> bytes:
    return DMN.format(decision=decision, input=escape(input), entry=escape(entry), output=escape(output)).encode()
