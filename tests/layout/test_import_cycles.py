"""No import circles between mig's own modules (issue 14).

The graph is built with ``ast`` from every ``import`` and ``from ... import`` that runs:
at the top of a module and inside functions (lazy imports, kept so that ``mig --help`` and
a run the step cache answers never import SQLAlchemy, still say "this module needs that
one", and a circle through them still decides which module may be imported first).

Imports inside ``if TYPE_CHECKING:`` blocks do not count. They never run, so they cannot
make a command import more, nor meet a half-initialized module; they only let a signature
name a type: the replay's functions take the ``SchemaState`` whose ``apply`` calls them, a
table map holds table states. Counting them would forbid a container and its parts
from naming each other in annotations, which says nothing about how the code runs.

The implicit edge from a submodule to its own package's ``__init__`` is left out too
(Python imports the package first, but a package re-exporting its parts is not a circle a
reader has to untangle). ``from pkg import name`` is an edge to ``pkg.name`` when that is a
module, else to ``pkg``. Dynamic imports (``importlib.import_module`` of
the dialect registry) are not edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "offline_sql"
DIALECTS = "offline_sql.dialects"
"""The installed name of the checkout's top-level ``dialects/`` folder (``package-dir``)."""
ROOTS = ((ROOT / PACKAGE, PACKAGE), (ROOT / "dialects", DIALECTS))


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package, the dialects included
    under the name they install as."""
    modules: dict[str, Path] = {}
    for folder, name in ROOTS:
        for path in sorted(folder.rglob("*.py")):
            parts = [*name.split("."), *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _running_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree`` except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (anywhere in its file)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _running_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    source = _resolve_relative(module, is_package, node.level, node.module)
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.append(submodule if submodule in modules else source)
            for target in targets:
                # ``import offline_sql.a.b`` needs offline_sql.a.b; walk up to a known module.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target or target == module:
                    continue
                if module.startswith(target + "."):
                    continue  # a submodule importing its own package (see the docstring)
                graph[module].add(target)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle through the component's first module, for the failure message."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


KNOWN_CIRCLES: list[list[str]] = []
"""Circles still to break; a new circle, or one that grows, fails the test."""


def test_the_graph_sees_lazy_imports_not_type_checking_ones() -> None:
    graph = import_graph()
    # A function-local import (the CLI imports commands on first use) is an edge.
    assert "offline_sql.commands" in graph["offline_sql.cli"]
    # The replay names SchemaState only for its signatures: no edge back to the state.
    assert "offline_sql.replay" in graph["offline_sql.state"]
    assert "offline_sql.state" not in graph["offline_sql.replay"]
    # A dialect module is walked under its installed name, its relative imports too.
    postgresql = graph["offline_sql.dialects.postgresql.dialect"]
    relative = "offline_sql.dialects.postgresql.literals"
    assert {"offline_sql.dialect_api.base", relative} <= postgresql


def test_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_circles(graph) == [["a", "b", "c"]]
    assert _a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_circles() -> None:
    graph = import_graph()
    circles = [
        component
        for component in import_circles(graph)
        if not any(set(component) <= set(known) for known in KNOWN_CIRCLES)
    ]
    assert not circles, "import circles between mig's modules:\n" + "\n".join(
        " -> ".join(_a_cycle(graph, component)) + f"  (component: {', '.join(component)})"
        for component in circles
    )


def _database(module: str) -> str | None:
    """The database package ``module`` belongs to (``offline_sql.dialects.mysql``), or None."""
    if not module.startswith(DIALECTS + "."):
        return None
    return ".".join(module.split(".")[:3])


def test_the_core_never_imports_a_database() -> None:
    """The core reaches a database only through the registry (``importlib`` by name, typed by
    ``offline_sql.dialect_api``): mypy knows the files as ``dialects.*`` and could not follow a
    static import, and a database added needs no change in the core."""
    graph = import_graph()
    core = [m for m in graph if m != DIALECTS and not m.startswith(DIALECTS + ".")]
    assert "offline_sql.dialect_api.registry" in core and "offline_sql.online" in core
    found = [f"{m} -> {t}" for m in core for t in sorted(graph[m]) if t.startswith(DIALECTS)]
    assert not found, "the core imports a database's package:\n" + "\n".join(found)


def test_a_database_imports_only_the_core_and_itself() -> None:
    """Each database's folder stands alone: removing or adding one touches no other."""
    graph = import_graph()
    found = [
        f"{module} -> {target}"
        for module, targets in graph.items()
        if (own := _database(module)) is not None
        for target in sorted(targets)
        if target.startswith(DIALECTS) and _database(target) != own
    ]
    assert not found, "a database's module imports another database:\n" + "\n".join(found)
