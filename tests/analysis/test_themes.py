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
    """Micro precision and recall of the theme ids, and the share coded exactly right."""
    tp = fp = fn = exact = 0
    books = {}
    for row in rows:
        name = row.get("codebook", "one_change")
        book = books.setdefault(name, load_codebook(name))
        got, want = set(book.code(row["text"]).themes), set(row["themes"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        exact += got == want
    return tp / (tp + fp), tp / (tp + fn), exact / len(rows)


def one_change_and_impact(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    practitioners = [r for r in rows if r.get("codebook", "one_change") == "one_change"]
    return practitioners, [r for r in rows if r.get("codebook", "one_change") != "one_change"]


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
    rows = read_jsonl(DATA / "dev-themes.jsonl")
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
    precision, recall, exact = score(read_jsonl(DATA / "dev-themes-b.jsonl"))
    assert precision >= 0.8
    assert recall >= 0.8
    assert exact >= 0.8


# Sets written blind, before the coder was tuned on any of them, then used in
# turn: tuned on G, first run of H, tuned on G+H, first run of I, then J (a
# later, sloppier set: misspellings, sarcasm, run-on answers) first run and
# tuned on all four. First-run exact match (one_change / impact): G 0.66 /
# 0.88 (the coder before this work), H 0.87 / 0.96, I 0.88 / 0.96, J 0.65 /
# 1.00. The floors sit a little under the scores after tuning, so a codebook
# edit that loses ground fails here.
BLIND = [f"dev-themes-blind-{s}.jsonl" for s in "ghij"]


@pytest.mark.parametrize("name", BLIND)
def test_blind_sets_are_labelled_with_codebook_ids(name):
    rows = read_jsonl(DATA / name)
    practitioners, impact = one_change_and_impact(rows)
    assert len(practitioners) >= 40
    assert {r["codebook"] for r in impact} == set(IMPACT)
    assert all(len(r["themes"]) == 1 for r in impact), "impact issues take one category"
    books = {n: load_codebook(n) for n in ["one_change", *IMPACT]}
    for row in rows:
        assert set(row["themes"]) <= set(books[row["codebook"]].theme_ids), row


@pytest.mark.parametrize("name", BLIND)
def test_blind_sets_are_coded_well(name):
    practitioners, impact = one_change_and_impact(read_jsonl(DATA / name))
    precision, recall, exact = score(practitioners)
    assert precision >= 0.9
    assert recall >= 0.95
    assert exact >= 0.88
    _, _, exact = score(impact)
    assert exact >= 0.95


def test_phone_typing_is_understood():
    book = load_codebook("one_change")
    assert book.code("less paperwrok").themes == ("systems",)  # a transposed typo is mended
    assert book.code("sw to ring back").themes == ("feedback",)  # shorthand is written out
    assert book.code("better IT").themes == ("systems",)  # IT as typed is the IT system
    assert book.code("make it better").themes == ("other",)  # "it" is not
    assert book.code("no more training days please").themes == ("training",)


def test_a_real_word_is_not_mended_into_a_keyword():
    book = load_codebook("one_change")
    assert book.stems("a more professional approach") == ("a", "more", "professional", "approach")
    assert book.code("a more professional approach").themes == ("other",)


def test_hints_alone_need_one_more_than_the_threshold_except_in_a_short_answer():
    book = load_codebook("one_change")
    # "staff" and "DSL" are both capacity hints: two are not enough beside a clear theme
    assert book.code("Mandatory training for all staff not just the DSL").themes == ("training",)
    short = book.code("time")
    assert short.themes == ("capacity",)
    assert 0 < short.confidence < 0.5  # coded, but listed for review


def test_a_longer_phrase_of_another_theme_wins_over_a_keyword_inside_it():
    book = load_codebook("impact_q5")
    assert book.code("Attendance at strategy meetings").themes == ("partnership-engagement",)
    assert book.code("A joint strategy on exploitation").themes == ("multi-agency-strategy",)


def test_shared_files_in_the_codebook_folder_are_not_codebooks(tmp_path):
    assert "_examples" not in codebook_names()
    (tmp_path / "book.yaml").write_text("themes:\n  - id: other\n    keywords: {x: 1}\n", encoding="utf-8")
    (tmp_path / "_examples.yaml").write_text("examples: [not, a, mapping]\n", encoding="utf-8")
    assert codebook_names(tmp_path) == ["book"]
    with pytest.raises(ContentError, match=r"_examples\.yaml"):
        load_codebook("book", tmp_path)


def test_the_learned_backstop_codes_what_the_keywords_leave_uncoded_with_low_confidence():
    book = load_codebook("one_change")
    text = "colleagues in other teams picking up the phone"
    assert not any(book.scores(text).values())  # no keyword at all
    coded = book.code(text)
    assert coded.themes == ("joint-working",)
    assert 0 < coded.confidence < 0.5  # so `themes review` lists it
    assert book.code("zebra crossings") == book.code("more coffee")  # unsure: left uncoded
    assert book.code("zebra crossings").confidence == 0


def test_an_analysts_override_teaches_the_backstop():
    book = load_codebook("one_change")
    assert book.code("the florp wibble").themes == ("other",)
    taught = book.taught({override_key("florp wibble"): ("systems",)})
    assert taught.code("the florp wibble").themes == ("systems",)
    # and code_texts, given the overrides, codes a text near an overridden one the same way
    coded = code_texts(book, ["that florp wibble again"], {override_key("florp wibble"): ("systems",)})
    assert coded[0].themes == ("systems",)


def test_an_example_with_a_theme_the_codebook_lacks_names_file_and_line(tmp_path):
    name = "one_change.yaml"
    (tmp_path / name).write_text((ROOT / "analysis" / "codebooks" / name).read_text(encoding="utf-8"))
    (tmp_path / "_examples.yaml").write_text(
        "examples:\n  one_change:\n    - {text: more staff, themes: [capacity]}\n"
        "    - {text: more cake, themes: [cake]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_codebook("one_change", tmp_path)
    assert caught.value.path.endswith("_examples.yaml")
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "themes:\n  - id: other\n    keywords:\n      x: lots\n",
            "4: should be a number (at themes.0.keywords.x)",
        ),
        # a misspelt key was silently ignored: the theme had no keywords at all
        ("themes:\n  - id: other\n    keyword: {x: 1}\n", "3: unknown key 'keyword' in themes.0"),
        (
            "themes:\n  - id: other\n    keywords: {x: 1}\n  - id: other\n    keywords: {y: 1}\n",
            "4: duplicate theme id 'other' (at themes.1)",
        ),
    ],
)
def test_a_codebook_schema_error_names_file_line_and_field(tmp_path, text, where):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_codebook("bad", tmp_path)
    assert str(caught.value) == f"{tmp_path / 'bad.yaml'}:{where}"
