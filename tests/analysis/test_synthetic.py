"""Demo data follows the questionnaire: conditions respected, exclusive choices exclusive, agencies differ."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.frame import multi_column
from analysis.synthetic import PHRASES_FILE, generate
from common.partnership import load_partnership
from common.yamlfile import load_yaml
from surveys.loader import load_definitions
from tests.helpers.shared import ROOT


@pytest.fixture(scope="module")
def demo():
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    definition = load_definitions(partnership)["practitioner"]
    agencies = [(a.code, a.headcount) for a in partnership.agencies]
    return definition, generate(definition, agencies, 5000, wave=1, months=["2026-05"], seed=3)


def test_an_item_whose_condition_fails_is_never_answered(demo):
    definition, frame = demo
    conditional = [item for item in definition.items if item.when is not None]
    assert conditional
    for item in conditional:
        shown = frame[item.when.item].isin(item.when.values)
        if item.when.negate:
            shown = ~shown
        assert frame.loc[~shown, item.id].isna().all(), item.id
        assert frame.loc[shown, item.id].notna().all(), item.id


def test_none_of_these_is_exclusive(demo):
    definition, frame = demo
    tools = definition.item("tools_used")
    none = next(c.value for c in tools.choices if c.exclusive)
    others = [multi_column(tools.id, c.value) for c in tools.choices if not c.exclusive]
    chosen_none = frame[multi_column(tools.id, none)].astype(bool)
    assert not (chosen_none & frame[others].any(axis=1)).any()
    assert (chosen_none | frame[others].any(axis=1)).all()


def test_agencies_differ_and_free_text_varies(demo):
    _, frame = demo
    agree = (
        frame["know_where_info"]
        .isin(["Strongly agree", "Agree"])
        .groupby(frame["agency"], observed=True)
        .mean()
    )
    assert agree.max() - agree.min() > 0.1
    texts = frame["one_change"].dropna()
    assert 0.3 < len(texts) / len(frame) < 0.8
    assert texts.nunique() > 200
    assert pd.api.types.is_string_dtype(frame["one_change"])


@pytest.fixture(scope="module")
def setting():
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    return load_definitions(partnership)["practitioner"], [
        (a.code, a.headcount) for a in partnership.agencies
    ]


def test_realistic_free_text_is_mostly_distinct_with_a_few_common_short_answers(setting):
    definition, agencies = setting
    frame = generate(definition, agencies, 5000, wave=1, months=["2026-05"], seed=3, free_text="realistic")
    texts = frame["one_change"].dropna()
    repeated = texts[texts.duplicated(keep=False)]
    assert texts.nunique() > 0.8 * len(texts)
    assert set(repeated) <= set(load_yaml(PHRASES_FILE)["short_answers"])
    assert texts.value_counts().index[0] == "none"


def test_distinct_free_text_has_no_two_answers_alike(setting):
    definition, agencies = setting
    frame = generate(definition, agencies, 5000, wave=1, months=["2026-05"], seed=3, free_text="distinct")
    texts = frame["one_change"].dropna()
    assert len(texts) > 1000
    assert texts.is_unique


def test_an_unknown_kind_of_free_text_is_refused(setting):
    definition, agencies = setting
    with pytest.raises(ValueError, match="free_text should be one of"):
        generate(definition, agencies, 10, wave=1, months=["2026-05"], free_text="lorem")
