"""What a complaint type's diagram says about its cases, read once at deploy into the summary.

Nothing here knows a type: every rule comes from `spiffworkflow:property` extensions of the
deployed diagram (documented in docs/authoring.md, "Diagram properties"), with a default when a
property is absent. `read` turns them into summary entries (and lists every malformed one);
the accessors below answer the engine's questions from a definition's summary.

- end event `caseStatus`: the status the case gets when it ends there (default closed);
- boundary timer `alertKind`: the timer is the task's reminder (催办) or escalation (督办);
- process or lane `escalationGroup`: the supervising group (orphaned tasks, 督办, hand-backs);
- process or lane `clockKeeper`: the group that may pause and extend the clock;
- process `extensionDeadline`, `extensionCapDays`, `extensionApprovers`: the extension rule;
- process `sealedCaseReaders`, `identityRevealers`: who, besides auditors, opens a sealed case,
  and who may reveal a confidential reporter's identity (need-to-know);
- process `casePrefix`: cases are numbered PREFIX-YYYYMM-NNNN when filed;
- process `complainantHistoryField`: the intake field whose earlier cases (same type, same
  value) are shown on the case page;
- `deadlineLabel_zh` / `deadlineLabel_en` on the element that sets or waits for a deadline.
"""
from __future__ import annotations

import re

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF}

CASE_STATUSES = ("closed", "rejected", "transferred", "pending", "sealed")
DEFAULT_STATUS = "closed"
ALERT_KINDS = ("reminder", "escalation")
PREFIX = re.compile(r"^[A-Z]{2,4}$")
NAME = re.compile(r"^[A-Za-z_][\w.\-]{0,79}$")  # a group or data field name
LANGUAGES = {"deadlineLabel_zh": "zh_CN", "deadlineLabel_en": "en"}
HUMAN_TASKS = ("userTask", "manualTask", "task")


def properties(node) -> dict:
    """An element's own `spiffworkflow:property` values (not those of elements inside it)."""
    return {p.get("name"): (p.get("value") or "").strip()
            for p in node.iterfind("bpmn:extensionElements/spiff:properties/spiff:property", NS)}


def _groups(value: str | None) -> list[str]:
    return [g.strip() for g in (value or "").split(",") if g.strip()]


def read(trees: dict, main_id: str) -> tuple[dict, list[tuple[str, object, str]]]:
    """The summary entries of a bundle's diagrams, and its problems as (file, node, message)."""
    problems: list[tuple[str, object, str]] = []
    out = {"end_statuses": {}, "drawn_alerts": {}, "lane_clock_keepers": {}, "lane_escalation_groups": {},
           "deadline_labels": {}}
    labelled_by: dict[str, str] = {}
    for filename, root in trees.items():
        def bad(node, message, filename=filename):
            problems.append((filename, node, message))

        for node in root.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
                continue
            tag, props = etree.QName(node).localname, properties(node)
            if tag == "process" and node.get("id") == main_id:
                out.update(_process_rules(props, lambda message, node=node: bad(node, message)))
            elif tag == "lane":
                for name, key in (("clockKeeper", "lane_clock_keepers"), ("escalationGroup", "lane_escalation_groups")):
                    if props.get(name) and not NAME.match(props[name]):
                        bad(node, f"{name} {props[name]!r} is not a group name")
                    elif props.get(name):
                        out[key][node.get("name") or node.get("id")] = props[name]
            elif tag == "endEvent":
                status = props.get("caseStatus") or DEFAULT_STATUS
                if status not in CASE_STATUSES:
                    bad(node, f"caseStatus {status!r} is not one of {', '.join(CASE_STATUSES)}")
                out["end_statuses"][node.get("id")] = status
            kind = props.get("alertKind")
            if kind:
                _alert(node, tag, kind, out["drawn_alerts"], bad)
            _deadline_label(node, tag, props, out["deadline_labels"], labelled_by, bad)
    return out, problems


def _process_rules(props: dict, bad) -> dict:
    rules = {"escalation_group": props.get("escalationGroup") or None,
             "clock_keeper": props.get("clockKeeper") or None,
             "case_prefix": props.get("casePrefix") or None,
             "sealed_readers": _groups(props.get("sealedCaseReaders")),
             "identity_revealers": _groups(props.get("identityRevealers")),
             "complainant_history_field": props.get("complainantHistoryField") or None,
             "extension": None}
    if rules["case_prefix"] and not PREFIX.match(rules["case_prefix"]):
        bad(f"casePrefix {rules['case_prefix']!r}: 2 to 4 capital letters (CP gives CP-202611-0001)")
    for name, value in (("escalationGroup", rules["escalation_group"]), ("clockKeeper", rules["clock_keeper"]),
                        ("complainantHistoryField", rules["complainant_history_field"]),
                        *(("sealedCaseReaders", g) for g in rules["sealed_readers"]),
                        *(("identityRevealers", g) for g in rules["identity_revealers"])):
        if value and not NAME.match(value):
            bad(f"{name} {value!r} is not a group or field name")
    deadline, cap = props.get("extensionDeadline"), props.get("extensionCapDays")
    if deadline or cap:
        approvers = props.get("extensionApprovers") or rules["clock_keeper"]
        if not deadline:
            bad("extensionCapDays needs extensionDeadline (the deadline an extension moves)")
        elif not (cap or "").isdigit() or not 1 <= int(cap) <= 365:
            bad(f"extensionCapDays {cap!r}: the cap on extensions, 1 to 365 working days")
        elif not approvers:
            bad("an extension rule needs extensionApprovers or clockKeeper (the group that decides)")
        else:
            rules["extension"] = {"deadline": deadline, "cap": int(cap), "approvers": approvers}
    return rules


def _alert(node, tag: str, kind: str, drawn: dict, bad) -> None:
    timer = node.find("bpmn:timerEventDefinition", NS) is not None
    if kind not in ALERT_KINDS:
        bad(node, f"alertKind {kind!r} is not one of {', '.join(ALERT_KINDS)}")
    elif tag != "boundaryEvent" or not timer:
        bad(node, "alertKind belongs on a timer boundary event attached to a task (its 催办 or 督办)")
    else:
        drawn.setdefault(node.get("attachedToRef"), []).append(kind)


def _deadline_label(node, tag: str, props: dict, labels: dict, labelled_by: dict, bad) -> None:
    """`deadlineLabel_zh` / `_en` name the deadline the element sets or waits for: its `deadline`
    property, else a task's `dueDateVariable`, else a timer's expression when it is a plain name."""
    given = {lang: props[name] for name, lang in LANGUAGES.items() if props.get(name)}
    if not given:
        return
    name = props.get("deadline") or (props.get("dueDateVariable") if tag in HUMAN_TASKS else None)
    if not name:
        when = node.find("bpmn:timerEventDefinition", NS)
        text = " ".join(when.itertext()).strip() if when is not None else ""
        name = text if text.isidentifier() else None
    if not name:
        bad(node, "a deadline label needs the deadline's name: add the property deadline "
                  "(or put the label on the task whose dueDateVariable it is)")
        return
    if name in labels and labels[name] != given:
        bad(node, f"deadline {name!r} is already labelled differently on {labelled_by[name]}")
        return
    labels[name], labelled_by[name] = given, node.get("id")


# --- answers from a definition's summary -------------------------------------------------------

def case_status(summary: dict, end_ids: list[str]) -> str:
    """The status of a case that reached these end events (the last one decides)."""
    return (summary.get("end_statuses") or {}).get(end_ids[-1], DEFAULT_STATUS) if end_ids else DEFAULT_STATUS


def clock_keepers(summary: dict, lanes: list[str | None]) -> set[str]:
    """The groups that keep the clock of a case with open tasks in these lanes."""
    keepers = {summary.get("clock_keeper")}
    keepers.update((summary.get("lane_clock_keepers") or {}).get(lane) for lane in lanes)
    return {k for k in keepers if k}


def overseeing_groups(summary: dict) -> set[str]:
    """The groups the type's properties put in charge of its cases (they must see them)."""
    extension = summary.get("extension") or {}
    named = {summary.get("escalation_group"), summary.get("clock_keeper"), extension.get("approvers")}
    named.update((summary.get("lane_clock_keepers") or {}).values())
    named.update((summary.get("lane_escalation_groups") or {}).values())
    named.update(summary.get("sealed_readers") or ())
    named.update(summary.get("identity_revealers") or ())
    return {g for g in named if g}


def extension_rule(summary: dict) -> dict | None:
    return summary.get("extension") or None


def may_open_sealed(summary: dict, groups) -> bool:
    return bool(set(summary.get("sealed_readers") or ()) & set(groups))


def may_reveal_identity(summary: dict, groups) -> bool:
    return bool(set(summary.get("identity_revealers") or ()) & set(groups))


def deadline_labels(summary: dict) -> dict:
    """{deadline name: {"zh_CN": label, "en": label}} (a language may be missing)."""
    return dict(summary.get("deadline_labels") or {})
