"""Process definitions: parse, validate and deploy BPMN (+ DMN and JSON Schema forms) as versions.

A deployment is refused, with every problem listed, unless: the XML is safe (no DTD, no
entities, no network), every process parses (`get_spec` per process id, parsing is lazy), every
service operator is registered, every user task lies in a lane and names a form that is
present and a valid JSON Schema, every script, condition, timer, parameter and DMN cell compiles
in the restricted environment without a constant over the run limits (engine.diagrams.run_budget), no call
activity leads back to its own process, and the type's own properties (end statuses, alert kinds,
clock keepers, extension rule, need-to-know, number prefix, deadline labels: engine.diagrams.type_rules) are
well formed. Manual and plain tasks are human tasks too (a lane, a form if they name one). The
rules for diagrams written elsewhere — lanes mapped to groups, executable processes, the main
process, deliverable messages — are in engine.diagrams.diagram_rules; timer values in engine.clocks.timer_values.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.diagrams import diagram_rules, type_rules
from engine.clocks import timer_values
from engine.diagrams.diagram_rules import HUMAN_TASKS
from engine.errors import DeploymentInvalid, NotFound
from engine.handler_api import HandlerRegistry
from engine.models import ProcessDefinition, ProcessType, StaffGroup
from engine.runtime import ParsedSpec, parse_spec, serialize_spec
from engine.diagrams.script_env import check_expression, check_script

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
MAX_FILE_BYTES = 2 * 1024 * 1024

BUNDLE_MANIFEST = "bundled.json"  # in the processes folder: [{"key", "name", "diagram"}], deployed at first start


def safe_xml(content: bytes, filename: str):
    """Parse XML with DTDs, entities and network access off: no XXE, no billion laughs."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ValueError("DOCTYPE and entity declarations are not allowed")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True)
    return etree.fromstring(content, parser=parser, base_url=None)


@dataclass
class Problem:
    file: str
    message: str
    element: str | None = None
    line: int | None = None
    name: str | None = None  # the element's name, as the modeler shows it

    def to_dict(self) -> dict:
        return {"file": self.file, "element": self.element, "name": self.name, "line": self.line,
                "message": self.message}


def inspect_files(files: dict[str, bytes], registry: HandlerRegistry,
                  preferred_process: str | None = None, lane_groups: dict | None = None,
                  groups_that_exist=None, main_process: str | None = None) -> tuple[dict, str]:
    """Validate a bundle of files; return (summary, spec_json) or raise DeploymentInvalid.
    `lane_groups`, `groups_that_exist` and `main_process`: see engine.diagrams.diagram_rules."""
    problems: list[Problem] = []
    bpmn_trees, dmn_trees, forms = {}, {}, {}
    for name, content in files.items():
        if len(content) > MAX_FILE_BYTES:
            problems.append(Problem(name, "file is larger than 2 MiB"))
            continue
        lower = name.lower()
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, "files must be UTF-8 encoded"))
            continue
        try:
            if lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml"):
                bpmn_trees[name] = safe_xml(content, name)
            elif lower.endswith(".dmn"):
                dmn_trees[name] = safe_xml(content, name)
            elif lower.endswith(".json"):
                schema = json.loads(content.decode("utf-8"))
                Draft202012Validator.check_schema(schema)
                forms[Path(name).name] = schema
            else:
                problems.append(Problem(name, "only .bpmn, .dmn and .json files can be deployed"))
        except (etree.XMLSyntaxError, ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, f"cannot be read: {exc}"))
        except SchemaError as exc:
            problems.append(Problem(name, f"not a valid JSON Schema: {exc.message}"))
    if not bpmn_trees:
        if not problems:
            problems.append(Problem("", "no BPMN file in the deployment"))
        raise DeploymentInvalid("the process cannot be deployed", [p.to_dict() for p in problems])

    # every problem at once: a file that does not parse is reported with all its schema errors,
    # and the other files and the checks below still run
    parser = SpiffBpmnParser(validator=VALIDATOR)
    unparsed = bool(problems)
    for name, tree in list(dmn_trees.items()) + list(bpmn_trees.items()):
        try:
            (parser.add_dmn_xml if name in dmn_trees else parser.add_bpmn_xml)(tree, filename=name)
        except ValidationException as exc:
            unparsed = True
            problems.extend((_schema_problems(name, tree) if name in bpmn_trees else [])
                            or [_problem_from(exc, bpmn_trees)])

    summary = {"forms": forms, "user_tasks": {}, "lanes": [], "elements": {}, "lane_of": {}}
    for name, tree in bpmn_trees.items():
        problems.extend(_check_tree(name, tree, registry, forms, summary))
    for name, tree in dmn_trees.items():
        problems.extend(_check_decisions(name, tree))
    problems.extend(_check_calls(bpmn_trees))
    main_id, lane_map = _check_portability(bpmn_trees, summary, problems, lane_groups, groups_that_exist,
                                           main_process, preferred_process)

    process_ids = parser.get_process_ids()
    spec = subprocess_specs = None
    for pid in ([] if unparsed else process_ids):
        if pid != main_id and main_id is not None and not _needed_by(pid, main_id, bpmn_trees):
            continue  # another pool of the upload (a partner drawn for the record): not run, not parsed
        try:
            s = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            if pid == main_id:
                spec, subprocess_specs = s, subs
        except ValidationException as exc:
            problems.append(_problem_from(exc, bpmn_trees))
        except Exception as exc:  # the parser raises plain errors for some malformed models
            problems.append(Problem("", f"process {pid} cannot be parsed: {exc}"))
    intake = _intake_form(bpmn_trees, main_id, forms, problems)
    rules, rule_problems = type_rules.read(bpmn_trees, main_id)
    problems.extend(Problem(f, message, node.get("id"), node.sourceline) for f, node, message in rule_problems)
    if problems:
        raise DeploymentInvalid("the process cannot be deployed", [p.to_dict() for p in problems])
    starts = [s.get("id") for t in bpmn_trees.values() for p in t.iterfind("bpmn:process", NS)
              if p.get("id") == main_id for s in p.iterfind("bpmn:startEvent", NS)]
    start_lane = next((summary["lane_of"][s] for s in starts if s in summary["lane_of"]), None)
    summary.update(process_id=main_id, intake_form=intake,
                   intake_lane=lane_map.get(start_lane, start_lane) if start_lane else None,
                   anonymous_allowed=bool(intake.get("x-anonymous-allowed", False)), **rules)
    return summary, serialize_spec(spec, subprocess_specs)


def _check_tree(filename: str, root, registry: HandlerRegistry, forms: dict, summary: dict) -> list[Problem]:
    problems: list[Problem] = []

    def bad(node, message):
        problems.append(Problem(filename, message, node.get("id"), node.sourceline, node.get("name")))

    in_lane = {}
    for lane in root.iterfind(".//bpmn:lane", NS):
        lane_name = lane.get("name") or lane.get("id")
        summary["lanes"].append(lane_name)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            in_lane[(ref.text or "").strip()] = lane_name
    summary["lane_of"].update(in_lane)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        tag = etree.QName(node).localname
        if node.get("id") and etree.QName(node).namespace == BPMN:
            summary["elements"][node.get("id")] = tag
        if tag in HUMAN_TASKS and etree.QName(node).namespace == BPMN:
            props = type_rules.properties(node)
            form = props.get("formJsonSchemaFilename")
            what = {"userTask": "a user task", "manualTask": "a manual task", "task": "a task"}[tag]
            if node.get("id") not in in_lane:
                bad(node, f"{what} must lie in a lane (the lane says which group does it)")
            if not form and tag == "userTask":
                bad(node, "a user task needs a form (property formJsonSchemaFilename)")
            elif form and form not in forms:
                bad(node, f"form file {form} is missing from the deployment")
            else:
                _attach_layout(node, props, forms, bad)
            summary["user_tasks"][node.get("id")] = {
                "name": node.get("name") or node.get("id"), "lane": in_lane.get(node.get("id")),
                "form": form, "due_variable": props.get("dueDateVariable"), "kind": tag}
        elif tag == "serviceTaskOperator" and etree.QName(node).namespace == SPIFF:
            operator = node.get("id")
            if operator not in registry:
                bad(node.getparent().getparent(), f"unknown service operator {operator!r}")
            for param in node.iterfind(".//spiff:parameter", NS):
                err = check_expression(param.get("value") or "None")
                if err:
                    bad(node.getparent().getparent(), f"parameter {param.get('id')}: {err}")
        elif tag in ("script", "preScript", "postScript") and (node.text or "").strip():
            err = check_script(node.text)
            if err:
                bad(node.getparent() if tag == "script" else node.getparent().getparent(), err)
        elif tag in timer_values.KINDS and (node.text or "").strip():
            bare = timer_values.literal(node.text)
            err = timer_values.literal_problem(timer_values.KINDS[tag], bare) if bare else \
                (f"{node.text.strip()!r} is not a valid ISO 8601 date, time or duration"
                 if timer_values.looks_like_a_bad_literal(node.text) else check_expression(node.text))
            if err:
                bad(node.getparent().getparent(), f"{tag}: {err}")
        elif tag == "conditionExpression" and (node.text or "").strip():
            err = check_expression(node.text)
            if err:
                bad(node.getparent(), f"{tag}: {err}")
    return problems


# SpiffWorkflow's DMN engine replaces `?` outside quotes by the input value (DMNEngine.evaluate)
_DMN_INPUT_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


def _check_decisions(filename: str, root) -> list[Problem]:
    """Every DMN cell is Python run in the restricted environment: compile each the way
    SpiffWorkflow's DMN engine will evaluate it (an input entry against its input expression)."""
    problems: list[Problem] = []

    def text_of(node) -> str:
        child = next((c for c in node if _named(c, "text")), None)
        return (child.text or "").strip() if child is not None else ""

    def check(node, what: str, expression: str) -> None:
        err = check_expression(expression)
        if err:
            problems.append(Problem(filename, f"{what}: {err}", node.get("id"), node.sourceline))

    for table in (n for n in root.iter() if _named(n, "decisionTable")):
        input_nodes = [n for n in table.iter() if _named(n, "inputExpression")]
        inputs = [text_of(n) for n in input_nodes]
        for node, expression in zip(input_nodes, inputs):
            if expression:
                check(node, "input expression", expression)
        for rule in (n for n in table if _named(n, "rule")):
            for node, given in zip([n for n in rule if _named(n, "inputEntry")], inputs):
                entry = text_of(node)
                if not entry or entry == "-":
                    continue
                if _DMN_INPUT_MARK.search(entry):
                    check(node, "input entry", _DMN_INPUT_MARK.sub("dmninputexpr", entry))
                else:
                    check(node, "input entry", f"({given}) == ({entry})" if _parses(entry) else given + entry)
            for node in (n for n in rule if _named(n, "outputEntry")):
                if text_of(node):
                    check(node, "output entry", text_of(node))
    return problems


def _named(node, localname: str) -> bool:
    return isinstance(node.tag, str) and etree.QName(node).localname == localname


def _parses(expression: str) -> bool:
    try:
        ast.parse(expression)
    except SyntaxError:
        return False
    return True


def _check_calls(trees: dict) -> list[Problem]:
    """A call activity may not lead back to its own process (directly or through others): each
    call would open one more level until the run's call-depth limit stops the filing."""
    calls: dict[str, list[tuple[str, object]]] = {}
    for filename, root in trees.items():
        for process in root.iterfind("bpmn:process", NS):
            for node in process.iter(f"{{{BPMN}}}callActivity"):
                calls.setdefault(process.get("id"), []).append((filename, node))

    called = {pid: [node.get("calledElement") for _, node in nodes] for pid, nodes in calls.items()}
    return [Problem(filename, f"calls process {node.get('calledElement')!r}, which leads back to its own process "
                              f"{process_id!r}: a process may not call itself", node.get("id"), node.sourceline)
            for process_id, nodes in calls.items() for filename, node in nodes
            if _reaches(called, node.get("calledElement"), process_id)]


def _reaches(calls: dict, start: str, target: str) -> bool:
    """Whether process `start` leads to `target` through call activities (`calls`: process id ->
    the process ids its call activities call)."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(calls.get(current, ()))
    return False


def _check_portability(trees: dict, summary: dict, problems: list, lane_groups, groups_that_exist,
                       main_process, key) -> tuple[str | None, dict]:
    """The rules for diagrams written elsewhere (engine.diagrams.diagram_rules): which process runs, that it
    is executable, that its messages can be delivered, and which group each lane is. Returns the
    main process id and the lane mapping, kept in the summary for routing."""
    main_id, found = diagram_rules.choose_main_process(trees, main_process, key)
    found += diagram_rules.check_executable(trees, main_id)
    found += diagram_rules.check_messages(trees)
    lane_map, lane_variables, lane_problems = diagram_rules.map_lanes(trees, lane_groups, groups_that_exist)
    found += lane_problems
    problems.extend(Problem(p["file"], p["message"], p["element"], p["line"], p["name"]) for p in found)
    summary.update(lane_groups=lane_map, lane_variables=lane_variables)
    return main_id, lane_map


def _needed_by(process_id: str, main_id: str, trees: dict) -> bool:
    """Whether the main process reaches `process_id` through call activities."""
    calls = {p.get("id"): {n.get("calledElement") for n in p.iter(f"{{{BPMN}}}callActivity")}
             for _, p in diagram_rules.processes(trees)}
    return _reaches(calls, main_id, process_id)


def _intake_form(trees: dict, process_id: str, forms: dict, problems: list[Problem]) -> dict:
    for name, tree in trees.items():
        for process in tree.iterfind("bpmn:process", NS):
            if process.get("id") != process_id:
                continue
            for start in process.iterfind("bpmn:startEvent", NS):
                form = type_rules.properties(start).get("formJsonSchemaFilename")
                if form and form in forms:
                    _attach_layout(start, type_rules.properties(start), forms,
                                   lambda node, message: problems.append(Problem(name, message, node.get("id"), node.sourceline)))
                    return forms[form]
                if form:
                    problems.append(Problem(name, f"intake form {form} is missing", start.get("id"), start.sourceline))
                    return {}
    return forms.get("intake.json") or DEFAULT_INTAKE_FORM


# A type whose start event names no form takes complaints with this one.
DEFAULT_INTAKE_FORM = {
    "type": "object", "title": "投诉 / Complaint",
    "x-labels": {"subject": {"zh_CN": "事由", "en": "Subject"}, "description": {"zh_CN": "详细情况", "en": "Details"},
                 "contact": {"zh_CN": "联系方式", "en": "How to reach you"}},
    "properties": {
        "subject": {"type": "string", "minLength": 1, "maxLength": 200, "title": "事由"},
        "description": {"type": "string", "minLength": 1, "maxLength": 10000, "x-widget": "textarea", "title": "详细情况"},
        "contact": {"type": "string", "maxLength": 200, "x-personal": True, "title": "联系方式"},
    },
    "required": ["subject", "description"],
}


def _attach_layout(node, props: dict, forms: dict, bad) -> None:
    """A form's ui-schema (`formUiSchemaFilename`: field order and widgets) travels inside the
    form as `x-ui`, so every page that draws the form lays it out the same way."""
    layout = props.get("formUiSchemaFilename")
    if not layout:
        return
    if layout not in forms:
        bad(node, f"form layout file {layout} is missing from the deployment")
    elif props.get("formJsonSchemaFilename") not in forms:
        bad(node, "a form layout needs the form it lays out (property formJsonSchemaFilename)")
    else:
        forms[props["formJsonSchemaFilename"]]["x-ui"] = forms[layout]


def _schema_problems(filename: str, tree) -> list[Problem]:
    """Every BPMN schema (XSD) error of a file, each with its line (the parser stops at the first)."""
    validator = VALIDATOR.validator
    if validator.validate(tree):
        return []
    at_line = {}
    for node in tree.iter():
        if isinstance(node.tag, str) and node.get("id"):
            at_line.setdefault(node.sourceline, node)  # the element the error's line opens, to mark it
    return [Problem(filename, e.message, at_line[e.line].get("id") if e.line in at_line else None, e.line,
                    at_line[e.line].get("name") if e.line in at_line else None) for e in validator.error_log]


def _problem_from(exc: ValidationException, trees: dict) -> Problem:
    line = getattr(exc, "line_number", None)
    element = getattr(exc, "id", None)
    file = getattr(exc, "file_name", "") or ""
    if not line and element:
        for tree in trees.values():
            found = tree.xpath("//*[@id=$id]", id=element)
            if found:
                line = found[0].sourceline
                break
    name = None
    if element:
        found = next((t.xpath("//*[@id=$id]", id=element) for t in trees.values() if t.xpath("//*[@id=$id]", id=element)), [])
        name = found[0].get("name") if found else None
    return Problem(file, str(exc).split("\n")[0], element, line, name)


# --- storage -------------------------------------------------------------------------------

def deploy(session: Session, registry: HandlerRegistry, key: str, name: str, files: dict[str, bytes],
           public: bool, actor: str, now: datetime, comment: str = "", lane_groups: dict | None = None,
           main_process: str | None = None, check_groups: bool = True) -> ProcessDefinition:
    """Validate and store a new version of a type, and point new cases at it; earlier versions
    keep running their cases. A version never changes once stored (see engine.diagrams.versions).
    `check_groups=False` (the shipped types at first start, before any group exists) maps lanes
    without asking whether their groups exist yet."""
    if not KEY_PATTERN.match(key or ""):
        raise DeploymentInvalid("invalid key", {"key": "lowercase letters, digits and _ (2–41 chars)"})
    if not (name or "").strip():
        raise DeploymentInvalid("invalid name", {"name": "a name is required"})
    summary, spec_json = inspect_files(files, registry, preferred_process=key, lane_groups=lane_groups,
                                       groups_that_exist=existing_groups(session) if check_groups else None,
                                       main_process=main_process)
    latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key))
    row = ProcessDefinition(
        key=key, version=(latest or 0) + 1, name=name.strip(), process_id=summary["process_id"],
        public=public, files={n: c.decode("utf-8") for n, c in files.items()}, spec_json=spec_json,
        summary=summary, deployed_at=now, deployed_by=actor, comment=(comment or "").strip(),
        sha256=content_hash(files))
    session.add(row)
    session.flush()
    session.info.setdefault(UNCOMMITTED, set()).add(row.id)
    point_latest(session, key, row.version, actor, now)
    return row


def content_hash(files: dict[str, bytes]) -> str:
    """The SHA-256 of a deployment's files (each file's name and bytes, in name order): two
    deployments of the same files have the same hash."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def point_latest(session: Session, key: str, version: int, actor: str, now: datetime) -> int | None:
    """Make `version` the one new cases of `key` start on; the version it replaces (None: first)."""
    pointer = session.get(ProcessType, key)
    if pointer is None:
        session.add(ProcessType(key=key, latest_version=version, updated_by=actor, updated_at=now))
        session.flush()
        return None
    before = pointer.latest_version
    pointer.latest_version, pointer.updated_by, pointer.updated_at = version, actor, now
    return before


def existing_groups(session: Session):
    """`groups_that_exist` for inspect_files: which of the names asked about are groups."""
    def which(names: set) -> set:
        if not names:
            return set()
        return set(session.scalars(select(StaffGroup.name).where(StaffGroup.name.in_(sorted(names)))))
    return which


def bundled_types(processes_dir: Path) -> list[dict]:
    """The types the processes folder ships (its manifest), whose diagram is there."""
    manifest = processes_dir / BUNDLE_MANIFEST
    if not manifest.exists():
        return []
    return [t for t in json.loads(manifest.read_text(encoding="utf-8")) if (processes_dir / t["diagram"]).exists()]


def bundled_files(processes_dir: Path, bpmn_file: str, key: str) -> dict[str, bytes]:
    files = {bpmn_file: (processes_dir / bpmn_file).read_bytes()}
    for dmn in sorted(processes_dir.glob("*.dmn")):
        files[dmn.name] = dmn.read_bytes()
    for form in sorted((processes_dir / "forms" / key).glob("*.json")):
        files[form.name] = form.read_bytes()
    return files


def _pointed():
    """Definition rows that are their type's latest (the `process_type` pointer)."""
    return select(ProcessDefinition).join(ProcessType, (ProcessType.key == ProcessDefinition.key)
                                          & (ProcessType.latest_version == ProcessDefinition.version))


def latest(session: Session, key: str) -> ProcessDefinition:
    """The version new cases of `key` start on (the newest unless an owner rolled it back)."""
    row = session.scalars(_pointed().where(ProcessDefinition.key == key)).first()
    if row is None:
        raise NotFound(f"no complaint type {key!r}")
    return row


def latest_of_each(session: Session) -> list[ProcessDefinition]:
    return list(session.scalars(_pointed().order_by(ProcessDefinition.key)))


def supervising_groups(session: Session) -> set[str]:
    """The groups the current version of each type names to supervise its tasks (process and lane
    `escalationGroup`): one row per type, read from the pointer table."""
    groups = set()
    for row in latest_of_each(session):
        groups.add(row.summary.get("escalation_group"))
        groups.update((row.summary.get("lane_escalation_groups") or {}).values())
    return {g for g in groups if g}


def describe(row: ProcessDefinition) -> dict:
    return {"key": row.key, "name": row.name, "version": row.version, "process_id": row.process_id,
            "public": row.public, "anonymous_allowed": row.summary.get("anonymous_allowed", False),
            "intake_form": row.summary.get("intake_form", {})}


# --- the in-process cache ------------------------------------------------------------------------

UNCOMMITTED = "definitions_deployed"  # session.info: ids deployed in this transaction, not yet committed


class Definition:
    """A deployed version as steps and views use it: what the row says, and the parsed spec.
    A definition row never changes once deployed, so it is read once per process and kept."""

    def __init__(self, id: int, key: str, version: int, name: str, process_id: str, public: bool,
                 summary: dict, spec_json: str):
        self.id, self.key, self.version, self.name = id, key, version, name
        self.process_id, self.public, self.summary = process_id, public, summary
        self._spec_json: str | None = spec_json
        self._spec: ParsedSpec | None = None
        self._parsing = threading.Lock()

    @property
    def spec(self) -> ParsedSpec:
        """The SpiffWorkflow spec, parsed on first use and shared by every run of this version."""
        if self._spec is None:
            with self._parsing:
                if self._spec is None:
                    self._spec = parse_spec(self._spec_json)
                    self._spec_json = None
        return self._spec


class DefinitionCache:
    """Definitions by id, for one engine (one database): kept on its EngineContext."""

    COLUMNS = (ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name,
               ProcessDefinition.process_id, ProcessDefinition.public, ProcessDefinition.summary,
               ProcessDefinition.spec_json)

    def __init__(self):
        self._known: dict[int, Definition] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, definition_id: int) -> Definition:
        known = self._known.get(definition_id)
        if known is not None:
            return known
        row = session.execute(select(*self.COLUMNS).where(ProcessDefinition.id == definition_id)).one_or_none()
        if row is None:
            raise NotFound("no such process definition")
        return self._keep(session, Definition(*row))

    def of(self, session: Session, definition: "ProcessDefinition | Definition") -> Definition:
        """The cached form of a row already in hand (no statement)."""
        if isinstance(definition, Definition):
            return definition
        known = self._known.get(definition.id)
        if known is not None:
            return known
        return self._keep(session, Definition(*(getattr(definition, c.key) for c in self.COLUMNS)))

    def _keep(self, session: Session, definition: Definition) -> Definition:
        if definition.id in session.info.get(UNCOMMITTED, ()):
            return definition  # its transaction may still roll back and the id be used again
        with self._lock:
            return self._known.setdefault(definition.id, definition)
