"""`python -m guidance ...` as a user runs it: real processes, real files."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from storage.database import Database
from storage.guidance_log import record_feedback, record_question
from tests.helpers.shared import ROOT, shared_path


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "guidance", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_ask_prints_one_json_answer() -> None:
    result = run("ask", "who do I call out of hours?")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {"topic", "confidence", "emergency", "answer"}
    assert shown["topic"] == "out-of-hours"
    assert shown["emergency"] is False
    assert "emergency duty team" in shown["answer"]


def test_ask_a_glossary_term_adds_the_term() -> None:
    shown = json.loads(run("ask", "what does MSP stand for?").stdout)
    assert (shown["topic"], shown["term"]) == ("glossary", "MSP")


def test_ask_out_of_scope_is_topic_null() -> None:
    shown = json.loads(run("ask", "how do I book a pool car?").stdout)
    assert shown["topic"] is None
    assert shown["emergency"] is False


def test_ask_reads_one_question_per_line_from_stdin() -> None:
    result = run("ask", stdin="what is a LADO?\n\nhe's going to kill her\nwhat's the wifi password\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["topic"] for line in lines] == ["glossary", "immediate-danger", None]
    assert [line["emergency"] for line in lines] == [False, True, False]


def test_eval_prints_the_figures() -> None:
    result = run("eval", str(shared_path("samples", "guidance-public.jsonl")))
    assert result.returncode == 0, result.stderr
    for figure in ("top-1 accuracy:", "emergency recall: 100.0%", "out-of-scope precision", "questions: 45"):
        assert figure in result.stdout


def test_validate_reports_the_content() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 28 topics")


def test_validate_a_broken_folder_fails_with_file_and_line(tmp_path: Path) -> None:
    for source in (ROOT / "guidance" / "content").glob("*.md"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "neglect.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("{threshold_url}", "{threshold_link}", 1))
    result = run("validate", "--content", str(tmp_path))
    assert result.returncode == 1
    assert f"{broken}:" in result.stderr
    assert "unknown placeholder {threshold_link}" in result.stderr


async def test_gaps_lists_the_commonest_unanswered_questions(database_url: str, db: Database) -> None:
    for _ in range(3):
        await record_question(db, "how do I claim for a taxi home", None, 0.1, answered=False)
    await record_question(db, "what is early help", "early-help", 0.7, answered=True)
    await record_feedback(db, "neglect", helpful=False, question_redacted="neglect tool for teens?")
    result = await asyncio.to_thread(run, "gaps", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "how do I claim for a taxi home" in lines[0]
    assert lines[0].lstrip().startswith("3")
    assert any("neglect tool for teens?" in line for line in lines)
    assert not any("what is early help" in line for line in lines)
