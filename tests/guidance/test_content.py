"""The shipped content against its spec: every topic id, required facts, glossary, sample questions."""

from __future__ import annotations

import re

import pytest
from rapidfuzz import fuzz

from guidance.knowledge import KnowledgeBase
from guidance.loader import MAX_ANSWER_WORDS, MIN_QUESTIONS, word_count
from tests.helpers.shared import shared_path

# The acronyms the issue names; each must be in the glossary and answerable alone.
REQUIRED_TERMS = [
    "MASH",
    "LCSS",
    "LADO",
    "MARAC",
    "DoLS",
    "DASH",
    "MSP",
    "CSE",
    "CCE",
    "DSL",
    "CIN",
    "CP",
    "CPP",
    "EHA",
    "TON",
    "NFA",
    "NRM",
    "MAPPA",
    "PiPoT",
    "SAR",
    "CSPR",
    "LSCP",
    "SAB",
    "CAMHS",
    "EDT",
    "IDVA",
    "MCA",
    "LPS",
    "RHI",
    "FGM",
    "ICPC",
    "RCPC",
    "LAC",
    "CLA",
    "Prevent",
    "Channel",
]

# What the spec's table says each answer must contain (checked on the filled-in text).
MUST_SAY = {
    "immediate-danger": ["999", "safeguarding lead", "referral", "Do not delay"],
    "child-concern": [
        "Multi-Agency Safeguarding Hub",
        "[MASH phone number",
        "designated safeguarding lead",
        "in writing",
        "Record",
    ],
    "adult-concern": ["[adult safeguarding triage line", "Making Safeguarding Personal", "consent", "Record"],
    "threshold-children": [
        "Threshold of Needs",
        "Universal",
        "Early help",
        "Targeted",
        "Specialist",
        "child in need",
        "child protection",
        "evidence",
        "consult",
    ],
    "threshold-adults": [
        "section 42",
        "care and support",
        "abuse or neglect",
        "unable to protect themselves",
        "triage line",
    ],
    "consultation": ["no-names", "LCSS", "triage line", "designated safeguarding lead", "champion"],
    "internal-escalation": ["line manager", "designated safeguarding lead", "named senior lead", "record"],
    "professional-disagreement": [
        "Practitioner to practitioner",
        "Manager to manager",
        "Senior managers",
        "safeguarding board",
        "safe while it is resolved",
        "Record",
        "working days",
    ],
    "referral-feedback": ["told the outcome", "referral reference", "escalation procedure"],
    "allegation-staff": [
        "LADO",
        "[LADO phone number",
        "within one working day",
        "PiPoT",
        "senior manager",
        "Do not investigate",
    ],
    "whistleblowing": ["whistleblowing", "protected", "Externally"],
    "information-sharing": [
        "does not stop you sharing",
        "necessary and proportionate",
        "accurate",
        "timely",
        "secure",
        "Record",
        "never delay",
    ],
    "domestic-abuse": ["DASH", "14 or more", "MARAC", "MASH", "domestic abuse pathway", "support services"],
    "exploitation": ["screening tool", "MASH", "specialist exploitation team", "Signs"],
    "missing": ["police", "social worker", "missing education", "local authority"],
    "neglect": [
        "Graded Care Profile",
        "most common reason for a child protection plan",
        "Threshold of Needs",
    ],
    "mental-capacity": [
        "Presume capacity",
        "support",
        "unwise decision",
        "best interests",
        "least restrictive",
        "decision-specific",
        "Deprivation of Liberty Safeguards",
    ],
    "self-neglect": [
        "self-neglect framework",
        "difficult to engage",
        "Adult safeguarding",
        "multi-agency meeting",
    ],
    "prevent": ["Prevent duty", "Channel", "Prevent lead", "not a criminal process"],
    "fgm": ["under 18", "police", "101", "Mandatory reporting"],
    "modern-slavery": ["Signs", "National Referral Mechanism", "police", "always refer to the MASH"],
    "out-of-hours": ["emergency duty team", "[emergency duty team number", "999"],
    "recording": ["facts", "own words", "decisions", "why", "chronology"],
    "early-help": ["early help assessment", "consent", "locality team", "Step-down"],
    "training": ["https://example.org/safeguarding-training", "mandatory", "every three years"],
    "support-for-staff": ["Supervision", "safeguarding lead or champion", "employee assistance programme"],
    "glossary": ["LADO", "MSP"],
    "about-survey": ["anonymous", "collated per agency", "agency lead", "stop", "resume"],
}

NEAR_DUPLICATE = 85  # similarity (0-100) at which two questions count as the same question


def similarity(a: str, b: str) -> float:
    """How alike two questions are as strings, whatever the word order (not in meaning)."""
    a, b = a.lower(), b.lower()
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def spec_topic_ids() -> list[str]:
    text = shared_path("specs", "guidance-topics.md").read_text(encoding="utf-8")
    return [i for i in re.findall(r"^\| ([a-z][a-z-]+) \|", text, flags=re.MULTILINE) if i != "id"]


def test_every_topic_in_the_spec_has_a_content_file_and_nothing_else(kb: KnowledgeBase) -> None:
    ids = spec_topic_ids()
    assert len(ids) == 28
    assert sorted(kb.topics) == sorted(ids)


@pytest.mark.parametrize("topic_id", sorted(MUST_SAY))
def test_answer_says_what_the_spec_requires(kb: KnowledgeBase, topic_id: str) -> None:
    answer = kb.topic(topic_id).answer
    missing = [phrase for phrase in MUST_SAY[topic_id] if phrase.lower() not in answer.lower()]
    assert not missing, f"{topic_id} answer lacks {missing}"


def test_every_topic_is_short_linked_and_has_varied_questions(kb: KnowledgeBase) -> None:
    for topic in kb.topics.values():
        assert word_count(topic.answer) <= MAX_ANSWER_WORDS + 20, topic.id  # placeholders filled in
        assert len(topic.questions) >= MIN_QUESTIONS, topic.id
        assert topic.links, topic.id
        assert topic.related, topic.id
        assert "{" not in topic.answer, f"{topic.id}: a placeholder was left unfilled"


def test_immediate_danger_says_999_before_anything_else(kb: KnowledgeBase) -> None:
    first_line = kb.topic("immediate-danger").answer.splitlines()[0]
    assert "999" in first_line


def test_glossary_has_the_required_acronyms_and_more_than_thirty(kb: KnowledgeBase) -> None:
    terms = {entry.term for entry in kb.glossary.entries}
    assert len(terms) >= 30
    assert set(REQUIRED_TERMS) <= terms, set(REQUIRED_TERMS) - terms


def test_no_real_looking_phone_numbers_in_content(kb: KnowledgeBase) -> None:
    # National numbers (999, 101, 111) are facts; anything longer must come from partnership settings.
    for topic in kb.topics.values():
        texts = [topic.answer, *(entry.meaning for entry in topic.terms)]
        for text in texts:
            assert not re.search(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b", text), topic.id


def test_public_sample_is_not_copied_into_sample_questions(kb: KnowledgeBase, public_questions) -> None:
    ours = [q for topic in kb.topics.values() for q in topic.questions]
    for row in public_questions:
        closest = max(ours, key=lambda q: similarity(q, row["q"]))
        assert similarity(closest, row["q"]) < NEAR_DUPLICATE, f"{row['q']!r} is nearly {closest!r}"


def test_dev_set_is_not_copied_into_sample_questions(kb: KnowledgeBase, dev_questions) -> None:
    ours = [q for topic in kb.topics.values() for q in topic.questions]
    for row in dev_questions:
        assert max(similarity(q, row["q"]) for q in ours) < NEAR_DUPLICATE, row["q"]


def test_dev_set_covers_every_topic_out_of_scope_and_emergencies(kb: KnowledgeBase, dev_questions) -> None:
    labels = {row["topic"] for row in dev_questions}
    assert len(dev_questions) >= 120
    assert set(kb.topics) | {"out-of-scope"} <= labels
