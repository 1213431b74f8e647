"""The shared text normalisation: one shorthand file, one stemmer, one typo corrector, used everywhere."""

from __future__ import annotations

import pytest

from common.errors import ContentError
from text.shorthand import expand, load_shorthand
from text.stemming import singular, stem
from text.typos import TypoCorrector, distance, one_edit_apart


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("sw pls ring me", "social worker please ring me"),
        ("hes got a knfe 2nite", "he's got a knife tonight"),
        ("IT keeps crashing", "ict keeps crashing"),
        ("make it better", "make it better"),  # "it" is not IT
        ("more traning on behavior", "more training on behaviour"),
        ("The  MASH’s  reply", "the mash's reply"),
    ],
)
def test_shorthand_is_written_out_once_for_everyone(typed: str, written: str) -> None:
    assert expand(typed) == written


def test_a_reader_can_keep_its_own_terms() -> None:
    assert expand("what is a cp") == "what is a child protection"
    assert expand("what is a cp", frozenset({"cp"})) == "what is a cp"


def test_a_broken_shorthand_file_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "shorthand.yaml"
    path.write_text("words: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_shorthand(path)
    assert caught.value.path == str(path)


def test_one_stemmer() -> None:
    assert stem("caseloads") == stem("caseload")
    assert stem("training") == stem("trained")
    assert singular("families") == "family"
    assert singular("professional") == "professional"


def test_the_typo_corrector_counts_a_swap_as_one_edit() -> None:
    assert distance("paperwrok", "paperwork") == 1
    mender = TypoCorrector(["strangled", "threatening"], shortest=6, keep=["stranger"])
    assert mender.correct("strangeld") == "strangled"
    assert mender.correct("threatning") == "threatening"
    assert mender.correct("stranger") == "stranger"  # a real word kept
    assert mender.correct("hit") == "hit"  # too short to mend


def test_the_typo_corrector_can_refuse_an_ambiguous_fix_and_prefer_the_callers_order() -> None:
    words = ["cases", "caves"]
    assert TypoCorrector(words, shortest=4, unique=True).correct("caxes") == "caxes"
    assert TypoCorrector(words, shortest=4).correct("caxes") == "cases"
    long = TypoCorrector(["safeguarding"], shortest=4, allowed=one_edit_apart(10))
    assert long.correct("safegaurdng") == "safeguarding"  # two edits allowed in a long word


def test_every_reader_uses_the_same_shorthand(kb_reader_and_codebook) -> None:
    reader, codebook = kb_reader_and_codebook
    assert "social" in reader.corrected("sw said no")
    assert codebook.stems("sw to ring back")[:2] == ("social", "worker")
