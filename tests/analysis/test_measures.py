"""Headline measures are data checked against the questionnaire definition."""

from __future__ import annotations

import pytest

from analysis.measures import load_measures
from common.errors import ContentError
from common.partnership import load_partnership
from surveys.loader import load_definitions
from tests.analysis.conftest import AGENCIES, SMALL
from tests.helpers.shared import ROOT


@pytest.fixture(scope="module")
def practitioner():
    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    return load_definitions(partnership)["practitioner"], [a.code for a in partnership.agencies]


def test_every_headline_measure_of_the_spec_is_computed(practitioner):
    definition, agencies = practitioner
    ids = {m.id for m in load_measures(definition, agencies)}
    assert {"trained_3y", "discuss_safeguarding", "referral_outcome_always", "supported_adequately"} <= ids
    likert = {i.id for i in definition.items if i.type == "likert"}
    assert {f"agree:{i}" for i in likert} <= ids
    tools = definition.item("tools_used")
    assert {f"use:tools_used:{c.value}" for c in tools.choices} <= ids
    assert "mean:joint_working" in ids


def test_denominators_are_named(practitioner):
    definition, agencies = practitioner
    of = {m.id: m.of for m in load_measures(definition, agencies)}
    assert of["referral_outcome_always"] == "of those who made a referral"
    assert of["supported_adequately"] == "of those who raised a concern"
    assert of["agree:thresholds_children"] == "of those who work with children and families"


def test_a_measure_on_an_unknown_choice_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "measures:\n  - {id: x, item: recency, counts: [Yesterday], label: X}\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"m.yaml:2: measure 'x' counts unknown"):
        load_measures(SMALL, AGENCIES, path)


def test_a_measure_on_an_unknown_item_is_refused(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("measures:\n  - {id: x, item: nothing, counts: [A], label: X}\n", encoding="utf-8")
    with pytest.raises(ContentError, match="needs a choice item"):
        load_measures(SMALL, AGENCIES, path)


def test_a_measure_listed_twice_is_refused_at_the_second_with_its_field(tmp_path):
    path = tmp_path / "m.yaml"
    row = "{id: x, item: recency, counts: [Recent], label: X}"
    path.write_text(f"measures:\n  - {row}\n  - {row}\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"m\.yaml:3: duplicate measure id 'x' \(at measures\.1\)"):
        load_measures(SMALL, AGENCIES, path)


def test_a_misspelt_field_of_a_measure_names_file_line_and_field(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "measures:\n  - {id: x, item: recency, counts: [Recent], label: X, labl: Y}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"m\.yaml:2: unknown key 'labl' in measures\.0"):
        load_measures(SMALL, AGENCIES, path)


def test_the_response_rate_target_is_data_and_a_bad_one_names_file_line_and_field(tmp_path):
    from analysis.targets import load_targets

    assert load_targets().response_rate_percent == 10.0
    path = tmp_path / "targets.yaml"
    path.write_text("# targets\nresponse_rate_percent: ten\n", encoding="utf-8")
    with pytest.raises(
        ContentError, match=r"targets\.yaml:2: should be a number \(at response_rate_percent\)"
    ):
        load_targets(path)
