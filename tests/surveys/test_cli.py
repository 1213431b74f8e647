"""``python -m surveys run``: the questionnaire in a terminal, ending with the Submission as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from common.settings import ROOT


def _run(lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - runs our own module with fixed arguments
        [sys.executable, "-m", "surveys", "run", *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def _submission(stdout: str) -> dict:
    return json.loads(stdout[stdout.rindex("\n{") :])


def test_a_typed_questionnaire_prints_its_submission() -> None:
    turns = ["14", "3", "2", "3", "2", "1", "2", "2", "4", "1", "3", "3", "1", "1", "1", "2", "3",
             "1, 4", "2", "4/5", "more time for DSLs", "skip", "yes"]  # fmt: skip
    result = _run(turns)
    assert result.returncode == 0, result.stderr
    assert "Question 1 · up to 21 more" in result.stdout
    assert "1. Thames Valley Police" in result.stdout
    submission = _submission(result.stdout)
    assert submission["agency"] == "EDU"
    assert submission["answers"]["tools_used"] == ["Neglect Tool", "Domestic abuse risk checklist (DASH)"]
    assert submission["answers"]["joint_working"] == 4
    assert submission["answers"]["anything_else"] is None


def test_the_impact_assessment_runs_in_the_terminal_too() -> None:
    turns = ["CSC", "Budget cuts", "done", "Backlog", "done", "Audits", "done", "Risk held", "done",
             "Joint posts", "done", "More children in care", "done", "submit"]  # fmt: skip
    result = _run(turns, "--definition", "impact-assessment")
    assert result.returncode == 0, result.stderr
    assert _submission(result.stdout)["answers"]["impact_q1"] == ["Budget cuts"]


def test_running_out_of_input_submits_nothing() -> None:
    result = _run(["14", "pause"])
    assert result.returncode == 1
    assert "nothing was submitted" in result.stdout
    assert '"answers"' not in result.stdout


def test_an_unknown_questionnaire_is_named() -> None:
    result = _run([], "--definition", "nope")
    assert result.returncode == 2
    assert "no questionnaire 'nope'" in result.stderr
