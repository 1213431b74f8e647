"""The targets of the issue, measured the way `python -m guidance eval` measures them."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ContentError
from guidance.evaluation import evaluate, judge, read_labelled
from guidance.knowledge import KnowledgeBase
from guidance.model import Answer
from tests.helpers.shared import read_jsonl

DATA = Path(__file__).resolve().parent / "data"


def answer(topic: str | None, *, emergency: bool = False) -> Answer:
    return Answer(topic=topic, title="", confidence=0.5, sure=topic is not None, emergency=emergency, text="")


@pytest.mark.parametrize(
    ("expected", "given", "correct"),
    [
        ("neglect", answer("neglect"), True),
        ("neglect", answer("early-help"), False),
        ("neglect", answer(None), False),
        ("immediate-danger", answer("immediate-danger", emergency=True), True),
        ("immediate-danger", answer("domestic-abuse"), False),
        ("out-of-scope", answer(None), True),
        ("out-of-scope", answer("training"), False),
        ("out-of-scope", answer("immediate-danger", emergency=True), False),
    ],
)
def test_judge(expected: str, given: Answer, correct: bool) -> None:
    assert judge(expected, given) is correct


def test_targets_on_the_public_sample(kb: KnowledgeBase, public_questions) -> None:
    report = evaluate(kb, public_questions)
    assert report.emergency_recall == 1.0
    assert report.top1 is not None
    assert report.top1 >= 0.9, report.lines()
    assert report.out_of_scope_handled is not None
    assert report.out_of_scope_handled >= 0.9


def test_targets_on_our_dev_set(kb: KnowledgeBase, dev_questions) -> None:
    report = evaluate(kb, dev_questions)
    assert report.emergency_recall == 1.0
    assert report.top1 is not None
    assert report.top1 >= 0.9, report.lines()
    assert report.out_of_scope_handled is not None
    assert report.out_of_scope_handled >= 0.9


@pytest.mark.parametrize(
    "name",
    [
        "dev-check-questions.jsonl",
        "dev-blind-questions.jsonl",
        "dev-final-blind-questions.jsonl",
        "dev-terse-questions.jsonl",
    ],
)
def test_targets_hold_on_the_later_question_sets(kb: KnowledgeBase, name: str) -> None:
    # Each set was first scored blind (figures in the report), then used for development:
    # here they guard against regressions.
    report = evaluate(kb, read_jsonl(DATA / name))
    assert report.emergency_recall in (1.0, None)  # the terse set has no emergencies
    assert report.false_alarms == 0
    assert report.top1 is not None
    assert report.top1 >= 0.9, report.lines()


@pytest.mark.parametrize(
    ("name", "top1", "outside"),
    [
        # Each set was written before the tuning it was then used for; first-run (blind)
        # top-1 was 89.8% on G, 83.7% on H, 88.6% on I, 80.0% on J, 72.6% on K, 65.2% on L
        # and 67.4% on M (K to M deliberately harder: unusual words, admin questions that
        # use safeguarding words), and 83.3% on N, written after all the others. Floors sit
        # a little below the tuned figures so a regression shows without being brittle;
        # L, M and N have only five or six out-of-scope questions each.
        ("dev-blind-g.jsonl", 0.94, 0.9),
        ("dev-blind-h.jsonl", 0.95, 0.9),
        ("dev-blind-i.jsonl", 0.91, 0.9),
        ("dev-blind-j.jsonl", 0.92, 0.9),
        ("dev-blind-k.jsonl", 0.90, 0.9),
        ("dev-blind-l.jsonl", 0.88, 0.8),
        ("dev-blind-m.jsonl", 0.84, 0.8),
        ("dev-blind-n.jsonl", 0.89, 0.8),
    ],
)
def test_targets_hold_on_the_phone_style_sets(
    kb: KnowledgeBase, name: str, top1: float, outside: float
) -> None:
    report = evaluate(kb, read_jsonl(DATA / name))
    assert report.emergency_recall == 1.0
    assert report.top1 is not None
    assert report.top1 >= top1, report.lines()
    assert report.out_of_scope_handled is not None
    assert report.out_of_scope_handled >= outside, report.lines()


def test_the_hard_question_sets_keep_their_figures(kb: KnowledgeBase) -> None:
    # Hard questions (unusual roles, several asks in one, indirect wording). dev-hard-o: 0.54
    # at first run, 0.74 now. dev-hard-p was written before this session's changes: 0.757 at
    # first run, 0.80 now (its even lines were looked at while developing, its odd lines were
    # not). Floors a little below.
    for name, floor in (("dev-hard-o.jsonl", 0.72), ("dev-hard-p.jsonl", 0.76)):
        report = evaluate(kb, read_jsonl(DATA / name))
        assert report.top1 is not None
        assert report.top1 >= floor, (name, report.lines())


def test_report_lines_name_every_figure_and_each_confusion(kb: KnowledgeBase) -> None:
    rows = [
        {"q": "how do I escalate in my own team", "topic": "internal-escalation"},
        {"q": "how do I escalate in my own team", "topic": "neglect"},
    ]
    text = "\n".join(evaluate(kb, rows).lines())
    assert "top-1 accuracy: 50.0%" in text
    assert "emergency recall: n/a" in text
    assert "neglect -> internal-escalation: 1" in text


def test_a_bad_line_in_a_labelled_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text('{"q": "fine", "topic": "neglect"}\n\n{"q": "no topic"}\n')
    with pytest.raises(ContentError) as caught:
        read_labelled(path)
    assert caught.value.line == 3
