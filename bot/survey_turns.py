"""The questionnaire in chat: the survey window, the engine step, saving progress, submitting.

Each turn reads the person's survey document ``{"person", "wave", "progress"}``
(kept sealed under the wave key, under a keyed hash of the person:
storage.survey_state) with its e_tag, runs one pure engine step,
and writes it back only if nobody else wrote in between (another replica, or
a double-tap); on a lost race the step is simply run again on the fresh
document. Replies are sent only after the write, so nobody is told something
that was not saved.

Every turn is idempotent: the write records the activity (its key in
``bot.deliveries.Delivery``) in the same transaction, so the same activity
delivered again, at once or later, on any replica, is told where the person
is and changes nothing. A typed answer sent before the item now on screen
was shown is not applied to it (the engine compares the two times).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from botbuilder.schema import Activity

from bot import cards, questions, wording
from bot.deliveries import Delivery
from bot.reminders import note_quiet_day
from bot.replies import Replies
from bot.workers import LARGE_TEXT
from guidance.screening import screen
from storage import processed, submissions, survey_state
from storage.errors import ETagConflict, WaveKeyGone
from storage.processed import AlreadyProcessed
from storage.waves import Wave, latest_wave, open_waves
from surveys import engine
from surveys import wording as survey_wording
from surveys.audience import may_take
from surveys.matching import normalise
from surveys.model import Definition
from surveys.turns import Progress, Said, Step

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

Guidance = Callable[[str], Awaitable[Replies | None]]
ACTIVE = frozenset({"in_progress", "confirming", "restarting"})
ATTEMPTS = 3  # lost write races before giving up (each loss means another turn just wrote)


@dataclass(frozen=True)
class Saved:
    """A person's survey document as read, with the e_tag to write it back."""

    key: str
    person: str
    wave: int
    progress: Progress
    e_tag: str | None
    sealer: survey_state.Sealer | None = None  # the one that opened it, to seal it again unasked

    @property
    def status(self) -> str:
        return self.progress.status


@dataclass(frozen=True)
class Offer:
    """An open wave a person may answer, its questionnaire, and their document in it (if started)."""

    wave: Wave
    definition: Definition
    saved: Saved | None = None


@dataclass
class Offers:
    """What a person is offered today, and why there may be nothing."""

    open: list[Offer] = field(default_factory=list)
    submitted: bool = False  # they have answered an open wave
    unavailable: bool = False  # an open wave's questionnaire (at its version) is not loaded

    def pick(self, wave: int | None, resume: bool) -> Offer | None:
        """The offer to begin: the chosen wave's; the only one; the only one started when resuming."""
        if wave is not None:
            return next((offer for offer in self.open if offer.wave.id == wave), None)
        if len(self.open) == 1:
            return self.open[0]
        started = [offer for offer in self.open if offer.saved is not None]
        return started[0] if resume and len(started) == 1 else None


def _choice(offers: list[Offer]) -> Activity:
    """Which questionnaire? A numbered list (a number or a title can be typed) and a button for each."""
    lines = [
        wording.CHOICE_LINE.format(
            number=number,
            title=offer.definition.title,
            closes=wording.day(offer.wave.closes),
            state=wording.CHOICE_STARTED if offer.saved is not None else "",
        )
        for number, offer in enumerate(offers, 1)
    ]
    text = "\n\n".join([wording.WHICH_QUESTIONNAIRE, *lines])
    buttons = [
        (
            (wording.RESUME_BUTTON if offer.saved is not None else wording.START_BUTTON).format(
                title=offer.definition.title
            ),
            {"action": "start", "wave": offer.wave.id},
        )
        for offer in offers
    ]
    return cards.card_activity(cards.offer_card(text, buttons), summary=wording.WHICH_QUESTIONNAIRE)


class SurveyTurns:
    """Starting, answering and submitting the questionnaire for one person at a time."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- reading and writing the survey document --

    async def load_all(self, person: str) -> list[Saved]:
        """The person's survey documents in open waves (one per wave), opened, by wave id."""
        opened = await survey_state.read_surveys(
            self.services.db, self.services.settings.secret_bytes(), person
        )
        return [
            Saved(
                one.key,
                person,
                one.wave_id,
                Progress.from_json(one.content["progress"]),
                one.document.get("e_tag"),
                one.sealer,
            )
            for one in opened
        ]

    async def load(self, person: str, wave: int | None = None) -> Saved | None:
        """The person's document in ``wave``; without one, the survey they are in: the one under way
        (at most one is, starting another pauses it), else the latest paused."""
        documents = await self.load_all(person)
        if wave is not None:
            return next((one for one in documents if one.wave == wave), None)
        under_way = [one for one in documents if one.status in ACTIVE or one.status == "submitting"]
        if under_way:
            return under_way[-1]
        return documents[-1] if documents else None

    async def _save(self, saved: Saved, progress: Progress, turn: str | None = None) -> None:
        """Write the document back sealed; ``turn`` (an activity's record key) is recorded with it.

        A document just read is sealed again with the keys that opened it (no
        second read); a new one finds its wave's key first.
        """
        content = {"person": saved.person, "wave": saved.wave, "progress": progress.to_json()}
        one = saved.sealer or await survey_state.sealer_for(
            self.services.db, self.services.settings.secret_bytes(), saved.wave, saved.person
        )
        await self.services.state.write(
            {one.key: {**one.seal(content), "e_tag": saved.e_tag}}, processed=turn
        )

    def definition(self, progress: Progress) -> Definition | None:
        """The definition a progress was made with; None when it has changed since (new version)."""
        definition = self.services.definitions.get(progress.questionnaire)
        return definition if definition is not None and definition.version == progress.version else None

    # -- starting --

    async def offers(self, person: str, documents: list[Saved] | None = None) -> Offers:
        """The open waves this person may answer and has not (each with their document, if any)."""
        if documents is None:
            documents = await self.load_all(person)
        mine = {one.wave: one for one in documents}
        found = Offers()
        for wave in await open_waves(self.services.db, self._today()):
            definition = self.services.definitions.get(wave.questionnaire)
            if definition is None or definition.version != wave.version:
                log.error(
                    "wave %s needs %s v%s, which is not loaded", wave.id, wave.questionnaire, wave.version
                )
                found.unavailable = True
                continue
            if not may_take(definition, wave.boards, self.services.partnership, person):
                continue
            saved = mine.get(wave.id)
            if saved is None and await self._has_submitted(wave, person):
                found.submitted = True
                continue
            found.open.append(Offer(wave, definition, saved))
        return found

    async def start(
        self,
        person: str,
        delivery: Delivery | None = None,
        *,
        wave: int | None = None,
        resume: bool = False,
    ) -> Replies:
        """Start (or pick up) a questionnaire this person may answer in an open wave.

        ``wave``: the one they chose. Otherwise the only one on offer; with
        several, the only one they have started when ``resume``; else they are
        asked which.
        """
        delivery = delivery or Delivery()
        documents = await self.load_all(person)
        waiting = next((one for one in documents if one.status == "submitting"), None)
        if waiting is not None:
            return await self._submit(waiting)
        offers = await self.offers(person, documents)
        offered = {offer.wave.id for offer in offers.open}
        stale = [one.key for one in documents if one.wave not in offered]
        if stale:  # their wave has ended (or is no longer theirs): nothing there can be answered
            await self.services.state.delete(stale)
        chosen = offers.pick(wave, resume)
        if chosen is not None:
            return await self._begin(person, chosen, len(offers.open), documents, delivery)
        if len(offers.open) > 1 and wave is None:
            return Replies().add(_choice(offers.open))
        if offers.submitted:
            return Replies().add(cards.text_activity(survey_wording.ALREADY_SUBMITTED))
        if offers.unavailable:
            return Replies().add(cards.text_activity(wording.SURVEY_UNAVAILABLE))
        if wave is not None:
            return Replies().add(wording.offer(wording.NOT_ON_OFFER, start=True))
        return Replies().add(cards.text_activity(await self._window_message()))

    async def _begin(
        self, person: str, offer: Offer, choices: int, documents: list[Saved], delivery: Delivery
    ) -> Replies:
        """Resume or start ``offer``'s questionnaire, pausing any other under way first."""
        for other in documents:
            if other.wave != offer.wave.id and other.status in ACTIVE:
                await self._save(other, replace(other.progress, status="paused"))
        title = offer.definition.title
        if offer.saved is not None:
            resume = Said(value={"command": "resume"}, sent_at=delivery.sent_at)
            replies = await self.step(person, resume, saved=offer.saved, delivery=delivery)
            if choices == 1:
                return replies
            return Replies().add(cards.text_activity(wording.BACK_TO.format(title=title))).extend(replies)
        definition = offer.definition
        begin = Said(value={"command": "start"})
        step = engine.advance(definition, engine.start(definition), begin, now=delivery.shown_at())
        fresh = Saved("", person, offer.wave.id, step.progress, None)  # _save finds its key
        try:
            await self._save(fresh, step.progress, delivery.key)
        except AlreadyProcessed:
            return await self.again(person)
        starting = Replies().add(cards.text_activity(wording.STARTING.format(title=title)))
        return starting.extend(self._render(definition, step, None, Said()))

    async def choice(self, person: str, text: str) -> Offer | None:
        """The questionnaire a typed word picks when several are on offer: its number in the list,
        its title or its id ("2", "impact assessment"); None when it names none of them."""
        word = normalise(text)
        names = {normalise(d.title) for d in self.services.definitions.values()}
        names |= {normalise(d.id.replace("-", " ")) for d in self.services.definitions.values()}
        if not (word.isdigit() or word in names):
            return None  # no database read for every guidance question
        offers = (await self.offers(person)).open
        if len(offers) < 2:
            return None
        for number, offer in enumerate(offers, 1):
            definition = offer.definition
            if word in (str(number), normalise(definition.title), normalise(definition.id.replace("-", " "))):
                return offer
        return None

    def _today(self) -> date:
        return self.services.clock().date()

    async def _has_submitted(self, wave: Wave, person: str) -> bool:
        try:
            return await submissions.has_submitted(self.services.db, wave.id, person, self.services.settings)
        except WaveKeyGone:
            return False

    async def _window_message(self) -> str:
        """Why there is nothing to answer today: not open yet, or closed (with the dates)."""
        questionnaire = self.services.partnership.default_questionnaire
        latest = await latest_wave(self.services.db, questionnaire)
        today = self._today()
        if latest is not None and latest.opens > today:
            return wording.OPENS_ON.format(date=wording.day(latest.opens))
        if latest is not None:
            return wording.CLOSED_ON.format(date=wording.day(min(latest.closes, today)))
        return wording.NO_SURVEY

    # -- one step --

    async def _screening(self, said: Said) -> engine.Screen:
        """The screening of free-text answers, its verdicts on long texts worked out off the event loop.

        The handler has run emergency detection on what was said; only disclosures are left. A long
        text (a free-text answer may be thousands of characters) is screened in a worker process
        before the engine runs; the engine then reads the verdict, and screens anything else itself.
        """
        answer = said.value.get("answer") if said.value else None
        written = (said.text or "", answer if isinstance(answer, str) else "")
        long = tuple(dict.fromkeys(text.strip() for text in written if len(text.strip()) >= LARGE_TEXT))
        if not long:
            return partial(screen, in_danger=False)
        verdicts = await self.services.workers.on_text(sum(map(len, long)), questions.disclosures, long)
        return lambda text: verdicts[text] if text in verdicts else screen(text, in_danger=False)

    async def step(
        self,
        person: str,
        said: Said,
        *,
        reply_to: str | None = None,
        on_no_match: Guidance | None = None,
        saved: Saved | None = None,
        delivery: Delivery | None = None,
    ) -> Replies:
        """Run the engine on what was said and save the result; retried on a lost write race.

        ``saved`` is the document the caller has just read (saves a read); a
        retry always reads afresh. When typed text fits no answer (outcome
        "no_match"), ``on_no_match`` may answer it as a question; if it does,
        the item is asked again without the "didn't recognise" note.
        ``delivery`` is the activity this step answers: recorded with the
        write, and a repeat of it is told where the person is instead.
        """
        delivery = delivery or Delivery()
        wave = saved.wave if saved is not None else None  # a retry reads the same wave's document
        screen_text = await self._screening(said)
        for attempt in range(ATTEMPTS):
            if attempt and delivery.key and await processed.seen(self.services.db, delivery.key):
                return await self.again(person)  # the race was lost to this very activity
            if attempt or saved is None:
                saved = await self.load(person, wave)
            if saved is None:
                return Replies().add(wording.offer(wording.NOTHING_IN_PROGRESS, start=True))
            if saved.status == "submitting":
                return await self._submit(saved)
            definition = self.definition(saved.progress)
            if definition is None:
                await self.services.state.delete([saved.key])
                return Replies().add(wording.offer(wording.QUESTIONNAIRE_CHANGED, start=True))
            step = engine.advance(
                definition,
                saved.progress,
                said,
                screen=screen_text,
                now=delivery.shown_at(),
            )
            if step.submission is not None:
                response_id = saved.progress.response_id or secrets.token_urlsafe(24)
                progress = replace(step.progress, response_id=response_id)
            else:
                progress = step.progress
            try:
                if progress != saved.progress or delivery.key:
                    await self._save(saved, progress, delivery.key)
            except ETagConflict:
                log.info("survey write lost a race (attempt %d); reading again", attempt + 1)
                continue
            except AlreadyProcessed:
                return await self.again(person)
            if step.outcome in ("paused", "resumed"):  # no survey reminder today (bot.reminders)
                await note_quiet_day(
                    self.services.db, self.services.settings.secret_bytes(), saved.wave, person, self._today()
                )
            if step.submission is not None:
                replies = Replies()
                self._update_card(replies, definition, step, reply_to, said)
                return replies.extend(await self._submit(replace(saved, progress=progress, e_tag=None)))
            if step.outcome == "no_match" and said.text and on_no_match is not None:
                answered = await on_no_match(said.text)
                if answered is not None:
                    prompts = tuple(replace(prompt, note=None) for prompt in step.replies)
                    return answered.extend(
                        self._render(definition, replace(step, replies=prompts), reply_to, said)
                    )
            return self._render(definition, step, reply_to, said)
        raise ETagConflict(survey_state.SURVEY_PREFIX)  # never the person's key in a message

    async def where(self, person: str, intro: str = wording.BACK_TO_SURVEY) -> Replies:
        """The current item (or summary) again, unchanged: after an emergency message or an answer."""
        saved = await self.load(person)
        if saved is None or saved.status not in ACTIVE:
            return Replies()
        definition = self.definition(saved.progress)
        if definition is None:
            return Replies()
        step = engine.advance(definition, saved.progress, Said(value={"command": "resume"}))
        prompts = [p for p in step.replies if p.text != survey_wording.RESUMED]
        return Replies().add(cards.text_activity(intro), *(cards.prompt_activity(p) for p in prompts))

    async def again(self, person: str) -> Replies:
        """The answer to an activity already acted on: where the person is now, changing nothing.

        Replies are not stored to be sent again (they echo answers, which must
        not be kept anywhere else); the current item, the summary, or "your
        answers are in" is what someone whose reply was lost needs to see.
        """
        saved = await self.load(person)
        if saved is None:
            return await self.after_submitting(person) or Replies()
        if saved.status == "submitting":  # finish what the first delivery started (idempotent)
            return await self._submit(saved)
        definition = self.definition(saved.progress)
        if saved.status == "paused" and definition is not None:  # the paused offer, nothing changed
            step = engine.advance(definition, saved.progress, Said())
            return Replies().add(*(cards.prompt_activity(prompt) for prompt in step.replies))
        return await self.where(person, wording.REPEATED)

    async def after_submitting(self, person: str) -> Replies | None:
        """ "Your answers are in" when this person has submitted in an open wave and has nothing
        else on offer, else None.

        Asked of the waves' tokens (a keyed hash of person and wave), so nothing
        about the submission is kept on the person's side to answer it.
        """
        offers = await self.offers(person)
        if not offers.submitted or offers.open:
            return None
        return Replies().add(cards.text_activity(wording.ANSWERS_IN))

    def _update_card(
        self, replies: Replies, definition: Definition, step: Step, reply_to: str | None, said: Said
    ) -> None:
        """Replace the pressed card: with its answer once answered, or retired when it was out of date."""
        if not reply_to:
            return
        if step.answered is not None:
            item_id, shown = step.answered
            replies.replace(reply_to, cards.answered_card(definition.item(item_id).text, shown))
            return
        if step.submission is not None:  # the summary card: no Submit button left to press again
            replies.replace(reply_to, cards.answered_card(definition.title, wording.SUBMITTED_MARK))
            return
        pressed = str(said.value.get("item")) if said.value else ""
        if pressed not in {item.id for item in definition.items}:
            return
        question = definition.item(pressed).text
        if step.outcome == "skipped":
            replies.replace(reply_to, cards.answered_card(question, wording.SKIPPED_MARK))
        elif step.outcome == "stale":
            replies.replace(reply_to, cards.retired_card(question))

    def _render(self, definition: Definition, step: Step, reply_to: str | None, said: Said) -> Replies:
        replies = Replies()
        self._update_card(replies, definition, step, reply_to, said)
        return replies.add(*(cards.prompt_activity(prompt) for prompt in step.replies))

    # -- submitting --

    async def _submit(self, saved: Saved) -> Replies:
        """Store the confirmed response (idempotent: safe again after any failure) and say so."""
        outcome = await submissions.submit(
            self.services.db, saved.key, self.services.settings, today=self._today()
        )
        if outcome.kind == "stored" or (outcome.kind == "already_submitted" and outcome.kept):
            definition = self.services.definitions.get(saved.progress.questionnaire)
            thanks = definition.done_message if definition else wording.THANKS
            return Replies().add(cards.text_activity(thanks))
        if outcome.kind == "already_submitted":
            return Replies().add(cards.text_activity(survey_wording.ALREADY_SUBMITTED))
        if outcome.kind == "wave_closed":
            await self.services.state.delete([saved.key])
            return Replies().add(cards.text_activity(wording.CLOSED_BEFORE_SUBMIT))
        return Replies().add(wording.offer(wording.NOTHING_IN_PROGRESS, start=True))

    async def pause_after_error(self, person: str) -> None:
        """After a failed turn: park the survey at its current item so the next message offers Resume."""
        saved = await self.load(person)
        if saved is not None and saved.status in ACTIVE:
            await self._save(replace(saved, e_tag=None), replace(saved.progress, status="paused"))
