"""kb.answer: the right topic for staff's own words, glossary terms, honest "not sure", emergency first."""

from __future__ import annotations

import pytest

from guidance.knowledge import KnowledgeBase
from guidance.model import EMERGENCY_TOPIC, GLOSSARY_TOPIC


def test_every_topics_own_sample_questions_retrieve_that_topic(kb: KnowledgeBase) -> None:
    wrong = []
    for topic in kb.topics.values():
        for question in topic.questions:
            answer = kb.answer(question)
            if answer.topic != topic.id:
                wrong.append((topic.id, answer.topic, question))
    assert not wrong


def test_every_glossary_term_is_answerable_on_its_own(kb: KnowledgeBase) -> None:
    for entry in kb.glossary.entries:
        for question in (f"what is a {entry.term}?", f"what does {entry.term} stand for", f"{entry.term}?"):
            answer = kb.answer(question)
            assert (answer.topic, answer.term) == (GLOSSARY_TOPIC, entry.term), question
            assert entry.expansion in answer.text
            assert answer.sure
            assert not answer.emergency


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("what's PiPoT?", "PiPoT"),
        ("wot does marac mean", "MARAC"),
        ("the letter says the case was NFA'd. what's NFA?", "NFA"),
        ("what is a section 47", "S47"),
        ("meaning of cspr", "CSPR"),
        ("what does MARRAC stand for?", "MARAC"),
        ("what is a CIN plan?", "CIN"),
    ],
)
def test_glossary_questions_in_staffs_words(kb: KnowledgeBase, question: str, term: str) -> None:
    answer = kb.answer(question)
    assert (answer.topic, answer.term) == (GLOSSARY_TOPIC, term)


def test_a_glossary_answer_offers_the_topic_behind_the_term(kb: KnowledgeBase) -> None:
    answer = kb.answer("what is a LADO?")
    assert answer.related[0][0] == "allegation-staff"
    assert "[LADO phone number" in answer.text


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # Asking more than the meaning goes to the topic, not the glossary.
        ("what is the LADO and when do I have to ring them", "allegation-staff"),
        ("what's the Prevent duty for schools", "prevent"),
        # Typos, abbreviations and US spellings.
        ("how do i make a safegaurding refferal for a child", "child-concern"),
        ("is there counseling for staff after a bad case", "support-for-staff"),
        ("who do i ring ooh at the wknd", "out-of-hours"),
        ("DV incident, kids in the house, what do I do", "domestic-abuse"),
        ("pt lacks capacity to decide where to live, best interests?", "mental-capacity"),
    ],
)
def test_topic_answers_for_realistic_phrasings(kb: KnowledgeBase, question: str, topic: str) -> None:
    answer = kb.answer(question)
    assert answer.topic == topic
    assert answer.sure
    assert answer.related
    assert answer.links


@pytest.mark.parametrize(
    "question",
    [
        "how do I claim my mileage",
        "what's the wifi password on floor 3",
        "is the A34 closed",
        "tell me a joke",
        "can you translate this leaflet into Urdu",
        "when do payslips come out",
    ],
)
def test_out_of_scope_questions_get_no_topic(kb: KnowledgeBase, question: str) -> None:
    answer = kb.answer(question)
    assert answer.topic is None
    assert not answer.sure
    assert not answer.emergency
    assert "safeguarding team" in answer.text


def test_below_the_threshold_the_answer_is_honest_and_offers_nearest_topics(kb: KnowledgeBase) -> None:
    answer = kb.answer("worried about the family")
    assert answer.topic is None
    assert not answer.sure
    assert "not sure" in answer.text.lower()
    assert 1 <= len(answer.nearest) <= 3
    assert all(topic_id in kb.topics for topic_id, _ in answer.nearest)


def test_emergency_comes_first_and_keeps_the_other_question_as_a_follow_up(kb: KnowledgeBase) -> None:
    answer = kb.answer(
        "how often do I redo safeguarding training? also a man has just pulled a knife in reception"
    )
    assert answer.emergency
    assert answer.topic == EMERGENCY_TOPIC
    assert answer.text.startswith("**Call 999 now**")
    assert answer.related[0][0] == "training"


def test_a_question_about_what_to_do_in_danger_gets_the_emergency_guidance(kb: KnowledgeBase) -> None:
    answer = kb.answer("what's the first thing to do if a child is in danger")
    assert answer.topic == EMERGENCY_TOPIC
    assert answer.emergency


def test_confidence_is_a_probability_like_number(kb: KnowledgeBase) -> None:
    for question in ("how do I escalate", "what is a LADO?", "book a pool car", "he's going to kill her"):
        assert 0.0 <= kb.answer(question).confidence <= 1.0


@pytest.mark.parametrize(
    "question",
    [
        "a pupil told me last week that her dad hit her, who do I tell?",
        "resident says her son hit her a few months ago, is that adult safeguarding?",
        "he took an overdose in the summer, should I have referred him?",
    ],
)
def test_a_question_that_mentions_harm_always_mentions_999(kb, question):
    answer = kb.answer(question)
    assert "999" in (answer.reminder or "") or "999" in answer.text


def test_the_reminder_opens_an_answer_that_does_not_say_999_itself(kb):
    answer = kb.answer("resident says her son hit her a few months ago, does that meet the section 42 test?")
    assert "999" not in answer.text
    assert answer.reminder is not None
    assert "999" in answer.reminder


def test_a_calm_question_has_no_reminder(kb):
    assert kb.answer("what is a LADO?").reminder is None
    assert kb.answer("where do I find safeguarding training?").reminder is None


def test_no_reminder_twice_when_the_answer_already_says_999(kb):
    answer = kb.answer("my client was hit by her partner last year, how do I refer to MARAC?")
    assert "999" in answer.text
    assert answer.reminder is None


def test_escalating_a_concern_about_a_gp_is_another_agency_not_your_own(kb):
    # A GP is another agency: the professional-disagreement procedure, not internal escalation.
    assert kb.answer("how do I escalate a concern about a GP?").topic == "professional-disagreement"
    assert kb.answer("how do i escalate within my own organisation").topic == "internal-escalation"


def test_neglect_described_then_does_this_meet_threshold_gets_neglect(kb):
    question = "mum leaves the kids alone at night and the house is filthy - does this meet threshold?"
    assert kb.answer(question).topic == "neglect"


@pytest.mark.parametrize("question", ["how do I book annual leave", "whats the wifi password", "tell a joke"])
def test_an_off_topic_question_gets_no_suggested_topics(kb, question):
    answer = kb.answer(question)
    assert answer.topic is None
    assert answer.nearest == ()


def test_a_vague_safeguarding_question_still_gets_suggestions(kb):
    answer = kb.answer("help with a referral")
    assert answer.topic is not None or answer.nearest
