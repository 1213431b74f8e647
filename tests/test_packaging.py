"""The project builds as a wheel whose console scripts work installed, away from the checkout.

The wheel is installed into a fresh environment that borrows only the third-party packages of
the running one, and every command runs from a folder outside the checkout: so the code and the
data files each package reads from its own folder (questionnaires, word lists, migrations) must
have come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | extra
    return subprocess.run(  # noqa: S603 (our own commands, just installed)
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False, input=""
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh environment with only the project's wheel installed in it."""
    work = tmp_path_factory.mktemp("packaging")
    # Built from a copy of what the wheel is made of, so no build folder is left in the checkout
    # (nor an old one's files carried into the wheel).
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy2(ROOT / name, source / name)
    for package in (p.parent for p in ROOT.glob("*/__init__.py")):
        if package.name not in {"tests", "bench"}:
            shutil.copytree(package, source / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work / "wheels"),
        ],
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "wheels").glob("*.whl")
    venv.create(work / "env", with_pip=False)
    python = work / "env" / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)
    # The third-party packages (not the project) come from the running environment.
    Path(site.stdout.strip(), "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    added = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        cwd=work,
    )
    assert added.returncode == 0, added.stderr
    return work / "env" / "bin"


def test_the_packages_are_imported_from_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    found = _run([str(installed / "python"), "-c", "import bot, storage; print(bot.__file__)"], cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith(str(installed.parent)), found.stdout


def test_every_console_script_answers_help(installed: Path, tmp_path: Path) -> None:
    for script in (
        "sgbot",
        "sgbot-surveys",
        "sgbot-guidance",
        "sgbot-storage",
        "sgbot-analysis",
        "sgbot-assessments",
        "sgbot-programme",
    ):
        helped = _run([str(installed / script), "--help"], cwd=tmp_path)
        assert helped.returncode == 0, (script, helped.stderr)
        assert "usage" in helped.stdout.lower(), script
    table = _run([str(installed / "sgbot-settings"), "settings-table"], cwd=tmp_path)
    assert "`DATABASE_URL`" in table.stdout


def test_installed_commands_find_their_data_files(installed: Path, tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'installed.db'}"
    upgraded = _run([str(installed / "sgbot-storage"), "upgrade"], cwd=tmp_path, DATABASE_URL=database)
    assert upgraded.returncode == 0, upgraded.stderr  # the migrations came with the wheel
    survey = _run(
        [str(installed / "sgbot-surveys"), "run", "--definition", "practitioner"],
        cwd=tmp_path,
        PARTNERSHIP_FILE=str(ROOT / "config" / "partnership.example.yaml"),
    )
    assert "nothing was submitted" in survey.stdout, survey.stderr  # the questionnaire came with it
    redacted = subprocess.run(  # noqa: S603 (our own command, just installed)
        [str(installed / "sgbot-surveys"), "redact"],
        cwd=tmp_path,
        input='"ring Jane on 07700 900123"\n',
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert redacted.returncode == 0, redacted.stderr
    assert "07700" not in redacted.stdout
