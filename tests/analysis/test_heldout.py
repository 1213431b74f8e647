"""Theme coding on the frozen held-out set: reported, failing only on a fall below the first run."""

from __future__ import annotations

import pytest

from tests.helpers.heldout import ANALYSIS, describe, recorded, theme_figures

FIGURES = recorded(ANALYSIS)


@pytest.fixture(scope="module")
def themes() -> dict[str, float]:
    figures = theme_figures()
    print("\n" + describe("themes", figures, FIGURES["first_run"]["themes"]))
    return figures


@pytest.mark.parametrize("measure", ["precision", "recall", "micro_f1", "exact"])
def test_theme_coding_holds_its_held_out_figures(themes: dict[str, float], measure: str) -> None:
    assert themes[measure] >= FIGURES["first_run"]["themes"][measure] - FIGURES["margin"]
