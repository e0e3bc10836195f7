"""Dependencies point one way: ``app/core`` is pure NumPy + stdlib."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import app.core

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
