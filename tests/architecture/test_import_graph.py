"""The apps' modules import each other one way: no cycle, and never from an app above.

The imports are read with :mod:`ast` from the source files (every ``import`` statement,
function-local ones and ``TYPE_CHECKING`` ones included), so the test needs no import side
effect and sees what a ``python -c 'import x'`` would not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: an app may import the apps below it, never one above. devtools (samples,
# writers, benches, demo) sits on top of the domain apps and nothing imports it.
LAYERS = ("ent", "accounts", "imports", "deposits", "devtools")
# ent is also the project package: its URL configuration and WSGI/ASGI entry points wire the
# apps together, so they sit above them. Nothing else is exempt.
PROJECT_MODULES = {"ent.urls", "ent.wsgi", "ent.asgi", "ent.settings", "ent.celery"}
EXEMPT_UPWARD = PROJECT_MODULES


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for app in LAYERS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """Yield the app modules that the module ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from package import module`` imports the module; otherwise the package.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imported(name, path, modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_no_module_of_the_apps_takes_part_in_an_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_no_module_imports_from_an_app_above_its_own() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module) and module not in EXEMPT_UPWARD
    )
    assert upward == []


def test_the_graph_reader_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    modules = {"imports.a": tmp_path / "a.py", "imports.b": tmp_path / "b.py", "ent": tmp_path}
    (tmp_path / "a.py").write_text("def f():\n    from . import b\n    import ent.models\n")
    assert set(_imported("imports.a", tmp_path / "a.py", modules)) == {"imports.b", "ent"}
    assert _cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z"]]
