"""The turn handler: who is this, what did they say, which part of the bot answers it.

Order of routing for a message: anything written (typed, or in a card's text
box) that suggests someone is in danger gets the immediate-danger guidance
first, before anything that touches the database (and the survey, if one is
under way, is then asked again); a disclosure of harm to the writer themselves
gets support the same way (bot.support); then a button of the bot's own (start,
ask, topic, feedback, experts); then the survey, if one is under way; then the
words that start it or greet, "help", and short replies ("yes", "not now") to
the bot's own questions; anything else typed is a guidance question.
In a team channel only guidance is given: survey answers there would not be private.

Every turn is idempotent (bot.deliveries): a survey turn records its activity
with the state it writes, a guidance question with its log line, and a turn
with another effect (feedback, a question for the experts) claims its activity
before acting, so a second delivery of the same activity changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot import cards, identity, inbound, questions, reminders, support, wording
from bot.assessment_turns import WORDS as ASSESSMENT_WORDS
from bot.assessment_turns import AssessmentTurns
from bot.deliveries import Deliveries, Delivery
from bot.guidance_turns import GuidanceTurns
from bot.help import load_help
from bot.hosts import Turn
from bot.replies import Replies, deliver
from bot.services import Services
from bot.summary_turns import AgencySummaryTurns
from bot.survey_turns import ACTIVE, SurveyTurns
from storage import conversations
from storage.errors import StorageUnavailable
from surveys.commands import load_words
from surveys.engine import COMMANDS, survey_word
from surveys.matching import normalise
from surveys.replies import short_reply
from surveys.turns import Said

log = logging.getLogger(__name__)

GREETINGS = frozenset(load_words().greetings)
HELP_WORDS = frozenset({"help", "what can you do", "what do you do", "how does this work", "commands"})
ASK_WORDS = frozenset({"ask", "ask a question", "question", "i have a question"})
START = "start"
# Buttons whose effect is not survey state: done once per activity; a repeat is acknowledged.
ONCE = {
    "feedback": wording.FEEDBACK_THANKS,
    "expert": wording.EXPERT_ALREADY_ASKED,
    "expert_answer": wording.ALREADY_RECORDED,
    "expert_suggest": wording.ALREADY_RECORDED,
    "agency_summary": wording.ALREADY_RECORDED,
}


def _typed(activity: Activity) -> str:
    """What the person typed, without an @mention of the bot (channels)."""
    return identity.without_mention(activity).strip()


def _wave_of(value: Mapping[str, Any]) -> int | None:
    """The wave a start button names ({"action": "start", "wave": 7}), if it names one."""
    wave = value.get("wave")
    return wave if isinstance(wave, int) and not isinstance(wave, bool) else None


class SafeguardingBot:
    """The bot's ``on_turn``: thin routing over the survey and guidance turns."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.survey = SurveyTurns(services)
        self.guidance = GuidanceTurns(services)
        self.deliveries = Deliveries(services.db, services.settings.secret_bytes())
        self.assessment = AssessmentTurns(services)
        self.summaries = AgencySummaryTurns(services)

    async def on_turn(self, ctx: Turn) -> None:
        """Route one activity; on any failure log it (no personal data), apologise once, park the survey."""
        activity = ctx.activity
        try:
            if activity.type == ActivityTypes.message:
                await self._on_message(ctx, activity)
            elif activity.type == ActivityTypes.conversation_update:
                await deliver(ctx, await self._conversation_update(activity))
            elif activity.type == ActivityTypes.installation_update:
                await self._installation_update(activity)
            elif activity.type == ActivityTypes.invoke:
                await self._invoke(ctx)
            await self.deliveries.purge_if_due()
        except StorageUnavailable as exc:  # expected while the database is away: a line, not a traceback
            log.warning("turn failed (%s activity): %s", activity.type, exc)
            await self._recover(ctx)
        except Exception:  # the last line of defence for one turn: nobody must be left without a reply
            log.exception("turn failed (%s activity)", activity.type)
            await self._recover(ctx)

    async def _recover(self, ctx: Turn) -> None:
        try:
            await self.survey.pause_after_error(identity.person_id(ctx.activity))
        except StorageUnavailable:
            log.warning("could not park the survey after a failed turn: the database is unavailable")
        except Exception:  # the database may be what failed; the apology still goes out
            log.exception("could not park the survey after a failed turn")
        if ctx.activity.type in (ActivityTypes.message, ActivityTypes.invoke):
            try:
                await ctx.send([cards.text_activity(wording.APOLOGY)])
                if ctx.activity.type == ActivityTypes.invoke:
                    await _answer_invoke(ctx, wording.APOLOGY)
            except Exception:
                log.exception("could not send the apology")

    # -- messages --

    async def _on_message(self, ctx: Turn, activity: Activity) -> None:
        """Someone in danger, or who disclosed harm to themselves, is told what to do before anything
        that could fail; then the rest."""
        value = activity.value if isinstance(activity.value, dict) else {}
        answer = value.get("answer")
        written = answer if value.get("item") and isinstance(answer, str) else ""
        # Typed, and/or written in a card's text box; each checked once, here, off the event loop (in a
        # worker process when long):
        # everything later in the turn is told the verdict instead of detecting again.
        typed = _typed(activity)
        urgent, harmed = await self.services.workers.on_text(
            len(typed) + len(written), questions.screened, (typed, written)
        )
        if urgent is not None:
            await deliver(ctx, await self.guidance.emergency(urgent))
            await self.guidance.count_emergency()
            if identity.conversation_kind(activity) == identity.PERSONAL:
                await deliver(ctx, await self.survey.where(identity.person_id(activity)))
            return
        if harmed is not None:  # about the writer: support, and the words go no further (bot.support)
            await deliver(ctx, Replies().add(support.support(harmed, self.services.partnership.contacts)))
            if identity.conversation_kind(activity) == identity.PERSONAL:
                await deliver(ctx, await self.survey.where(identity.person_id(activity)))
            return
        replies = await self._message(activity)
        if inbound.was_cut(activity):  # capped at the edge: say so before the answer
            replies = Replies().add(cards.text_activity(inbound.CUT_NOTE)).extend(replies)
        await deliver(ctx, replies)

    async def _message(self, activity: Activity) -> Replies:
        delivery = self.deliveries.of(activity)
        value = activity.value if isinstance(activity.value, dict) else None
        if value is not None and value.get("action"):
            return await self._action(activity, value, delivery)
        text = _typed(activity)
        person = identity.person_id(activity)
        personal = identity.conversation_kind(activity) == identity.PERSONAL
        if not personal:
            return await self._in_channel(text, value, delivery)
        said = Said(text=text or None, value=value, sent_at=delivery.sent_at)
        word = normalise(text) if text else ""
        command = COMMANDS.get(word) or (
            str(value.get("command")) if value and value.get("command") else None
        )
        if word in reminders.STOP_WORDS:  # before the survey: "stop" alone would pause it
            return await self._stop_reminders(person, None)
        saved = await self.survey.load(person)
        if saved is not None and (saved.status in ACTIVE or saved.status == "submitting"):
            return await self.survey.step(
                person,
                said,
                reply_to=identity.replied_to(activity),
                on_no_match=self.guidance.mid_survey,
                saved=saved,
                delivery=delivery,
            )
        if word in ASSESSMENT_WORDS:  # agency leads' self-assessment (bot.assessment_turns)
            return await self.assessment.command(activity, word)
        paused = saved is not None and saved.status == "paused"
        if command == START or (paused and command == "resume"):  # checks the survey window first
            return await self.survey.start(person, delivery, resume=command == "resume")
        picked = await self.survey.choice(person, text) if text and not command else None
        if picked is not None:  # "2" or a title typed after "which questionnaire?"
            return await self.survey.start(person, delivery, wave=picked.wave.id)
        reply = short_reply(word)
        if paused and (command or word in GREETINGS or reply):  # "yes" to "would you like to resume?"
            return await self.survey.step(person, said, saved=saved, delivery=delivery)
        to_survey = survey_word(word) or (value is not None and (value.get("item") or command))
        if saved is None and to_survey:  # e.g. "submit" again after the reply to the first was lost
            submitted = await self.survey.after_submitting(person)
            if submitted is not None:
                return submitted
        if value is not None and (value.get("item") or command):
            return Replies().add(wording.offer(wording.STALE_BUTTON, start=True))
        if word in HELP_WORDS:
            return self._help()
        if not text or word in GREETINGS or reply:  # a short reply with no question of ours pending
            return Replies().add(wording.offer(wording.MENU, start=True))
        if word in ASK_WORDS:
            return Replies().add(cards.text_activity(wording.ASK_PROMPT))
        return await self._question(text, delivery)

    def _help(self) -> Replies:
        """What the bot can do, with examples (bot/data/help.yaml)."""
        card = cards.help_card(load_help(), self.services.partnership.short_name)
        return Replies().add(cards.card_activity(card, summary="What I can do"))

    async def _stop_reminders(self, person: str, wave: int | None) -> Replies:
        """Opting out of reminders: a flag, so a repeated delivery changes nothing more."""
        services = self.services
        today = services.clock().date()
        return await reminders.stop(services.db, services.settings.secret_bytes(), person, wave, today)

    async def _question(self, text: str, delivery: Delivery) -> Replies:
        """A guidance question: answered every time it arrives, logged only the first time."""
        return await self.guidance.question(text, once=delivery.key)

    async def _in_channel(self, text: str, value: Mapping[str, Any] | None, delivery: Delivery) -> Replies:
        """In a team channel or group chat: guidance only (a survey answer there would not be private)."""
        word = normalise(text) if text else ""
        if value is not None and not text:
            return Replies().add(cards.text_activity(wording.STALE_BUTTON))
        if COMMANDS.get(word) == START:
            return Replies().add(cards.text_activity(wording.PRIVATE_ONLY))
        if not text or word in GREETINGS or word in HELP_WORDS:
            return Replies().add(
                cards.text_activity(
                    wording.TEAM_GREETING.format(partnership=self.services.partnership.short_name)
                )
            )
        return await self._question(text, delivery)

    async def _action(self, activity: Activity, value: Mapping[str, Any], delivery: Delivery) -> Replies:
        """A button of the bot's own (not a survey answer)."""
        action = str(value.get("action"))
        personal = identity.conversation_kind(activity) == identity.PERSONAL
        if action in ONCE:
            async with self.deliveries.once(delivery) as first:
                if not first:
                    return Replies().add(cards.text_activity(ONCE[action]))
                return await self._act_once(activity, value, action)
        if action == "start":
            if not personal:
                return Replies().add(cards.text_activity(wording.PRIVATE_ONLY))
            return await self.survey.start(identity.person_id(activity), delivery, wave=_wave_of(value))
        if action == "ask":
            return Replies().add(cards.text_activity(wording.ASK_PROMPT))
        if action == reminders.STOP_ACTION and personal:
            wave = value.get("wave")
            return await self._stop_reminders(
                identity.person_id(activity), wave if isinstance(wave, int) and wave > 0 else None
            )
        if action == "assessment":
            return await self.assessment.on_action(activity, value)
        if action == "topic":  # a follow-up mid-survey is answered, then the survey is asked again
            answer = self.guidance.topic(str(value.get("topic") or ""))
            if personal:
                answer.extend(await self.survey.where(identity.person_id(activity)))
            return answer
        return Replies().add(wording.offer(wording.STALE_BUTTON, start=personal))

    async def _act_once(self, activity: Activity, value: Mapping[str, Any], action: str) -> Replies:
        if action == "feedback":
            return await self.guidance.feedback(value)
        if action == "expert":
            return await self.guidance.ask_expert(activity, value)
        if action == "expert_answer":
            return await self.guidance.expert_answer(activity, value)
        if action == "agency_summary":
            return await self.summaries.submit(activity, value)
        return await self.guidance.expert_suggest(activity, value)

    # -- installs --

    async def _conversation_update(self, activity: Activity) -> Replies:
        """Greet when the bot is added (personal install, or added to a team); forget it when removed."""
        key = identity.reference_key(activity)
        if identity.bot_was_removed(activity):
            await conversations.remove_reference(self.services.db, key)
            return Replies()
        if not identity.bot_was_added(activity):
            return Replies()
        await self._remember(activity)
        name = self.services.partnership.short_name
        if identity.conversation_kind(activity) != identity.PERSONAL:
            return Replies().add(wording.offer(wording.TEAM_GREETING.format(partnership=name)))
        person = identity.person_id(activity)
        saved = await self.survey.load(person)
        if saved is not None and saved.status == "paused":
            return Replies().add(wording.offer(wording.GREETING_PAUSED, resume=True))
        if saved is not None and saved.status in ACTIVE:  # the item itself: a "yes" would answer it
            return await self.survey.where(person, wording.GREETING_IN_PROGRESS)
        return Replies().add(wording.offer(wording.GREETING.format(partnership=name), start=True))

    async def _installation_update(self, activity: Activity) -> None:
        """Keep the conversation reference up to date (Teams greets via conversationUpdate)."""
        if (activity.action or "").startswith("remove"):
            await conversations.remove_reference(self.services.db, identity.reference_key(activity))
        else:
            await self._remember(activity)

    async def _remember(self, activity: Activity) -> None:
        personal = identity.conversation_kind(activity) == identity.PERSONAL
        await conversations.save_reference(
            self.services.db,
            identity.reference_key(activity),
            identity.reference(activity),
            "personal" if personal else "channel",
            identity.person_id(activity) if personal else None,
        )

    # -- invokes --

    async def _invoke(self, ctx: Turn) -> None:
        """Universal Actions (``adaptiveCard/action``) are handled like card submissions; every invoke,
        ours or not, is answered 200 so Teams shows no error."""
        activity = ctx.activity
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        ours = isinstance(data, dict) and any(data.get(key) for key in ("action", "item", "command"))
        if activity.name == "adaptiveCard/action" and ours:
            await self._on_message(
                ctx, Activity().deserialize({**activity.serialize(), "type": "message", "value": data})
            )
        await _answer_invoke(ctx, "OK")


async def _answer_invoke(ctx: Turn, text: str) -> None:
    await ctx.answer_invoke(
        {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
    )
