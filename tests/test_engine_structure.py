"""The engine's shape: its modules import each other one way only (an import inside a function
counts too, so no cycle hides behind one), and the facade's mixins say what they need from it."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.test_engine_core import core  # noqa: F401 - a small engine to look at

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_imports() -> dict[str, dict[str, list[str]]]:
    """{module: {"top": [engine modules imported at module level], "inner": [imported in functions]}},
    modules by their dotted names, over every package of engine/ (its migrations left out)."""
    paths = [p for p in ENGINE.rglob("*.py") if "migrations" not in p.parts]
    known = {_module_name(p) for p in paths}
    graph = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top, inner = [], []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not (node.module or "").startswith("engine"):
                continue
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                     for a in node.names]
            (top if node in tree.body else inner).extend(names)
        graph[_module_name(path)] = {"top": top, "inner": inner}
    return graph


def test_engine_modules_import_each_other_one_way():
    graph = engine_imports()
    edges = {m: {n for n in g["top"] + g["inner"] if n in graph} for m, g in graph.items()}
    state: dict[str, str] = {}

    def visit(module, trail):
        state[module] = "open"
        for nxt in sorted(edges[module]):
            assert state.get(nxt) != "open", "import cycle: " + " -> ".join(trail + [module, nxt])
            if nxt not in state:
                visit(nxt, trail + [module])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [])


def test_the_facade_provides_what_its_mixins_declare_they_need(core):
    mixins = [m for m in type(core).__mro__ if m.__module__.startswith("engine.operations.")]
    assert len(mixins) >= 2
    for mixin in mixins:
        needs = set(getattr(mixin, "__annotations__", {}))
        assert {"ctx", "_tx"} <= needs, mixin.__name__
        for name in needs:
            assert hasattr(core, name), (mixin.__name__, name)
    with core._tx() as session:  # the transaction the mixins' operations run in
        assert session.is_active


def test_every_engine_folder_reads_on_one_screen():
    """A folder past what one screen lists is grouped by capability (engine/clocks/, engine/confidential/...)."""
    for folder in [ENGINE, *(p for p in ENGINE.iterdir() if p.is_dir() and (p / "__init__.py").exists())]:
        modules = [p for p in folder.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]
        assert len(modules) <= 40, f"{folder.name}/ holds {len(modules)} modules: group them by capability"
