"""Theme coding on the frozen held-out set: reported, failing only on a fall below the first run."""

from __future__ import annotations

import pytest

from tests.helpers.heldout import ANALYSIS, describe, impact_figures, recorded, theme_figures

FIGURES = recorded(ANALYSIS)


@pytest.fixture(scope="module")
def themes() -> dict[str, float]:
    figures = theme_figures()
    print("\n" + describe("themes", figures, FIGURES["first_run"]["themes"]))
    return figures


@pytest.mark.parametrize("measure", ["precision", "recall", "micro_f1", "exact"])
def test_theme_coding_holds_its_held_out_figures(themes: dict[str, float], measure: str) -> None:
    assert themes[measure] >= FIGURES["first_run"]["themes"][measure] - FIGURES["margin"]


def test_impact_assessment_coding_holds_its_held_out_agreement() -> None:
    figures = impact_figures()
    first = FIGURES["first_run"]["impact"]
    print("\n" + describe("impact", figures, first))
    assert figures["agreement"] >= first["agreement"] - FIGURES["margin"]
