"""Layers point down: webapp -> handlers -> engine. engine/ and handlers/ never import flask or
webapp, and nothing outside engine/ touches SpiffWorkflow."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["engine", "handlers"])
def test_lower_layers_never_import_flask_or_webapp(package):
    offenders = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & {"flask", "flask_login", "flask_babel",
                                                                         "flask_wtf", "webapp", "werkzeug"})
                 for p in sources(package)}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert sources(package), f"{package}/ has no sources"


@pytest.mark.parametrize("package", ["webapp", "handlers"])
def test_only_the_engine_touches_spiffworkflow(package):
    offenders = [str(p.relative_to(ROOT)) for p in sources(package) if "SpiffWorkflow" in imported_modules(p)]
    assert offenders == []


def test_handlers_never_import_webapp_and_engine_never_imports_handlers():
    engine_importing_handlers = [str(p.relative_to(ROOT)) for p in sources("engine")
                                 if "handlers" in imported_modules(p)]
    assert engine_importing_handlers == []
