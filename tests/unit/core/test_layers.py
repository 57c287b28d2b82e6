"""The package's layers, checked on its source: every import counts, including those inside functions.

- the frontend never imports the engine, and the engine never imports the frontend;
- the core (everything but the interfaces) never imports an interface: ``api``, ``batch``, ``handler``, ``cli``;
- the engine never imports boto3/botocore, and storage never imports torch;
- no import cycle between modules;
- no module imports another module's private (``_name``) names.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.support.paths import REPO

ROOT = REPO / "function"
PACKAGE = "sambert_lambda"
INTERFACES = ("api", "batch", "handler", "cli", "__main__")


def _modules() -> dict[str, Path]:
    mods = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import statement of ``module``."""
    path = MODULES[module]
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out += [(target, a.name) for a in node.names]
    return out


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for m in MODULES:
        for target, name in _imports(m):
            edges[m].add(f"{target}.{name}" if name and f"{target}.{name}" in MODULES else target)
    return edges


EDGES = _edges()


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations(rule) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in EDGES.items() for t in targets if rule(m, t))


def test_the_scan_sees_the_package():
    assert len(MODULES) > 50 and "sambert_lambda.synthesizer" in MODULES
    assert "sambert_lambda.engine.voice" in EDGES["sambert_lambda.synthesizer"]  # a function-level import


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("frontend imports engine", lambda m, t: _layer(m) == "frontend" and t.startswith(f"{PACKAGE}.engine")),
        ("engine imports frontend", lambda m, t: _layer(m) == "engine" and t.startswith(f"{PACKAGE}.frontend")),
        ("core imports an interface", lambda m, t: _layer(m) not in INTERFACES
         and any(t == f"{PACKAGE}.{i}" or t.startswith(f"{PACKAGE}.{i}.") for i in INTERFACES)),
        ("engine imports AWS", lambda m, t: _layer(m) == "engine" and t.split(".")[0] in ("boto3", "botocore")),
        ("storage imports torch", lambda m, t: _layer(m) == "storage" and t.split(".")[0] == "torch"),
    ],
)
def test_layer_rule(name, rule):
    assert _violations(rule) == [], name


def test_no_private_names_across_modules():
    found = []
    for m in MODULES:
        for target, name in _imports(m):
            private = name and name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
            if private and target.startswith(PACKAGE) and target != m and f"{target}.{name}" not in MODULES:
                found.append(f"{m} imports {target}.{name}")
    assert found == []


def test_no_import_cycles():
    graph = {m: {t for t in EDGES.get(m, ()) if t in MODULES and t != m} for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_a_violation_is_seen(tmp_path, monkeypatch):
    """The rules are not vacuous: a made-up edge from the engine to the frontend is reported."""
    monkeypatch.setitem(EDGES, "sambert_lambda.engine.units", EDGES["sambert_lambda.engine.units"] | {
        "sambert_lambda.frontend.pipeline"})
    assert _violations(lambda m, t: _layer(m) == "engine" and t.startswith(f"{PACKAGE}.frontend"))
