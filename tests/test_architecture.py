"""Dependencies point one way: no import cycles in ``app/``, no registration by import side
effect, and ``app/core`` is pure NumPy + stdlib.

The import graph is read from the sources with :mod:`ast` (nothing is imported to build it). A
node is a module of ``app/`` (a package is its ``__init__``); ``import a.b`` and ``from a import
b`` give an edge to ``a.b`` when that is a module of ``app/``, else ``from a import b`` gives an
edge to ``a``. Importing ``a.b`` also runs ``a/__init__`` first, but that implicit edge is left
out: every package that re-exports its submodules would otherwise be a "cycle".

Every import counts: *import-time* ones (the module body and class bodies, including ``try``/``if``
blocks) and *call-time* ones (inside functions), so a cycle cannot hide behind a deferred import.
Only ``if TYPE_CHECKING:`` blocks are left out (they never run). The graph must be acyclic.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import app
import app.core

APP = Path(app.__file__).parent
CORE = Path(app.core.__file__).parent
FORBIDDEN = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_settings",
    "uvicorn",
    "app.api",
    "app.jobs",
    "app.main",
    "app.config",
)


def modules_of(package: Path) -> dict[str, Path]:
    """Dotted module name → source file, for every module of ``package`` (a package is its ``__init__``)."""
    out = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = modules_of(APP)


def _imports(body: list[ast.stmt], call_time: bool = True) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements of a block: import-time ones, and with ``call_time`` those in functions."""
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if call_time:
                yield from _imports(stmt.body, call_time)
        elif isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING":
            yield from _imports(stmt.orelse, call_time)
        else:
            for block in ("body", "orelse", "finalbody"):
                yield from _imports([s for s in getattr(stmt, block, []) if isinstance(s, ast.stmt)], call_time)
            for handler in getattr(stmt, "handlers", []):
                yield from _imports(handler.body, call_time)


def _targets(modules: dict[str, Path], module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of ``modules`` that one import statement of ``module`` names."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    base = node.module or ""
    if node.level:  # relative: from . import x, from ..a import b
        package = module.split(".") if modules[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.add(f"{base}.{alias.name}")
        elif base in modules:
            found.add(base)
    return found


def import_graph(modules: dict[str, Path] = MODULES, call_time: bool = True) -> dict[str, set[str]]:
    """module → the modules of ``modules`` it imports (see the module docstring)."""
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {t for node in _imports(tree.body, call_time) for t in _targets(modules, module, node)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is ~100 modules deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle_and_a_self_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["d"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_reads_the_imports_it_should(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from pkg.a import f\n",
        "pkg/a.py": "import pkg.b\ndef f():\n    from pkg.c import g\n",
        "pkg/b.py": "from . import c\nfrom pkg import a as _a\ntry:\n    import os\nexcept ImportError:\n"
        "    import pkg.d\n",
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
        "class K:\n    import pkg.d\n",
        "pkg/d.py": "from pkg.c import nothing_here\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    modules = modules_of(tmp_path / "pkg")
    assert import_graph(modules) == {
        "pkg": {"pkg.a"},  # from pkg.a import f → the module pkg.a
        "pkg.a": {"pkg.b", "pkg.c"},  # pkg.c only at call time
        "pkg.b": {"pkg.c", "pkg.a", "pkg.d"},  # relative import, `from pkg import a`, an except block
        "pkg.c": {"pkg.d"},  # a class body runs at import time; TYPE_CHECKING never runs
        "pkg.d": {"pkg.c"},
    }
    assert import_graph(modules, call_time=False)["pkg.a"] == {"pkg.b"}
    assert sorted(cycles(import_graph(modules))) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    # and on the real tree: `from app.core.lab2d.surfaces import Surface` names the package
    assert "app.core.lab2d.surfaces" in import_graph()["app.core.lab2d.cost"]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def test_no_module_registers_into_another_at_import_time() -> None:
    # A module-level `OTHER.table = f`, `OTHER["key"] = f` or `other.register(f)` on a name that
    # came from an import would make behaviour depend on what happened to be imported.
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {(a.asname or a.name).split(".")[0] for node in _imports(tree.body, False) for a in node.names}
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                roots = [_root_name(t) for t in targets if isinstance(t, (ast.Attribute, ast.Subscript))]
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                roots = [_root_name(stmt.value.func)] if isinstance(stmt.value.func, ast.Attribute) else []
            else:
                roots = []
            assert not set(roots) & imported, f"{module}:{stmt.lineno} changes an imported object: {ast.unparse(stmt)}"


def test_core_sources_import_nothing_from_the_web_layer() -> None:
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.relative_to(CORE)} imports {name}"


def test_importing_every_core_module_loads_no_web_framework() -> None:
    # walk_packages also yields the modules inside sub-packages (app.core.lab2d.expression.parser, …)
    modules = [m.name for m in pkgutil.walk_packages([str(CORE)], prefix="app.core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {('fastapi', 'starlette', 'pydantic')!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parent.parent
    )
    assert out.stdout.strip() == ""


def test_the_expression_package_works_without_the_surfaces() -> None:
    # Parsing, differentiating and printing need nothing of app.core.lab2d.surfaces (the package
    # used to re-export ExpressionSurface from there).
    code = (
        "import sys\n"
        "from app.core.lab2d.expression import differentiate, parse, to_string, to_tex\n"
        "e = parse('x^3*y')\n"
        "print(to_string(differentiate(e, 'x')), '|', to_tex(e), '|', any('surfaces' in m for m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parent.parent
    )
    assert out.stdout.strip() == r"3*x^2*y | {x}^{3} \cdot y | False"
