"""The complaint types shipped with complaintflow, as data: BPMN diagrams, DMN tables, JSON-Schema
forms and `bundled.json` (which of them are deployed at first start). No code lives here; the
folder is a package only so that a wheel installs it beside `engine` (engine.context.PROCESSES_DIR)."""
