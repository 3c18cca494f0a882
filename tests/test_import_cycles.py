"""No import circles in kb/: every module is parsed with ast (nothing is imported or run), every
import statement is an edge, a function's lazy import as much as a module's own, and the graph
must have no cycle. A shared helper goes down a floor, not sideways (../shared/DESIGN.md §2).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kb"

Graph = dict[str, set[str]]


def modules(root: Path) -> dict[str, Path]:
    """Every module under the package directory `root`, by dotted name (a package by its own
    name, its __init__.py)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports anywhere in its text.

    `from a.b import c` imports a.b (a package's __init__ runs first, whatever it holds), and
    a.b.c too when that is a module; a relative import is resolved against the module's
    package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {target for target in targets if target in known and target != name}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The absolute module name an ImportFrom names."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def graph(root: Path) -> Graph:
    """Module -> the modules it imports, for every module under `root`."""
    found = modules(root)
    return {name: imported(name, path, set(found)) for name, path in found.items()}


def cycles(edges: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def a_cycle(edges: Graph, component: list[str]) -> list[str]:
    """One cycle through the first module of a component, as the chain of imports."""
    start = component[0]
    inside = set(component)

    def paths(node: str, seen: list[str]) -> Iterator[list[str]]:
        for target in sorted(edges[node] & inside):
            if target == start:
                yield [*seen, start]
            elif target not in seen:
                yield from paths(target, [*seen, target])

    return next(paths(start, [start]))


def test_kb_has_no_import_cycle() -> None:
    edges = graph(PACKAGE)
    assert len(edges) > 50  # every module was found
    found = [" -> ".join(a_cycle(edges, component)) for component in cycles(edges)]
    assert found == []


def test_a_lazy_import_closing_a_circle_is_caught(tmp_path: Path) -> None:
    # The check itself: pkg.a imports pkg.b at the top; pkg.b imports pkg.a inside a function
    # (the form kb.queries.facts and kb.conflicts had), by a relative import.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "a.py").write_text("from pkg.b import helper\n")
    (package / "b.py").write_text("def helper():\n    from . import a\n    return a\n")
    (package / "c.py").write_text("import pkg.a\n")
    edges = graph(package)
    assert edges == {
        "pkg": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg", "pkg.a"},
        "pkg.c": {"pkg.a"},
    }
    assert cycles(edges) == [["pkg.a", "pkg.b"]]
    assert a_cycle(edges, ["pkg.a", "pkg.b"]) == ["pkg.a", "pkg.b", "pkg.a"]


def test_a_module_importing_its_package_that_imports_it_is_a_circle(tmp_path: Path) -> None:
    # The form kb.queries.facts had: the package's __init__ imports facts, and facts imports a
    # sibling through the package (`from kb.queries import conflicts`), which runs __init__.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.facts import figures\n")
    (package / "facts.py").write_text("def figures():\n    from pkg import marks\n")
    (package / "marks.py").write_text("")
    edges = graph(package)
    assert edges["pkg.facts"] == {"pkg", "pkg.marks"}
    assert cycles(edges) == [["pkg", "pkg.facts"]]
