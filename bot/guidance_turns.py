"""Guidance in chat: answers, "not sure" with the nearest topics, feedback, and asking the experts.

Nothing here keeps who asked alongside what was asked: the guidance log keeps
a question's words only when it is a plain question with nothing personal in
it (storage.guidance_log), and an expert question is kept with a random
handle; the way back to the asker is sealed apart and deleted on delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botbuilder.schema import Activity

from bot import cards, identity, questions, wording
from bot.proactive import ProactiveSender
from bot.replies import Replies
from guidance.knowledge import KnowledgeBase
from guidance.model import EMERGENCY_TOPIC, Answer
from storage import conversations, experts, guidance_log
from storage.database import Database
from storage.errors import StorageError
from surveys.replies import reads_as_question

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

EMERGENCY_NOT_KEPT = "(emergency message: words not kept)"


def _number(value: Any) -> int:
    """A question number from a card's data; 0 (no such question) when it is not one."""
    text = str(value).strip()
    return int(text) if text.isdigit() else 0


class GuidanceTurns:
    """Answers from the knowledge base, and the route to a person when it is not enough."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.knowledge

    # -- answering --

    def _answer_card(self, answer: Answer, question: str) -> Activity:
        content = cards.answer_card(answer, question)
        return cards.card_activity(content, summary=answer.title, urgent=answer.emergency)

    async def emergency(self, text: str) -> Replies:
        """The immediate-danger guidance, first, whatever else the message says (no database needed).

        Called only when the turn's emergency detection has flagged ``text``.
        """
        answer = await self.services.workers.with_knowledge(len(text), questions.emergency_answer, text)
        if not answer.emergency:  # detection and the knowledge base disagree: never leave it unsaid
            fallback = cards.card([cards.attention(wording.EMERGENCY_FALLBACK)], wording.EMERGENCY_FALLBACK)
            return Replies().add(cards.card_activity(fallback, urgent=True))
        return Replies().add(self._answer_card(answer, EMERGENCY_NOT_KEPT))

    async def count_emergency(self) -> None:
        """Count that the emergency guidance was given; the words of a disclosure are never kept."""
        try:
            await guidance_log.record_question(self.services.db, None, EMERGENCY_TOPIC, 1.0, True)
        except StorageError:
            log.warning("could not count an emergency answer: the database is unavailable")

    async def question(self, text: str, *, once: str | None = None) -> Replies:
        """Answer a question; below the confidence threshold, say so and offer topics and a person.

        The turn has already found ``text`` is not an emergency (detection runs once per turn);
        ranking runs off the event loop (a worker process for a long question) so it holds up nobody.
        ``once``: the asking activity's record key (bot.deliveries); the question is answered
        every time it arrives but logged only the first time, in one transaction with the record.
        """
        reading = await self.services.workers.with_knowledge(len(text), questions.read_question, text)
        answer = reading.answer
        await guidance_log.record_question(
            self.services.db, reading.logged, answer.topic, answer.confidence, answer.sure, once=once
        )
        if answer.sure:
            return Replies().add(self._answer_card(answer, reading.shown))
        card = cards.not_sure_card(answer.nearest, reading.shown, answer.reminder)
        return Replies().add(cards.card_activity(card, summary="I'm not sure"))

    async def mid_survey(self, text: str) -> Replies | None:
        """Typed text that fits no answer of the item waiting: answered only when it reads as a question.

        Anything else ("kids and famlies", "neglect tool and DASH") is an attempt at an
        answer and gets None, so the item is asked again with its choices; a guidance
        card there would lose the person's place. (Emergencies and disclosures about the
        writer never get this far: the turn handles them first.)
        """
        if not reads_as_question(text):
            return None
        return await self.question(text)

    def topic(self, topic_id: str) -> Replies:
        """A topic picked from a button (related topics, or the nearest ones when not sure)."""
        if topic_id not in self.kb.topics:
            return Replies().add(cards.text_activity(wording.UNKNOWN_TOPIC))
        answer = self.kb.topic_answer(topic_id)
        return Replies().add(self._answer_card(answer, answer.title))

    async def feedback(self, value: Mapping[str, Any]) -> Replies:
        """Helpful / Not helpful, kept with the topic and the redacted question only."""
        topic = str(value.get("topic") or "") or None
        helpful = value.get("helpful") in (True, "true", "True")
        question = questions.shown(value.get("q") or "")
        await guidance_log.record_feedback(self.services.db, topic, helpful, questions.loggable(question))
        if helpful:
            return Replies().add(cards.text_activity(wording.FEEDBACK_THANKS))
        offer = cards.offer_card(
            wording.FEEDBACK_SORRY, [("Ask the safeguarding team", {"action": "expert", "q": question})]
        )
        return Replies().add(cards.card_activity(offer, summary=wording.FEEDBACK_THANKS))

    # -- the experts --

    async def ask_expert(self, activity: Activity, value: Mapping[str, Any]) -> Replies:
        """Pass a question to the safeguarding team: to their channel if the bot is there, else the inbox."""
        question = questions.shown(value.get("q") or "")
        if not question:
            return Replies().add(cards.text_activity(wording.EXPERT_NO_QUESTION))
        settings = self.services.settings
        question_id = await experts.ask(
            self.services.db,
            question,
            identity.reference(activity),
            settings.secret_bytes(),
            keep_days=settings.expert_route_days,
            today=self.services.clock().date(),
        )
        if await self._post_to_team(question_id, question):
            return Replies().add(cards.text_activity(wording.EXPERT_ASKED.format(id=question_id)))
        return Replies().add(cards.text_activity(wording.EXPERT_STORED.format(id=question_id)))

    async def _post_to_team(self, question_id: int, question: str) -> bool:
        channel = self.services.partnership.expert_channel
        sender = self.services.sender
        if not channel or sender is None:
            return False
        key = identity.channel_key(identity.TEAMS, channel)
        stored = await conversations.get_reference(self.services.db, key)
        if stored is None:
            log.warning("the experts' channel is configured but the bot has not been added to it yet")
            return False
        topics = [(topic_id, topic.title) for topic_id, topic in sorted(self.kb.topics.items())]
        card = cards.expert_question_card(question_id, question, topics)
        delivery = await sender.send_card(stored.reference, card, f"Question {question_id} for the team")
        if not delivery.ok:
            log.warning(
                "question %s could not be posted to the experts' channel: %s", question_id, delivery.error
            )
        return delivery.ok

    def _from_expert_channel(self, activity: Activity) -> bool:
        channel = self.services.partnership.expert_channel
        return bool(channel) and identity.conversation_id(activity) == channel

    async def expert_answer(self, activity: Activity, value: Mapping[str, Any]) -> Replies:
        """An expert answered in their channel: record it, send it to the asker, mark the card done."""
        if not self._from_expert_channel(activity):
            return Replies().add(cards.text_activity(wording.EXPERT_ONLY_IN_CHANNEL))
        text = " ".join(str(value.get("answer") or "").split())
        question_id = _number(value.get("id"))
        if not text:
            return Replies().add(cards.text_activity(wording.EXPERT_ANSWER_EMPTY))
        outcome = await answer_expert_question(
            self.services.db,
            self.services.sender,
            question_id,
            text,
            self.services.clock().date(),
            self.services.settings.secret_bytes(),
        )
        replies = Replies().add(cards.text_activity(outcome))
        replies.replace(identity.replied_to(activity), cards.answered_card(f"Question {question_id}", text))
        return replies

    async def expert_suggest(self, activity: Activity, value: Mapping[str, Any]) -> Replies:
        """An expert marked a question as a good sample question for a topic: queue it for review."""
        if not self._from_expert_channel(activity):
            return Replies().add(cards.text_activity(wording.EXPERT_ONLY_IN_CHANNEL))
        topic = str(value.get("topic") or "")
        if topic not in self.kb.topics:
            return Replies().add(cards.text_activity(wording.SUGGESTION_NEEDS_TOPIC))
        question_id = _number(value.get("id"))
        await suggest_sample_question(
            self.services.settings.content_suggestions_file,
            topic,
            questions.shown(value.get("q") or ""),
            question_id,
            self.services.clock(),
        )
        title = self.kb.topic(topic).title
        return Replies().add(
            cards.text_activity(wording.SUGGESTION_SAVED.format(id=question_id, topic=title))
        )


async def answer_expert_question(
    db: Database, sender: ProactiveSender | None, question_id: int, text: str, today: date, secret: bytes
) -> str:
    """Record the experts' answer and send it to the asker's chat; says what happened (for the expert).

    Once delivered, the way back is deleted: nothing then joins the question to anyone.
    """
    try:
        question = await experts.answer(db, question_id, text, today=today)
    except KeyError:
        return wording.EXPERT_UNKNOWN.format(id=question_id)
    route = await experts.route_back(db, question, secret)
    if route is None or sender is None:
        return wording.EXPERT_NOT_DELIVERED.format(id=question_id, reason="their chat is not known")
    card = cards.expert_answer_card(question.question, text)
    delivery = await sender.send_card(route, card, "The safeguarding team answered")
    if not delivery.ok:
        return wording.EXPERT_NOT_DELIVERED.format(id=question_id, reason=delivery.error or "not delivered")
    await experts.forget_route(db, question, secret)
    return wording.EXPERT_ANSWERED.format(id=question_id)


async def suggest_sample_question(
    path: Path, topic: str, question: str, question_id: int, now: datetime
) -> None:
    """Append a suggested sample question to the content owner's review file (one JSON object per line).

    A file, not the content itself: a person decides whether the question goes into the topic.
    """
    line = json.dumps(
        {
            "topic": topic,
            "question": question,
            "expert_question": question_id,
            "suggested": now.astimezone(UTC).date().isoformat(),
        },
        ensure_ascii=False,
    )

    def append() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    await asyncio.to_thread(append)
