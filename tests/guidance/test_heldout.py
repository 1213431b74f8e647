"""Scores on the frozen held-out sets: reported, and failing only on a fall below the first run.

The sets (``data/heldout-*.jsonl``) were written before the changes they measure
and are never tuned on; ``data/heldout-figures.yaml`` keeps their first-run
figures and the margin. Tuning happens on the ``dev-*`` sets only.
"""

from __future__ import annotations

import pytest

from tests.helpers.heldout import (
    GUIDANCE,
    describe,
    disclosure_figures,
    emergency_figures,
    guidance_figures,
    recorded,
    screened,
)

FIGURES = recorded(GUIDANCE)
MARGIN = FIGURES["margin"]


def report(name: str, figures: dict[str, float]) -> None:
    print("\n" + describe(name, figures, FIGURES["first_run"][name]))


@pytest.fixture(scope="module")
def guidance() -> dict[str, float]:
    figures = guidance_figures()
    report("guidance", figures)
    return figures


@pytest.mark.parametrize("measure", ["top1", "top1_hard", "out_of_scope"])
def test_guidance_holds_its_held_out_figures(guidance: dict[str, float], measure: str) -> None:
    assert guidance[measure] >= FIGURES["first_run"]["guidance"][measure] - MARGIN


def test_emergency_detection_holds_its_held_out_figures() -> None:
    figures = emergency_figures()
    report("emergency", figures)
    first = FIGURES["first_run"]["emergency"]
    assert figures["recall"] >= first["recall"] - MARGIN
    assert figures["false_alarms"] <= first["false_alarms"] + MARGIN


def test_disclosures_hold_their_held_out_figures() -> None:
    figures = disclosure_figures(screened)
    report("disclosures", figures)
    first = FIGURES["first_run"]["disclosures"]
    assert figures["self_recognised"] >= first["self_recognised"] - MARGIN
    assert figures["flagged"] >= first["flagged"] - MARGIN
    assert figures["false_alarms"] <= first["false_alarms"] + MARGIN
