"""Impact-assessment coding on its frozen held-out set: reported, failing only on a fall below it."""

from __future__ import annotations

from tests.helpers.heldout import describe
from tests.helpers.heldout_impact import impact_figures, recorded


def test_impact_assessment_coding_holds_its_held_out_agreement() -> None:
    figures = impact_figures()
    frozen = recorded()
    print("\n" + describe("impact", figures, frozen["first_run"]))
    assert figures["agreement"] >= frozen["first_run"]["agreement"] - frozen["margin"]
