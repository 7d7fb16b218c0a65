"""lambdalab's modules read one way: no module imports, even for type checking only, a module that
imports it back (issue 8: the engine does not know its callers)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lambdalab"


def imports() -> dict[str, set[str]]:
    """Each module's imports of its sibling modules, ``TYPE_CHECKING`` blocks included."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps.update([node.module.split(".")[0]] if node.module else (a.name for a in node.names))
        graph[path.stem] = deps & {p.stem for p in PACKAGE.glob("*.py")}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import paths that come back to where they started (one per circle found)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(graph[module]):
            if dep in path:
                found.append([*path[path.index(dep) :], dep])
            elif dep not in done:
                visit(dep, [*path, dep])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_lambdalab() -> None:
    assert circles(imports()) == []
