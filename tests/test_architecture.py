"""The import graph reads like the flow: no circle, no import from a stage to a later one.

Layers (docs/ARCHITECTURE.md): the ground floor (shared nouns and edges) imports only the ground
floor; each stage imports the ground floor, its own modules and earlier stages; the pipeline and
the CLI, on top, may import anything. Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kcdata"

GROUND = frozenset({
    "kcdata", "kcdata.types", "kcdata.errors", "kcdata.config", "kcdata.dates", "kcdata.relations",
    "kcdata.labels", "kcdata.normalise", "kcdata.schemas", "kcdata.resources", "kcdata.fileio",
    "kcdata.http", "kcdata.engine",
})
STAGES = ("facts", "sources", "classify", "counterfactual", "render", "validate", "publish", "score")
TOP = ("pipeline", "workers", "cli", "__main__")
MAX_LINES = 700


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """kcdata modules imported anywhere in ``path`` (``from pkg import sub`` names ``pkg.sub``)."""
    found: set[str] = set()
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "kcdata")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "kcdata":
                continue
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            found.update(subs or [base])
            if len(subs) < len(node.names):
                found.add(base)
    return {m for m in found if m in modules}


def _layer(module: str) -> tuple[str, int]:
    if module in GROUND:
        return "ground", 0
    head = module.split(".")[1]
    if head in STAGES:
        return head, 1 + STAGES.index(head)
    if head in TOP:
        return head, 1 + len(STAGES)
    raise AssertionError(f"{module} belongs to no layer: add it to docs/ARCHITECTURE.md and this test")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(p, modules) - {m} for m, p in modules.items()}


def test_every_module_has_a_layer(graph):
    for module in graph:
        _layer(module)


def test_no_import_reaches_a_later_stage(graph):
    wrong = []
    for module, deps in sorted(graph.items()):
        name, rank = _layer(module)
        for dep in sorted(deps):
            dep_name, dep_rank = _layer(dep)
            if name == "ground" and dep_name != "ground":
                wrong.append(f"{module} (ground floor) imports {dep} ({dep_name})")
            elif name != "ground" and dep_rank > rank and name not in TOP:
                wrong.append(f"{module} ({name}) imports {dep}, a later stage ({dep_name})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circle(graph):
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                circles.append(" -> ".join([*stack[stack.index(d):], d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not circles, "\n".join(circles)


def test_modules_stay_small():
    big = {m: n for m, p in _modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_the_checks_can_fail(tmp_path):
    """The graph walker sees function-level and relative imports (a guard against a blind test)."""
    pkg = tmp_path / "kcdata" / "render"
    pkg.mkdir(parents=True)
    (tmp_path / "kcdata" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("def f():\n    from kcdata.score import runner\n")
    (pkg / "rows.py").write_text("from . import passages\nfrom .. import types\n")
    (pkg / "passages.py").write_text("")
    global PACKAGE
    old, PACKAGE = PACKAGE, tmp_path / "kcdata"
    try:
        modules = {m: Path() for m in ("kcdata", "kcdata.types", "kcdata.render", "kcdata.render.rows",
                                       "kcdata.render.passages", "kcdata.score", "kcdata.score.runner")}
        assert _imports(pkg / "__init__.py", modules) == {"kcdata.score.runner"}
        assert _imports(pkg / "rows.py", modules) == {"kcdata.render.passages", "kcdata.types"}
    finally:
        PACKAGE = old
