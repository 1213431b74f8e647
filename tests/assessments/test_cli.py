"""``python -m assessments`` from opening a round to the board's report, on a real SQLite file."""

from __future__ import annotations

import asyncio
import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assessments.cli import main
from common.partnership import load_partnership
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import add_responses
from storage.waves import create_wave
from surveys.turns import Submission
from tests.assessments.workbooks import fill, green_everywhere

PARTNERSHIP = """\
name: Test Partnership
short_name: TP
agencies:
  - {code: CSC, name: Children's Social Care, headcount: 450}
  - {code: TVP, name: Thames Valley Police, headcount: 1200}
  - {code: VCS, name: Voluntary and Community Sector}
questionnaire_target: 0.1
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated database with last year's and this year's practitioner waves, and the settings for it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    partnership_file = tmp_path / "partnership.yaml"
    partnership_file.write_text(PARTNERSHIP, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PARTNERSHIP_FILE", str(partnership_file))
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret")

    async def setup() -> None:
        await upgrade_async(url)
        db = await Database.open(url)
        agencies = load_partnership(partnership_file).agencies
        try:
            for year, counts in ((2025, {"CSC": 10}), (2026, {"CSC": 60, "TVP": 30})):
                wave = await create_wave(
                    db, "practitioner", 1, date(year, 10, 1), date(year, 11, 12), agencies
                )
                rows = [
                    (Submission("practitioner", 1, c, {}), f"{year}-10")
                    for c, n in counts.items()
                    for _ in range(n)
                ]
                await add_responses(db, wave.id, rows)
        finally:
            await db.close()

    asyncio.run(setup())
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_round_from_opening_to_the_boards_report(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assessments.loader import load_standard_sets

    standards = load_standard_sets()["section11-adults-2018"]
    # Last year's round: CSC rated 3a Amber.
    assert (
        run(
            capsys,
            "--today",
            "2025-10-01",
            "round",
            "open",
            "--title",
            "2025-26",
            "--returns-by",
            "2025-12-04",
            "--wave",
            "1",
        )[0]
        == 0
    )
    last_year = env / "CSC-2025.xlsx"
    assert (
        run(capsys, "--today", "2025-11-01", "template", "--agency", "CSC", "--out", str(last_year))[0] == 0
    )
    rows = green_everywhere(standards)
    rows["3a"] = {
        "rating": "Amber",
        "actions": "Train everyone",
        "lead": "Training lead",
        "due": date(2026, 3, 31),
    }
    fill(last_year, rows)
    assert run(capsys, "--today", "2025-11-20", "import", str(last_year))[0] == 0

    code, out, _ = run(
        capsys,
        "--today",
        "2026-10-01",
        "round",
        "open",
        "--title",
        "2026-27",
        "--returns-by",
        "2026-12-03",
        "--analysis",
        "2027-01-14",
    )
    assert code == 0
    assert (
        "round 2 '2026-27' opens 2026-10-01, returns by 2026-12-03; questionnaire evidence from wave 2" in out
    )

    # CSC: 60 of 450 responses (13%), so its Blue on 3a stands; 1a Blue without every element falls to Green.
    csc = env / "CSC.xlsx"
    assert run(capsys, "--today", "2026-11-01", "template", "--agency", "CSC", "--out", str(csc))[0] == 0
    rows = green_everywhere(standards)
    rows["3a"] = {
        "rating": "Blue",
        "how_met": "Training needs analysis for every role; completion rate recorded; reflective "
        "supervision.",
        "impact": "Improved outcomes",
    }
    rows["1a"]["rating"] = "Blue"
    rows["2c"] = {
        "rating": "Red",
        "actions": "Add safeguarding to every contract",
        "lead": "Commissioning",
        "due": date(2026, 11, 30),
    }
    fill(csc, rows)
    assert run(capsys, "--today", "2026-11-20", "import", str(csc)) == (
        0,
        "imported the return of CSC for round 2\n"
        '  1a: rated Blue, stands as Green: Blue needs every element evidenced; "how met" does not address '
        "1a.2, 1a.3\n",
        "",
    )

    # TVP: a workbook with problems is refused, every one listed; fixed, it goes in.
    tvp = env / "TVP.xlsx"
    assert run(capsys, "--today", "2026-11-01", "template", "--agency", "TVP", "--out", str(tvp))[0] == 0
    rows = green_everywhere(standards)
    rows["1b"]["rating"] = "Purple"
    rows["4a"] = {"rating": "Amber"}
    fill(tvp, rows)
    code, _, err = run(capsys, "--today", "2026-11-21", "import", str(tvp))
    assert code == 1
    assert err.splitlines() == [
        "TVP.xlsx: not imported, 2 problem(s) to put right:",
        "  Standards row 3, column E (BRAG rating): 'Purple' is not Blue, Green, Amber or Red",
        "  Standards row 10, column H (Actions required to raise to Green / Blue): 4a: Amber needs actions "
        "to raise it to Green or Blue, with a lead and a timescale; add the actions, a lead and a timescale",
    ]
    rows["1b"]["rating"] = (
        "Blue"  # 30 of 1200 is 2.5%: Blue falls to Green (and 1b's elements are not all there)
    )
    rows["4a"].update(actions="Outcome measures for referrals", lead="Det Supt", due=date(2027, 6, 30))
    fill(tvp, rows, about={7: "Force staff survey 2026"})
    assert run(capsys, "--today", "2026-11-21", "import", str(tvp))[0] == 0
    assert run(capsys, "--today", "2026-11-21", "pending")[1].splitlines() == [
        "round 2: returns due in 12 day(s) (2026-12-03); not returned: 1",
        "VCS\tVoluntary and Community Sector",
    ]

    out_dir = env / "board"
    assert run(capsys, "--today", "2026-12-10", "report", "--out", str(out_dir))[0] == 0
    with (out_dir / "matrix.csv").open(encoding="utf-8-sig") as handle:
        matrix = {(r["agency"], r["standard"]): r for r in csv.DictReader(handle)}
    assert [matrix["CSC", "3a"][k] for k in ("self_rating", "standing", "previous", "change")] == [
        "Blue",
        "Blue",
        "Amber",
        "up",
    ]
    assert [matrix["CSC", "1a"][k] for k in ("self_rating", "standing")] == ["Blue", "Green"]
    assert matrix["CSC", "1a"]["reasons"].startswith(
        'Blue needs every element evidenced; "how met" does not address'
    )
    assert [matrix["TVP", "1b"][k] for k in ("self_rating", "standing")] == ["Blue", "Green"]
    assert "30 responses from a frontline headcount of 1200 (2.5%" in matrix["TVP", "1b"]["reasons"]
    assert (
        "the alternative questionnaire declared is not yet accepted by the board"
        in matrix["TVP", "1b"]["reasons"]
    )
    assert matrix["VCS", "1a"]["standing"] == "no return"
    with (out_dir / "actions.csv").open(encoding="utf-8-sig") as handle:
        actions = [(r["agency"], r["standard"], r["overdue"]) for r in csv.DictReader(handle)]
    assert actions == [("CSC", "2c", "yes"), ("TVP", "4a", "")]  # overdue first

    # The board accepts TVP's alternative: its Blue now stands... except where the elements are missing.
    assert run(capsys, "--today", "2026-12-10", "alternative", "--agency", "TVP", "--accept")[0] == 0
    assert run(capsys, "--today", "2026-12-10", "report", "--out", str(out_dir))[0] == 0
    with (out_dir / "matrix.csv").open(encoding="utf-8-sig") as handle:
        matrix = {(r["agency"], r["standard"]): r for r in csv.DictReader(handle)}
    assert (
        matrix["TVP", "1b"]["reasons"]
        == 'Blue needs every element evidenced; "how met" does not address 1b.2, 1b.3'
    )

    html = (out_dir / "self-assessment.html").read_text(encoding="utf-8")
    assert "2 of 3 agencies have returned" in html
    assert "Not yet returned: Voluntary and Community Sector." in html
    assert "Children&#39;s Social Care" in html  # escaped
    book = load_workbook(out_dir / "self-assessment.xlsx")
    assert book.sheetnames == [
        "Matrix",
        "By standard",
        "Downgrades",
        "Questionnaire evidence",
        "Comparison",
        "Actions",
    ]
    assert book["Matrix"]["B2"].value == "Green (own: Blue)"  # CSC 1a


def test_unknown_agency_and_missing_round_are_clear_errors(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "template", "--agency", "CSC", "--out", str(env / "x.xlsx")) == (
        2,
        "",
        "error: no round has opened: run `round open` first\n",
    )
    run(capsys, "round", "open", "--title", "t", "--returns-by", "2999-01-01")
    assert run(capsys, "template", "--agency", "NOPE", "--out", str(env / "x.xlsx"))[2] == (
        "error: unknown agency 'NOPE' (not in the partnership file)\n"
    )
    assert (
        run(capsys, "import", str(env / "missing.xlsx"))[2]
        == f"error: {env / 'missing.xlsx'} does not exist\n"
    )
