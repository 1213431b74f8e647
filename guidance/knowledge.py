"""The knowledge base: load once at start-up, then ``kb.answer(text)`` per question.

Order of answering: emergency first (always the immediate-danger guidance,
whatever else the message asks); then a question about what a term means
(glossary); then retrieval, with an honest "not sure" and the nearest topics
below the confidence threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

from common.partnership import Partnership
from guidance import emergency, screening
from guidance.cues import CueSet, load_cues
from guidance.glossary import Glossary
from guidance.language import DATA_DIR, LANGUAGE_FILE, Language, Reader, load_language
from guidance.loader import CONTENT_DIR, load_topics
from guidance.model import EMERGENCY_TOPIC, GLOSSARY_TOPIC, Answer, GlossaryEntry, Topic
from guidance.retrieval import NOT_GUIDANCE_FILE, Match, Ranking, load_examples, trained_index

OUT_OF_SCOPE_FILE = DATA_DIR / "out-of-scope.yaml"


class KnowledgeBase:
    """Topics, glossary and retrieval for one partnership (contacts already filled in)."""

    def __init__(
        self,
        topics: tuple[Topic, ...],
        language: Language,
        out_of_scope: CueSet,
        not_guidance: tuple[str, ...] = (),
    ) -> None:
        self.topics: Mapping[str, Topic] = MappingProxyType({t.id: t for t in topics})
        self.language = language
        self.out_of_scope = out_of_scope
        entries = self.topics[GLOSSARY_TOPIC].terms
        self.glossary = Glossary(entries, language.definition_patterns)
        corpus = [text for t in topics for text in (t.title, t.answer, *t.questions, *t.keywords)]
        corpus += [f"{e.term} {e.expansion} {e.meaning}" for e in entries]
        self.reader = Reader(language, entries, corpus)
        self.index = trained_index(topics, self.reader, language.tuning.regularisation, not_guidance)

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError when there is none."""
        return self.topics[topic_id]

    def _pairs(self, topic_ids: tuple[str, ...] | list[str]) -> tuple[tuple[str, str], ...]:
        return tuple((t, self.topics[t].title) for t in topic_ids)

    def topic_answer(self, topic_id: str) -> Answer:
        """A topic's guidance as a sure Answer, for a topic picked by button rather than by a question."""
        return self._topic_answer(self.topic(topic_id), 1.0)

    def _topic_answer(self, topic: Topic, confidence: float, *, first_related: str | None = None) -> Answer:
        related = list(topic.related)
        if first_related is not None and first_related != topic.id:
            related = [first_related, *(r for r in related if r != first_related)]
        return Answer(
            topic=topic.id,
            title=topic.title,
            confidence=round(confidence, 3),
            sure=True,
            emergency=topic.id == EMERGENCY_TOPIC,
            text=topic.answer,
            related=self._pairs(related),
            links=tuple((link.label, link.url) for link in topic.links),
        )

    def _glossary_answer(self, entry: GlossaryEntry) -> Answer:
        glossary = self.topics[GLOSSARY_TOPIC]
        related = [entry.topic] if entry.topic else list(glossary.related)
        source = self.topics[entry.topic] if entry.topic else glossary
        return Answer(
            topic=GLOSSARY_TOPIC,
            title=f"{entry.term}: {entry.expansion}",
            confidence=1.0,
            sure=True,
            emergency=False,
            text=f"**{entry.term}** means {entry.expansion}. {entry.meaning}",
            term=entry.term,
            related=self._pairs(related),
            links=tuple((link.label, link.url) for link in source.links),
        )

    def _confident(self, text: str, ranking: Ranking) -> Match | None:
        """The best match if it clears the threshold; a higher bar for vague or off-topic text.

        Nothing is confident when the classifier puts the text with the questions
        no topic answers. Below high_score the text must use a word of the field
        and not look off-topic, and a short text with little evidence must point clearly at
        one topic ("chronology template" does; "help with a case please" does not).
        """
        tuning = self.language.tuning
        best = ranking.best
        if best is None or best.score < tuning.sure_threshold or ranking.outside:
            return None
        if best.score >= tuning.high_score:
            return best
        if not ranking.on_topic or self.out_of_scope.matching(text):
            return None
        runner_up = ranking.matches[1].score if len(ranking.matches) > 1 else 0.0
        if ranking.evidence < tuning.min_evidence and best.score - runner_up < tuning.clear_margin:
            return None
        return best

    def answer(self, text: str, *, in_danger: bool | None = None) -> Answer:
        """The guidance for one message; see the module docstring for the order of checks.

        ``in_danger`` is the emergency verdict when the caller has already run
        ``emergency.detect`` on this very text (the bot does, once per turn, before
        anything else); None means detect here. A message that mentions harm but
        is not an emergency gets ``reminder`` set, unless the answer already says
        to call 999.
        """
        if in_danger is None:
            in_danger = emergency.detect(text)
        found = self._answer(text, in_danger)
        if not found.emergency and "999" not in found.text and emergency.mentions_harm(text):
            return replace(found, reminder=self.language.messages["danger_reminder"])
        return found

    def _answer(self, text: str, in_danger: bool) -> Answer:
        ranking = self.index.rank(text)
        best = self._confident(text, ranking)
        if in_danger:
            # Whatever else was asked becomes the first follow-up, after the 999 guidance.
            other = best.topic if best is not None else None
            return self._topic_answer(self.topics[EMERGENCY_TOPIC], 1.0, first_related=other)
        entry = self.glossary.asked_about(self.reader.spelled(text))
        if entry is not None:
            return self._glossary_answer(entry)
        if best is not None:
            return self._topic_answer(self.topics[best.topic], best.score)
        tuning = self.language.tuning
        outside = ranking.outside or not ranking.on_topic or bool(self.out_of_scope.matching(text))
        # Suggestions only when plausibly related: never for an off-topic question.
        nearest = [] if outside else [m.topic for m in ranking.matches if m.score >= tuning.nearest_minimum]
        nearest = nearest[: tuning.nearest_count]
        return Answer(
            topic=None,
            title="Not sure",
            confidence=round(ranking.best.score, 3) if ranking.best else 0.0,
            sure=False,
            emergency=False,
            text=self.language.messages["not_sure" if nearest and not outside else "no_match"],
            nearest=self._pairs(nearest),
        )

    def overdue(self, today: date) -> list[Topic]:
        """Topics whose review date has passed (a warning for editors, never a start-up failure)."""
        return [t for t in self.topics.values() if t.review < today]


def load_knowledge_base(
    partnership: Partnership,
    content_dir: Path | None = None,
    *,
    language_file: Path = LANGUAGE_FILE,
    out_of_scope_file: Path = OUT_OF_SCOPE_FILE,
    not_guidance_file: Path = NOT_GUIDANCE_FILE,
) -> KnowledgeBase:
    """Load and check every topic and the language and cue data; ContentError names file and line.

    The emergency and screening cue files are read here too, and the support texts
    filled with the partnership's contacts, so a broken file or a missing contact
    stops start-up rather than the first message that needs it.
    """
    emergency.emergency_cues()
    screening.disclosure_cues()
    for kind in screening.self_disclosure_cues().support:  # every contact the support texts use is set
        screening.support_message(kind, partnership.contacts)
    topics = load_topics(content_dir or CONTENT_DIR, partnership.contacts)
    return KnowledgeBase(
        topics, load_language(language_file), load_cues(out_of_scope_file), load_examples(not_guidance_file)
    )
