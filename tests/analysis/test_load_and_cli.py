"""The database side: responses stored through storage come back as the same tidy frame; the CLI end to end.

Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal

from analysis.frame import export_frame, submissions
from analysis.load import load_frame, load_wave_data, resolve_wave
from analysis.synthetic import generate
from common.partnership import load_partnership
from storage.responses import add_responses, count_by_agency, read_responses
from storage.waves import create_wave, ensure_default_wave, list_waves
from surveys.loader import load_definitions
from tests.analysis.test_delivery import Inbox, free_port
from tests.helpers.shared import ROOT

pytestmark = pytest.mark.slow
PARTNERSHIP = load_partnership(ROOT / "config" / "partnership.example.yaml")
DEFINITION = load_definitions(PARTNERSHIP)["practitioner"]
AGENCIES = [(a.code, a.headcount) for a in PARTNERSHIP.agencies]
CODES = [c for c, _ in AGENCIES]


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype("str").sort_values(list(table.columns)).reset_index(drop=True)


async def test_stored_responses_load_back_as_the_same_frame(db):
    wave = await ensure_default_wave(db, PARTNERSHIP, date(2026, 5, 1))
    frame = generate(DEFINITION, AGENCIES, 400, wave=wave.id, months=["2026-05", "2026-06"], seed=9)
    await add_responses(db, wave.id, submissions(frame, DEFINITION, CODES))
    loaded = await load_frame(db, wave.id, DEFINITION, CODES)
    assert len(loaded) == 400
    assert loaded.dtypes.drop("response_id").equals(frame.dtypes.drop("response_id"))
    assert_frame_equal(
        _sorted(export_frame(loaded, DEFINITION, CODES)), _sorted(export_frame(frame, DEFINITION, CODES))
    )


async def test_the_previous_wave_is_found_and_loaded(db):
    first = await create_wave(db, "practitioner", 1, date(2025, 5, 1), date(2025, 6, 1), PARTNERSHIP.agencies)
    second = await create_wave(
        db, "practitioner", 1, date(2026, 5, 1), date(2026, 6, 1), PARTNERSHIP.agencies
    )
    old = generate(DEFINITION, AGENCIES, 50, wave=first.id, months=["2025-05"], seed=1)
    await add_responses(db, first.id, submissions(old, DEFINITION, CODES))
    assert (await resolve_wave(db, None, "practitioner")).id == second.id
    data = await load_wave_data(db, second, DEFINITION, CODES)
    assert data.previous_wave == first
    assert len(data.previous) == 50
    assert data.frame.empty
    assert [code for code, _, _ in data.agencies] == CODES
    assert dict((c, h) for c, _, h in data.agencies)["EDU"] == 3000


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, module: str = "analysis"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module with the test's own arguments
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_cli_demo_data_report_export_review(db, database_url, tmp_path):
    live = await ensure_default_wave(db, PARTNERSHIP, date(2026, 5, 1))
    real = generate(DEFINITION, AGENCIES, 300, wave=live.id, months=["2026-05"], seed=3)
    await add_responses(db, live.id, submissions(real, DEFINITION, CODES))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REPORT_DIR": str(tmp_path / "served"),
        "THEME_OVERRIDES_FILE": str(tmp_path / "overrides.csv"),
    }

    demo = run(env, "demo-data", "--responses", "600")
    assert demo.returncode == 0, demo.stderr
    assert "added 600 synthetic responses to demonstration wave" in demo.stdout
    # the live wave is untouched: demo data went into waves of its own, flagged, ending today at the latest
    assert sum((await count_by_agency(db, live.id)).values()) == 300
    demo_waves = await list_waves(db, "practitioner", demo=True)
    assert len(demo_waves) == 2
    assert all(w.demo and w.closed and w.id != live.id for w in demo_waves)
    demo_id = demo_waves[-1].id
    assert f"--wave {demo_id}" in demo.stdout
    this_month = f"{date.today():%Y-%m}"
    months = {r.submitted_month for r in await read_responses(db, demo_id)}
    assert months
    assert max(months) <= this_month
    assert (await resolve_wave(db, None, "practitioner")).id == live.id  # live waves come first

    again = run(env, "demo-data", "--responses", "10")
    assert again.returncode == 2
    assert "already holds responses" in again.stderr

    report = run(env, "report", "--wave", str(demo_id), "--agency", "EDU", "--out", str(tmp_path / "out"))
    assert report.returncode == 0, report.stderr
    assert "reports: 100%" in report.stderr  # the progress bar
    folder = Path(report.stdout.strip())
    assert folder.name == "EDU"
    assert "Demonstration data" in (folder / "report.html").read_text(encoding="utf-8")
    assert (folder / "report.xlsx").is_file()
    assert (folder / "report.pdf").is_file()
    headline = pd.read_csv(folder / "headline.csv")
    assert set(headline["Data"]) == {"DEMONSTRATION: synthetic responses, not real"}

    export = run(
        env, "export", "--wave", str(demo_id), "--format", "csv", "--out", str(tmp_path / "export.csv")
    )
    assert export.returncode == 0, export.stderr
    table = pd.read_csv(tmp_path / "export.csv", dtype=str, keep_default_na=False)
    assert len(table) == 600
    assert list(table.columns[:3]) == ["agency", "wave", "submitted_month"]
    assert set(table["demonstration"]) == {"synthetic, not real"}
    assert set(table["agency"]) <= {*CODES, "suppressed"}
    assert "EDU" in set(table["agency"])
    assert table["tools_used"].str.len().gt(0).all()
    assert (table.loc[table["raised_concern"] == "No", "referral_feedback"] == "").all()

    xlsx = run(env, "export", "--format", "xlsx", "--out", str(tmp_path / "export.xlsx"))
    assert xlsx.returncode == 0, xlsx.stderr
    sheet = load_workbook(tmp_path / "export.xlsx").active
    assert sheet.max_row == 301  # the live wave by default, without a demonstration column
    assert isinstance(sheet["B2"].value, int)
    assert "demonstration" not in [c.value for c in sheet[1]]

    refused = run(env, "send-reports", "--wave", str(demo_id), module="bot")
    assert refused.returncode == 2
    assert "demonstration wave" in refused.stderr
    moved = run(env, "send", "--wave", str(demo_id))
    assert moved.returncode == 2
    assert moved.stderr == "python -m analysis send is now python -m bot send-reports\n"

    text = "a reply about the allocated worker that fits no theme at all"
    override = run(
        env, "themes", "override", "--codebook", "one_change", "--text", text, "--themes", "feedback"
    )
    assert override.returncode == 0, override.stderr
    coded = run(env, "themes", "code", "--codebook", "one_change", stdin=f"{text}\n")
    assert json.loads(coded.stdout) == ["feedback"]
    review = run(env, "themes", "review")
    assert review.returncode == 0, review.stderr
    assert review.stdout.startswith("confidence\tthemes\ttext")

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        mail = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}
        sent = run(mail, "send-reports", module="bot")
    finally:
        smtp.stop()
    assert sent.returncode == 0, sent.stdout + sent.stderr
    # the example partnership's leads: CSC and OUH, by email
    assert sorted(sent.stdout.split("\n")[:2]) == [
        "CSC\temail\tcsc-lead@example.org\tsent\t2 attachment(s)",
        "OUH\temail\touh-lead@example.org\tsent\t2 attachment(s)",
    ]
    assert sorted(m["To"] for m in inbox.messages) == ["csc-lead@example.org", "ouh-lead@example.org"]
    assert (tmp_path / "served" / "1" / "CSC" / "report.html").is_file()


async def test_cli_says_clearly_when_there_is_nothing_to_report(database_url, tmp_path):
    from storage.migrate import upgrade_async

    await upgrade_async(database_url)
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database_url}
    result = run(env, "report", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "no 'practitioner' wave yet" in result.stderr


async def test_cli_refuses_a_database_behind_the_schema(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
    result = run(env, "export", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert "python -m storage upgrade" in result.stderr
