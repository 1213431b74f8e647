"""Redaction on the frozen held-out set: reported, failing only on a fall below the first run."""

from __future__ import annotations

from tests.helpers.heldout import SURVEYS, describe, recorded, redaction_figures

FIGURES = recorded(SURVEYS)


def test_redaction_holds_its_held_out_figures() -> None:
    figures = redaction_figures()
    first, margin = FIGURES["first_run"]["redaction"], FIGURES["margin"]
    print("\n" + describe("redaction", figures, first))
    assert figures["recall"] >= first["recall"] - margin
    assert figures["name_recall"] >= first["name_recall"] - margin
    assert figures["false_positive_cases"] <= first["false_positive_cases"] + margin
