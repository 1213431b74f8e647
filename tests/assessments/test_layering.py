"""The self-assessment package stays framework-free, and storage never imports it (no package cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_assessments_imports_neither_the_chat_framework_nor_sqlalchemy() -> None:
    for path in (ROOT / "assessments").glob("*.py"):
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & {"botbuilder", "sqlalchemy", "aiohttp", "bot"}, path.name


def test_storage_does_not_import_the_assessments_package() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        assert not any(name.split(".")[0] == "assessments" for name in _imports(path)), path.name
