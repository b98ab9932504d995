"""Deploy-time rules for diagrams written elsewhere (SpiffArena, Camunda, bpmn.io), each a
separate check that returns the problems it finds, so deploy lists every one at once:

- lanes map to groups (`map_lanes`): the deploy-time mapping `lane_groups` {lane name: group},
  else the lane's `group` property, else a lane named like an existing group; a lane whose
  group a case chooses names the data variable in its `groupVariable` property;
- the process that runs is executable (`isExecutable="false"` is refused, naming it), and which
  process of a multi-process upload is the main one is chosen or asked for (`main_process`);
- a message the product cannot deliver is refused (`check_messages`): the product delivers one
  message, the complainant's (or reporter's) answer, named `complainant_message`.
"""
from __future__ import annotations

from typing import Callable

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF}
HUMAN_TASKS = ("userTask", "manualTask", "task")
DELIVERED_MESSAGES = ("complainant_message",)  # engine.cases.COMPLAINANT_MESSAGE


def _problem(file: str, node, message: str) -> dict:
    return {"file": file, "element": node.get("id") if node is not None else None,
            "name": node.get("name") if node is not None else None,
            "line": node.sourceline if node is not None else None, "message": message}


def _props(node) -> dict:
    return {p.get("name"): p.get("value")
            for p in node.iterfind("bpmn:extensionElements/spiff:properties/spiff:property", NS)}


# --- lanes -----------------------------------------------------------------------------------------

def map_lanes(trees: dict, lane_groups: dict | None, groups_that_exist: Callable[[set], set] | None) -> tuple[dict, dict, list]:
    """({lane: group}, {lane: data variable}, problems). `groups_that_exist(names)` answers which
    of `names` are groups (None: no groups to check against, as at first start, before anyone
    could create one; every lane then maps by its property or its name)."""
    lane_groups = dict(lane_groups or {})
    lanes = []  # (file, lane node, lane name, has human tasks)
    for file, root in trees.items():
        human = {n.get("id") for n in root.iter() if isinstance(n.tag, str)
                 and etree.QName(n).namespace == BPMN and etree.QName(n).localname in HUMAN_TASKS}
        for lane in root.iter(f"{{{BPMN}}}lane"):
            refs = {(r.text or "").strip() for r in lane.iterfind("bpmn:flowNodeRef", NS)}
            lanes.append((file, lane, lane.get("name") or lane.get("id"), bool(refs & human)))
    wanted: dict[str, str] = {}
    variables: dict[str, str] = {}
    for _, lane, name, _ in lanes:
        props = _props(lane)
        chosen = lane_groups.get(name) or props.get("group")
        if chosen:
            wanted[name] = chosen
        elif props.get("groupVariable"):
            variables[name] = props["groupVariable"]
        else:
            wanted.setdefault(name, name)
    existing = groups_that_exist(set(wanted.values())) if groups_that_exist else set(wanted.values())
    problems, mapping = [], {}
    for file, lane, name, has_human in lanes:
        group = wanted.get(name)
        if name in variables or group is None:
            continue
        if group in existing:
            mapping[name] = group
        elif name in lane_groups or _props(lane).get("group"):
            problems.append(_problem(file, lane, f"lane {name!r} is mapped to group {group!r}, which does not exist"))
        elif has_human:
            problems.append(_problem(file, lane, f"lane {name!r} maps to no group: map it at deploy "
                                                 f"(lane_groups, e.g. {{\"{name}\": \"finance\"}}) or give the lane "
                                                 "a `group` property"))
    known = {name for _, _, name, _ in lanes}
    for name in sorted(set(lane_groups) - known):
        problems.append({"file": "", "element": None, "name": name, "line": None,
                         "message": f"lane_groups names lane {name!r}, which the diagram does not have "
                                    f"(its lanes: {', '.join(sorted(known)) or 'none'})"})
    return mapping, variables, problems


# --- which process runs ----------------------------------------------------------------------------

def processes(trees: dict) -> list[tuple[str, object]]:
    return [(file, p) for file, root in trees.items() for p in root.iterfind("bpmn:process", NS)]


def _called(trees: dict) -> set[str]:
    return {n.get("calledElement") for _, root in trees.items() for n in root.iter(f"{{{BPMN}}}callActivity")}


def choose_main_process(trees: dict, asked: str | None, key: str | None) -> tuple[str | None, list]:
    """The process a case runs: the one asked for (`main_process`), else the only executable
    process that no other one calls, else the one whose id is the type key. Problems say which
    ids may be chosen."""
    found = processes(trees)
    ids = [p.get("id") for _, p in found]
    called = _called(trees)
    runnable = [p.get("id") for _, p in found if p.get("isExecutable", "true") != "false"]
    candidates = [pid for pid in runnable if pid not in called] or runnable
    listing = ", ".join(candidates or ids) or "none"
    if asked:
        if asked in ids:
            return asked, []
        return None, [{"file": "", "element": None, "name": None, "line": None,
                       "message": f"main_process {asked!r} is not a process of this upload (choose one of: {listing})"}]
    if len(candidates) == 1:
        return candidates[0], []
    if key in candidates:
        return key, []
    if not candidates:
        return (ids[0] if ids else None), []  # the executable check names the problem
    return None, [{"file": "", "element": None, "name": None, "line": None,
                   "message": f"this upload has {len(candidates)} processes that could be the main one: choose it "
                              f"with main_process (one of: {listing})"}]


def check_executable(trees: dict, main_id: str | None) -> list[dict]:
    """A process marked `isExecutable="false"` does not run here: refused when it is the main one,
    is called by a call activity, or has anything to run (a pool that only documents a partner,
    with no elements, is fine)."""
    called = _called(trees)
    out = []
    for file, process in processes(trees):
        if process.get("isExecutable", "true") != "false":
            continue
        runs = any(isinstance(n.tag, str) and etree.QName(n).localname not in
                   ("laneSet", "lane", "flowNodeRef", "extensionElements", "documentation", "textAnnotation",
                    "association") for n in process)
        if process.get("id") == main_id or process.get("id") in called or runs:
            out.append(_problem(file, process, f"process {process.get('id')!r}"
                                               f"{' (' + process.get('name') + ')' if process.get('name') else ''} "
                                               "is marked not executable (isExecutable=\"false\"): set it to true "
                                               "to run it, or leave it out of the upload"))
    return out


# --- messages --------------------------------------------------------------------------------------

def check_messages(trees: dict) -> list[dict]:
    """Every message a diagram waits for must be one the product delivers (the complainant's
    answer) or one thrown inside the same upload; every message thrown must be caught inside it."""
    names = {}
    for _, root in trees.items():
        for message in root.iter(f"{{{BPMN}}}message"):
            names[message.get("id")] = message.get("name") or message.get("id")
    catches, throws = [], []
    for file, root in trees.items():
        for node in root.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
                continue
            tag = etree.QName(node).localname
            if tag == "receiveTask":
                catches.append((file, node, names.get(node.get("messageRef"), node.get("messageRef"))))
            elif tag == "sendTask" and node.get("messageRef"):
                throws.append((file, node, names.get(node.get("messageRef"), node.get("messageRef"))))
            elif tag == "messageEventDefinition":
                event = node.getparent()
                kind = etree.QName(event).localname
                name = names.get(node.get("messageRef"), node.get("messageRef"))
                (throws if kind in ("intermediateThrowEvent", "endEvent") else catches).append((file, event, name))
    thrown = {name for _, _, name in throws}
    caught = {name for _, _, name in catches}
    out = []
    for file, node, name in catches:
        if etree.QName(node).localname == "startEvent" and etree.QName(node.getparent()).localname == "process":
            out.append(_problem(file, node, "a case starts when it is filed: its start event cannot wait for "
                                            f"message {name!r} (use a plain start event)"))
        elif name not in DELIVERED_MESSAGES and name not in thrown:
            out.append(_problem(file, node, f"waits for message {name!r}, which nothing delivers: the product "
                                            f"delivers only {', '.join(map(repr, DELIVERED_MESSAGES))} (the "
                                            "complainant's answer); a case would wait here for ever"))
    for file, node, name in throws:
        if name not in caught:
            out.append(_problem(file, node, f"sends message {name!r}, which nothing in this upload receives: the "
                                            "product cannot deliver it elsewhere (use a service task or a "
                                            "notification instead)"))
    return out
