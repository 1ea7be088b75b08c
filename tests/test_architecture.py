"""Architecture rules that keep the core reusable (DESIGN.md §3.1)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_and_server_never_import_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("assessment", "server")
        for path in (ROOT / package).rglob("*.py")
        if {"PySide6", "shiboken6", "PyQt5", "PyQt6"} & imported_modules(path)
    ]
    assert offenders == []


def test_core_never_imports_the_shells() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "assessment").rglob("*.py")
        if {"app", "server"} & imported_modules(path)
    ]
    assert offenders == []


def test_rule_detection_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport os\n", encoding="utf-8")
    assert imported_modules(sample) == {"PySide6", "os"}
