"""The import contracts (.importlinter, run by ``make test`` as ``lint-imports``) are really checked:
on a copy of the packages, each kind of bad import breaks its contract, an import inside a
function as much as one at the top of a module."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.shared import ROOT

CONTRACTS = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# Where a bad import is added in the copy (a new module, or the end of one) -> what must be reported.
BAD = {
    "surveys/bad_upward.py": (
        "from storage.database import Database\n",
        "surveys.bad_upward -> storage.database",
    ),
    "analysis/bad_lazy.py": (
        "def send() -> None:\n    from bot.hosts import create_host\n",
        "analysis.bad_lazy -> bot.hosts",
    ),
    "guidance/bad_database.py": ("import sqlalchemy\n", "guidance.bad_database -> sqlalchemy"),
    "assessments/bad_sdk.py": (
        "from botbuilder.schema import Activity\n",
        "assessments.bad_sdk -> botbuilder",
    ),
    "bot/summary_turns.py": ("from bot.handler import SafeguardingBot\n", "bot.summary_turns -> bot.handler"),
}


def packages() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS, encoding="utf-8")
    return parser["importlinter"]["root_packages"].split()


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own linter on its own copy
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=where, capture_output=True, text=True, timeout=300
    )


def copy_of_the_packages(to: Path) -> None:
    shutil.copy(CONTRACTS, to / ".importlinter")
    for package in packages():
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__"))


def test_every_package_with_code_is_under_contract() -> None:
    # tests and bench stand outside the product: they drive it from above and nothing imports them
    found = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert found == set(packages())


def test_the_packages_as_they_are_keep_every_contract(tmp_path: Path) -> None:
    copy_of_the_packages(tmp_path)
    done = lint_imports(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_kind_of_bad_import_breaks_its_contract(tmp_path: Path) -> None:
    copy_of_the_packages(tmp_path)
    for where, (source, _) in BAD.items():
        with (tmp_path / where).open("a", encoding="utf-8") as module:
            module.write(source)
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    for _, reported in BAD.values():
        assert reported in done.stdout, done.stdout
    assert "Contracts: 0 kept, 6 broken." in done.stdout, done.stdout  # the loop handler <-> turns too
