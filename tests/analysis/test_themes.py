"""Theme coding: codebooks as data, scores on the public and dev sets, overrides, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.overrides import load_overrides, save_override
from analysis.themes import code_column, code_texts, codebook_names, load_codebook, override_key
from common.errors import ContentError
from tests.helpers.shared import ROOT, read_jsonl, shared_path

DATA = Path(__file__).parent / "data"
IMPACT = [f"impact_q{n}" for n in range(1, 7)]


def score(rows: list[dict]) -> tuple[float, float, float]:
    tp = fp = fn = exact = 0
    books = {}
    for row in rows:
        name = row.get("codebook", "one_change")
        book = books.setdefault(name, load_codebook(name))
        got, want = set(book.code(row["text"]).themes), set(row["themes"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        exact += got == want
    return tp / (tp + fp), tp / (tp + fn), exact / len(rows)


def test_every_codebook_of_the_spec_is_there():
    assert set(codebook_names()) == {"one_change", *IMPACT}


def test_one_change_themes_are_the_spec_themes():
    assert load_codebook("one_change").theme_ids == (
        "joint-working",
        "training",
        "profile",
        "capacity",
        "thresholds",
        "feedback",
        "supervision",
        "resources",
        "systems",
        "other",
    )


def test_impact_category_ids_are_the_spec_names_hyphenated():
    spec = shared_path("specs", "theme-codebooks.md").read_text(encoding="utf-8")
    impact = spec[spec.index("## Impact assessment") :]
    questions = re.split(r"\n\d\. ", impact)[1:]
    assert len(questions) == 6
    for name, text in zip(IMPACT, questions, strict=True):
        names = re.findall(r"^\s+- ([a-z][a-z -]+):", text, flags=re.MULTILINE)
        wanted = {n.strip().replace(" ", "-") for n in names}
        assert set(load_codebook(name).theme_ids) == wanted, name


def test_impact_items_name_existing_codebooks():
    from common.partnership import load_partnership
    from surveys.loader import load_definitions

    partnership = load_partnership(ROOT / "config" / "partnership.example.yaml")
    definition = load_definitions(partnership)["impact-assessment"]
    assert {i.codebook for i in definition.items if i.codebook} == set(IMPACT)


@pytest.mark.parametrize("name", ["one_change", *IMPACT])
def test_codebooks_load_with_positive_weights(name):
    book = load_codebook(name)
    assert book.fallback in book.theme_ids
    assert all(k.weight > 0 for t in book.themes for k in t.keywords)


def test_public_samples_are_coded_well():
    precision, recall, exact = score(read_jsonl(shared_path("samples", "themes-public.jsonl")))
    assert precision >= 0.9
    assert recall >= 0.9
    assert exact >= 0.85


def test_dev_set_is_coded_well():
    rows = read_jsonl(DATA / "themes-dev.jsonl")
    assert len(rows) >= 80
    assert any("codebook" in r for r in rows)
    precision, recall, exact = score(rows)
    assert precision >= 0.9
    assert recall >= 0.9
    assert exact >= 0.85


def test_several_themes_and_a_fallback():
    book = load_codebook("one_change")
    assert set(book.code("More staff and less paperwork").themes) == {"capacity", "systems"}
    nothing = book.code("none")
    assert nothing.themes == ("other",)
    assert nothing.confidence > 0
    unknown = book.code("the car park")
    assert unknown.themes == ("other",)
    assert unknown.confidence == 0


def test_impact_codebooks_give_one_category():
    coded = load_codebook("impact_q1").code("Rise in referrals and a budget overspend")
    assert len(coded.themes) == 1


def test_overrides_win_and_match_whatever_the_case_and_spacing(tmp_path):
    path = tmp_path / "overrides.csv"
    book = load_codebook("one_change")
    save_override(path, book, "The car park", ["resources"])
    save_override(path, book, "the  CAR park", ["systems", "resources"])  # replaces the first
    overrides = load_overrides(path)
    assert overrides["one_change"] == {override_key("the car park"): ("systems", "resources")}
    coded = code_texts(book, ["The car park!", "more training"], overrides["one_change"])
    assert coded[0].themes == ("systems", "resources")
    assert coded[0].overridden
    assert coded[1].themes == ("training",)
    assert not coded[1].overridden


def test_an_override_with_an_unknown_theme_is_refused(tmp_path):
    with pytest.raises(ContentError, match="unknown themes"):
        save_override(tmp_path / "o.csv", load_codebook("one_change"), "x", ["nonsense"])


def test_a_broken_overrides_file_names_itself(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("text,themes\nx,training\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"o\.csv"):
        load_overrides(path)


def test_a_broken_codebook_names_file_and_line(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "themes:\n  - id: Not_Hyphenated\n    keywords: {x: 1}\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"bad.yaml:2: theme id"):
        load_codebook("bad", tmp_path)
    (tmp_path / "weights.yaml").write_text(
        "themes:\n  - id: other\n    keywords: {x: -1}\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match="positive weight"):
        load_codebook("weights", tmp_path)


def test_code_column_marks_unanswered_rows_missing():
    texts = pd.Series(["more training", None, "more training", "Supervision"], dtype="str")
    coded = code_column(texts, load_codebook("one_change"))
    assert coded["training"].tolist() == [True, pd.NA, True, False]
    assert pd.isna(coded.loc[1, "confidence"])
    assert coded.loc[3, "supervision"]


def test_cli_codes_one_text_per_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "themes", "code", "--codebook", "impact_q1"],
        input="Increase in domestic abuse referrals\nRestructure of the locality teams\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={"PATH": "/usr/bin:/bin", "THEME_OVERRIDES_FILE": str(tmp_path / "none.csv")},
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [["rise-in-demand"], ["restructure-and-organisational-issues"]]


def test_holdout_set_is_coded_well_enough():
    # Written after the codebooks were first tuned; its first score (P/R 0.81, exact 0.80) is in the report.
    precision, recall, exact = score(read_jsonl(DATA / "themes-holdout.jsonl"))
    assert precision >= 0.8
    assert recall >= 0.8
    assert exact >= 0.8
