"""surveys/ stays framework-free: no SQLAlchemy or chat framework; only the waves command reaches
storage, and only inside its commands; storage never imports the command line that uses it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_level_imports(path: Path) -> set[str]:
    """Roots of the packages a module imports when it is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_surveys_imports_neither_sqlalchemy_nor_the_bot_nor_storage_at_import_time() -> None:
    for path in (ROOT / "surveys").glob("*.py"):
        roots = _module_level_imports(path)
        assert not roots & {"sqlalchemy", "botbuilder", "aiohttp", "bot", "storage", "analysis"}, path.name


def test_storage_never_imports_the_surveys_command_line() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module not in {"surveys.waves_cli", "surveys.__main__"}, path.name
