"""``python -m programme waves``: waves opened, listed, extended and closed on a real database.

The command runs in a worker thread (it starts its own event loop), against
the same SQLite file or PostgreSQL database the test then reads.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from programme.__main__ import main
from storage.database import Database
from storage.migrate import upgrade_async
from storage.waves import create_wave, get_wave, list_waves, wave_agencies
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-12-01"
PARTNERSHIP = """\
name: Test Partnership
short_name: TP
agencies:
  - {code: CSC, name: Children's Social Care, headcount: 450}
  - {code: ASC, name: Adult Social Care, headcount: 380}
  - {code: TVP, name: Police, headcount: 1200}
boards:
  - name: children
    title: Children's Safeguarding Partnership
    agencies: [CSC, TVP]
  - name: adults
    title: Safeguarding Adults Board
    agencies: [ASC, TVP]
"""


@pytest.fixture
async def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    partnership = tmp_path / "partnership.yaml"
    partnership.write_text(PARTNERSHIP, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PARTNERSHIP_FILE", str(partnership))
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET.decode())
    await upgrade_async(database_url)
    return partnership


@pytest.fixture
async def db(env: Path, database_url: str) -> Database:
    database = await Database.open(database_url, secret=TEST_SECRET)
    yield database  # type: ignore[misc]
    await database.close()


async def waves(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["waves", "--today", TODAY, *args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(result: tuple[int, str, str], problem: str) -> None:
    """Exit status 2 and one line naming the problem, never a traceback."""
    code, _, err = result
    assert code == 2
    assert problem in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


async def test_open_records_the_headcounts_and_boards_of_that_moment(
    env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await waves(
        capsys,
        "open",
        "--questionnaire",
        "practitioner",
        "--opens",
        "2026-12-01",
        "--closes",
        "2027-01-15",
        "--board",
        "children",
    )
    assert code == 0, out
    (wave,) = await list_waves(db)
    assert (wave.questionnaire, wave.opens, wave.closes, wave.boards) == (
        "practitioner",
        date(2026, 12, 1),
        date(2027, 1, 15),
        ("children",),
    )
    # the children's board's agencies, with their headcounts as the file says today
    assert await wave_agencies(db, wave.id) == [
        ("CSC", "Children's Social Care", 450),
        ("TVP", "Police", 1200),
    ]
    await asyncio.to_thread(env.write_text, PARTNERSHIP.replace("headcount: 450", "headcount: 999"))
    assert ("CSC", "Children's Social Care", 450) in await wave_agencies(db, wave.id)
    assert f"wave {wave.id} opened" in out

    code, out, _ = await waves(
        capsys,
        "open",
        "--questionnaire",
        "impact-assessment",
        "--opens",
        "2026-12-02",
        "--closes",
        "2027-01-15",
        "--agencies",
        "ASC,TVP",
    )
    assert code == 0, out
    impact = (await list_waves(db, "impact-assessment"))[0]
    assert impact.boards == ()  # every board
    assert [code for code, _, _ in await wave_agencies(db, impact.id)] == ["ASC", "TVP"]

    code, out, _ = await waves(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split("\t") == [
        str(wave.id),
        "practitioner v1",
        "2026-12-01",
        "2027-01-15",
        "open",
        "children",
        "2",
    ]
    assert lines[2].split("\t")[4:] == ["scheduled", "all", "2"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ["--questionnaire", "nope", "--opens", "2026-12-05", "--closes", "2027-01-01"],
            "unknown questionnaire 'nope'",
        ),
        (
            ["--questionnaire", "practitioner", "--opens", "2026-11-30", "--closes", "2027-01-01"],
            "is in the past",
        ),
        (
            ["--questionnaire", "practitioner", "--opens", "2026-12-05", "--closes", "2026-12-04"],
            "before --opens",
        ),
        (
            [
                "--questionnaire",
                "practitioner",
                "--opens",
                "2026-12-05",
                "--closes",
                "2027-01-01",
                "--agencies",
                "CSC,XX",
            ],
            "unknown agency code(s) XX",
        ),
        (
            [
                "--questionnaire",
                "practitioner",
                "--opens",
                "2026-12-05",
                "--closes",
                "2027-01-01",
                "--board",
                "kids",
            ],
            "unknown board 'kids'",
        ),
        # meets the open practitioner wave made below (1 Dec to 15 Jan)
        (
            ["--questionnaire", "practitioner", "--opens", "2027-01-15", "--closes", "2027-02-01"],
            "already runs from",
        ),
    ],
)
async def test_open_refuses_with_one_clear_line(
    env: Path, db: Database, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    assert (
        await waves(
            capsys, "open", "--questionnaire", "practitioner", "--opens", TODAY, "--closes", "2027-01-15"
        )
    )[0] == 0
    refused(await waves(capsys, "open", *args), problem)
    assert len(await list_waves(db)) == 1


async def test_extend_and_close_then_a_new_wave_of_the_same_questionnaire(
    env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await waves(capsys, "open", "--questionnaire", "practitioner", "--opens", TODAY, "--closes", "2027-01-15")
    (wave,) = await list_waves(db)
    code, out, _ = await waves(capsys, "extend", str(wave.id), "--closes", "2027-01-31")
    assert (code, out.strip()) == (0, f"wave {wave.id} now closes on 2027-01-31")
    assert (await get_wave(db, wave.id)).closes == date(2027, 1, 31)  # type: ignore[union-attr]
    refused(await waves(capsys, "extend", str(wave.id), "--closes", "2026-11-01"), "in the past")
    refused(await waves(capsys, "extend", "999", "--closes", "2027-01-31"), "no wave 999")

    # next year's wave cannot start while this one runs, and can once it is closed
    next_year = ["open", "--questionnaire", "practitioner", "--opens", "2027-01-20", "--closes", "2027-03-01"]
    refused(await waves(capsys, *next_year), "already runs from 2026-12-01 to 2027-01-31")
    code, out, _ = await waves(capsys, "close", str(wave.id))
    assert code == 0
    assert out.startswith(f"wave {wave.id} closed\n")
    assert "wave key and tokens destroyed" in out
    assert (await get_wave(db, wave.id)).closed  # type: ignore[union-attr]
    refused(await waves(capsys, "extend", str(wave.id), "--closes", "2027-02-28"), "closed")
    assert (await waves(capsys, *next_year))[0] == 0
    refused(await waves(capsys, "close", "999"), "no live wave 999")


def test_python_dash_m_programme_waves_runs_and_refuses_without_a_traceback(tmp_path: Path) -> None:
    """From a shell, as a business manager would: a schema that is not there is one line, exit 2."""
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "programme", "waves", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    refused((done.returncode, done.stdout, done.stderr), "python -m storage upgrade")
    assert done.stderr.startswith("python -m programme waves list:")


async def test_a_period_held_by_a_demonstration_wave_is_refused_in_one_line(
    env: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_wave(db, "practitioner", 1, date(2026, 12, 5), date(2027, 1, 10), [], demo=True)
    opening = ["open", "--questionnaire", "practitioner", "--opens", "2026-12-05", "--closes", "2027-01-10"]
    refused(await waves(capsys, *opening), "a demonstration wave")
    assert await list_waves(db) == []


def test_python_dash_m_surveys_waves_says_where_the_command_went() -> None:
    """The old command is one line naming the new one, exit 2, and does not run the new one."""
    done = subprocess.run(
        [sys.executable, "-m", "surveys", "waves", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "python -m surveys waves is now python -m programme waves\n"
