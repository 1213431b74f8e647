"""Score the frozen held-out sets (``tests/*/data/heldout-*.jsonl``), one figure per measure.

The sets were written before the retrieval, coding and redaction changes and are
never tuned on. Each package's tests compare these figures with the first run
recorded in ``tests/<package>/data/heldout-figures.yaml`` minus a stated margin.
Print every figure with::

    .venv/bin/python -m tests.helpers.heldout
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.shared import ROOT, read_jsonl

GUIDANCE = ROOT / "tests" / "guidance" / "data"
ANALYSIS = ROOT / "tests" / "analysis" / "data"
SURVEYS = ROOT / "tests" / "surveys" / "data"


def _share(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 4)


def guidance_figures(rows: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Top-1 on answerable and hard questions, out-of-scope recognised, as shares."""
    from common.partnership import load_partnership
    from guidance.evaluation import OUT_OF_SCOPE, judge
    from guidance.knowledge import load_knowledge_base

    kb = load_knowledge_base(load_partnership(ROOT / "config" / "partnership.example.yaml"))
    rows = rows if rows is not None else read_jsonl(GUIDANCE / "heldout-questions.jsonl")
    outcomes = [(row, judge(row["topic"], kb.answer(row["q"]))) for row in rows]
    answerable = [ok for row, ok in outcomes if row["topic"] != OUT_OF_SCOPE]
    hard = [ok for row, ok in outcomes if row["topic"] != OUT_OF_SCOPE and row["hard"]]
    outside = [ok for row, ok in outcomes if row["topic"] == OUT_OF_SCOPE]
    return {"top1": _share(answerable), "top1_hard": _share(hard), "out_of_scope": _share(outside)}


def emergency_figures(rows: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Emergency recall and the share of ordinary messages flagged (false alarms)."""
    from guidance.emergency import detect

    rows = rows if rows is not None else read_jsonl(GUIDANCE / "heldout-emergency.jsonl")
    flagged = [(row["emergency"], detect(row["q"])) for row in rows]
    return {
        "recall": _share([got for want, got in flagged if want]),
        "false_alarms": _share([got for want, got in flagged if not want]),
    }


def disclosure_figures(
    classify: Callable[[str], str | None], rows: list[dict[str, Any]] | None = None
) -> dict[str, float]:
    """How disclosures are told apart: ``classify`` says "self", "other" or None per text.

    ``self_recognised``: disclosures about the writer read as such; ``flagged``:
    any disclosure (self or other) given a route at all; ``false_alarms``: general
    comments flagged.
    """
    rows = rows if rows is not None else read_jsonl(GUIDANCE / "heldout-disclosures.jsonl")
    got = [(row["about"], classify(row["text"])) for row in rows]
    return {
        "self_recognised": _share([c == "self" for a, c in got if a == "self"]),
        "flagged": _share([c is not None for a, c in got if a != "none"]),
        "false_alarms": _share([c is not None for a, c in got if a == "none"]),
    }


def screened(text: str) -> str | None:
    """How the survey treats a free-text answer: "self" for harm to the writer, "other" for any
    other disclosure or emergency (both screened out), None when the answer is kept.

    At first run nothing recognised "self"; the figures file says how it was scored then.
    """
    from guidance.screening import screen, self_disclosure

    if self_disclosure(text) is not None:
        return "self"
    return "other" if screen(text) is not None else None


def theme_figures(rows: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Micro precision, recall and F1 of the one_change themes, and the share coded exactly."""
    from analysis.themes import load_codebook

    rows = rows if rows is not None else read_jsonl(ANALYSIS / "heldout-themes.jsonl")
    book = load_codebook("one_change")
    tp = fp = fn = exact = 0
    for row in rows:
        got, want = set(book.code(row["text"]).themes), set(row["themes"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        exact += got == want
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "micro_f1": round(2 * precision * recall / (precision + recall), 4),
        "exact": round(exact / len(rows), 4),
    }


def redaction_figures(rows: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Recall over every labelled value, recall of names alone, and cases with a false positive."""
    from tests.surveys.data.score_pii import score

    rows = rows if rows is not None else read_jsonl(SURVEYS / "heldout-pii.jsonl")
    found, total, _ = score(rows)
    fp_cases = sum(n for k, n in found.items() if k.startswith("fp:"))
    return {
        "recall": round(sum(found[k] for k in total) / sum(total.values()), 4),
        "name_recall": round(found["name"] / total["name"], 4),
        "false_positive_cases": round(fp_cases / len(rows), 4),
    }


def describe(name: str, figures: dict[str, float], first: dict[str, float]) -> str:
    """One line for the test log: each figure beside its first run."""
    parts = (f"{k} {v:.3f} (first run {first[k]:.3f})" for k, v in figures.items())
    return f"held-out {name}: " + ", ".join(parts)


def recorded(folder: Path) -> dict[str, Any]:
    """The figures file beside a package's held-out sets."""
    return yaml.safe_load((folder / "heldout-figures.yaml").read_text(encoding="utf-8"))


def main() -> None:
    figures = {
        "guidance": guidance_figures(),
        "emergency": emergency_figures(),
        "disclosures": disclosure_figures(screened),
        "themes": theme_figures(),
        "redaction": redaction_figures(),
    }
    print(yaml.safe_dump(figures, sort_keys=False), end="")


if __name__ == "__main__":
    main()
