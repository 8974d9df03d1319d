"""Keep the layer import table of ``docs/architecture.md`` true.

Every module under ``kubus/`` is parsed (never imported) and each import of ``kubus.<layer>`` —
absolute, relative, inside functions or under ``TYPE_CHECKING``, or ``importlib.import_module``
with a literal name — is checked against the table. A type-only import still couples two layers,
so it counts. ``config`` may use the standard library only, and ``model`` must stay free of I/O.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "kubus"

# docs/architecture.md, "Layers and who may import whom". A layer may always import itself.
ALLOWED: dict[str, frozenset[str]] = {
    "config": frozenset(),
    "model": frozenset({"config"}),
    "oltp": frozenset({"config"}),
    "scheduling": frozenset({"config", "oltp"}),
    "channels": frozenset({"config", "oltp"}),
    "etl": frozenset({"config", "model", "oltp"}),
    "server": frozenset({"config", "model", "oltp", "scheduling", "channels", "etl"}),
}
LAYERS = frozenset(ALLOWED)
# Modules directly in kubus/ (the package __init__) are imported before any layer: no layers there.
ROOT = ""

STDLIB_ONLY = frozenset({"config", ROOT})
# model/ is pure: no web framework, no HTTP, no database drivers, no engines.
MODEL_BANNED_MODULES = frozenset(
    {"flask", "werkzeug", "requests", "duckdb", "duckdb_engine", "psycopg", "psycopg2", "sqlite3"}
)
MODEL_BANNED_CALLS = frozenset({"create_engine", "create_async_engine", "engine_from_config"})


@dataclass(frozen=True)
class Violation:
    path: PurePosixPath
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class _Import:
    module: str  # absolute dotted name, e.g. "kubus.oltp.schema" or "flask"
    line: int


def _package_of(relpath: PurePosixPath) -> list[str]:
    """The dotted package a module lives in, e.g. kubus/model/cells.py -> [kubus, model]."""
    return ["kubus", *relpath.parent.parts]


def _resolve_relative(
    relpath: PurePosixPath, level: int, module: str | None, line: int
) -> str | Violation:
    package = _package_of(relpath)
    if level - 1 >= len(package):
        return Violation(relpath, line, "relative import goes above the kubus package")
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *(module.split(".") if module else [])])


def _imports(tree: ast.AST, relpath: PurePosixPath) -> tuple[list[_Import], list[Violation]]:
    found: list[_Import] = []
    errors: list[Violation] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(_Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(relpath, node.level, node.module, node.lineno)
                if isinstance(base, Violation):
                    errors.append(base)
                    continue
            else:
                base = node.module or ""
            # `from kubus import oltp` imports the layer, `from kubus.oltp import x` its module.
            found.append(_Import(base, node.lineno))
            found.extend(
                _Import(f"{base}.{alias.name}", node.lineno)
                for alias in node.names
                if base == "kubus" and alias.name in LAYERS
            )
        elif (
            isinstance(node, ast.Call)
            and _call_name(node) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(_Import(node.args[0].value, node.lineno))
    return found, errors


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def layer_of(relpath: PurePosixPath) -> str:
    """``model/cells.py`` -> ``model``; ``__init__.py`` (directly in kubus/) -> ROOT."""
    return relpath.parts[0] if len(relpath.parts) > 1 else ROOT


def check_source(source: str, relpath: PurePosixPath) -> list[Violation]:
    """Every import-table violation in one module; ``relpath`` is relative to ``kubus/``."""
    layer = layer_of(relpath)
    if layer != ROOT and layer not in LAYERS:
        return [
            Violation(
                relpath,
                1,
                f"kubus/{layer}/ is not a layer of docs/architecture.md: add it there "
                "and to ALLOWED in this test",
            )
        ]
    tree = ast.parse(source, filename=str(relpath))
    imports, violations = _imports(tree, relpath)
    allowed = ALLOWED.get(layer, frozenset()) | {layer}
    for imp in imports:
        parts = imp.module.split(".")
        top = parts[0]
        if top == "kubus":
            target = parts[1] if len(parts) > 1 and parts[1] in LAYERS else None
            if target is not None and target not in allowed:
                who = f"{layer}/" if layer != ROOT else "kubus/__init__"
                violations.append(
                    Violation(relpath, imp.line, f"{who} may not import kubus.{target}")
                )
        elif layer in STDLIB_ONLY and top not in sys.stdlib_module_names:
            violations.append(
                Violation(
                    relpath,
                    imp.line,
                    f"{layer or 'kubus'}/ may use the standard library only, not {imp.module!r}",
                )
            )
        if layer == "model" and top in MODEL_BANNED_MODULES:
            violations.append(
                Violation(relpath, imp.line, f"model/ is pure (no I/O): may not import {top!r}")
            )
    if layer == "model":
        violations.extend(
            Violation(relpath, node.lineno, f"model/ is pure (no I/O): may not call {name}()")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and (name := _call_name(node)) in MODEL_BANNED_CALLS
        )
    return violations


def _modules() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def test_every_layer_exists() -> None:
    missing = sorted(
        layer for layer in LAYERS if not (PACKAGE_DIR / layer / "__init__.py").is_file()
    )
    assert not missing, f"layers of docs/architecture.md without a package: {missing}"


def test_import_table_holds() -> None:
    modules = _modules()
    assert modules, f"no modules found under {PACKAGE_DIR}"
    violations = [
        violation
        for path in modules
        for violation in check_source(
            path.read_text(encoding="utf-8"),
            PurePosixPath(path.relative_to(PACKAGE_DIR).as_posix()),
        )
    ]
    assert not violations, "import table of docs/architecture.md broken:\n" + "\n".join(
        map(str, violations)
    )


# --- the checker itself must be able to fail ----------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "source", "expected"),
    [
        ("model/bad.py", "from kubus.server import app\n", "model/ may not import kubus.server"),
        ("model/bad.py", "import kubus.etl.load\n", "model/ may not import kubus.etl"),
        ("model/bad.py", "from kubus import oltp\n", "model/ may not import kubus.oltp"),
        ("model/sub/bad.py", "from ...oltp import schema\n", "model/ may not import kubus.oltp"),
        ("model/bad.py", "from .. import channels\n", "model/ may not import kubus.channels"),
        ("oltp/bad.py", "def f():\n    from kubus.scheduling import atp\n", "kubus.scheduling"),
        (
            "oltp/bad.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kubus.model import x\n",
            "oltp/ may not import kubus.model",
        ),
        ("etl/bad.py", "import importlib\nimportlib.import_module('kubus.server')\n", "server"),
        ("scheduling/bad.py", "from kubus.channels import email\n", "kubus.channels"),
        ("channels/bad.py", "from kubus.etl import load\n", "kubus.etl"),
        ("config/bad.py", "from kubus.model import Cube\n", "config/ may not import kubus.model"),
        ("config/bad.py", "import sqlalchemy\n", "standard library only, not 'sqlalchemy'"),
        ("config/bad.py", "from yaml import safe_load\n", "standard library only, not 'yaml'"),
        ("__init__.py", "from kubus.server import create_app\n", "kubus/__init__ may not"),
        ("model/bad.py", "import flask\n", "may not import 'flask'"),
        ("model/bad.py", "from werkzeug.exceptions import NotFound\n", "'werkzeug'"),
        ("model/bad.py", "import sqlite3\n", "'sqlite3'"),
        ("model/bad.py", "from psycopg import connect\n", "'psycopg'"),
        ("model/bad.py", "import duckdb\n", "'duckdb'"),
        ("model/bad.py", "import requests\n", "'requests'"),
        ("model/bad.py", "import sqlalchemy as sa\ne = sa.create_engine('x')\n", "create_engine()"),
        ("model/bad.py", "from . import x\nx.create_engine('sqlite://')\n", "create_engine()"),
        ("newlayer/x.py", "import os\n", "not a layer"),
        ("model/bad.py", "from .... import x\n", "above the kubus package"),
    ],
)
def test_checker_reports_violation(relpath: str, source: str, expected: str) -> None:
    violations = check_source(source, PurePosixPath(relpath))
    assert any(expected in str(v) for v in violations), violations


@pytest.mark.parametrize(
    ("relpath", "source"),
    [
        ("model/ok.py", "from __future__ import annotations\nimport sqlalchemy as sa\n"),
        ("model/ok.py", "from kubus.config import settings\nfrom . import errors\n"),
        ("model/sub/ok.py", "from ..errors import ModelError\nfrom ... import config\n"),
        ("config/ok.py", "import json\nimport tomllib\nfrom kubus.config.models import x\n"),
        ("config/ok.py", "from kubus import __version__\n"),
        ("etl/ok.py", "from kubus.model import Cube\nfrom kubus.oltp import schema\n"),
        ("scheduling/ok.py", "from kubus.oltp.services import OrderService\n"),
        ("server/ok.py", "from kubus import etl, scheduling, channels\nimport flask\n"),
    ],
)
def test_checker_accepts_allowed(relpath: str, source: str) -> None:
    assert check_source(source, PurePosixPath(relpath)) == []
