"""The self-assessment in chat for agency leads: who may, which round, one pure step, saving progress.

A lead is recognised by the ``teams_user`` of an ``agency_leads`` entry in the
partnership file. Their progress lives in the state document
``assessment/{person}`` (with its e_tag, so a double-tap or another replica
cannot overwrite a newer step); a submitted return goes to the database
through ``storage.assessments``. The rules, the screening of text and what is
shown next are ``assessments.chat``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botbuilder.schema import Activity

from assessments import chat
from assessments.evidence import QuestionnaireEvidence
from assessments.gather import evidence_for
from assessments.loader import load_standard_sets
from assessments.model import ACTION_STATUSES, StandardSet
from assessments.records import from_record, to_record
from assessments.rules import judge
from bot import assessment_cards, cards, identity
from bot.replies import Replies
from storage import assessments as store
from storage.errors import ETagConflict, NotFound

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

START_WORDS = frozenset(
    {"assessment", "self-assessment", "self assessment", "section 11", "start assessment"}
)
ACTION_WORDS = frozenset({"my actions", "assessment actions"})
WORDS = START_WORDS | ACTION_WORDS
PREFIX = "assessment/"
ATTEMPTS = 3

NOT_A_LEAD = (
    "The self-assessment is completed by each agency's lead, named in the partnership's settings. "
    "If that is you, ask the partnership's business unit to add your Teams account."
)
NO_ROUND = "No self-assessment round is open at the moment."
PRIVATE = "The self-assessment is done in a personal chat with me, not in a channel."
NO_ACTIONS = "Your agency's return has no actions to track."


def _text(text: str) -> Replies:
    return Replies().add(cards.text_activity(text))


class AssessmentTurns:
    """Starting, stepping through and submitting an agency's return; updating its actions' status."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.standard_sets: dict[str, StandardSet] = load_standard_sets()

    # -- entry points from the handler --

    async def command(self, activity: Activity, word: str) -> Replies:
        """A typed command word ("assessment", "my actions")."""
        op = "actions" if word in ACTION_WORDS else "start"
        return await self.on_action(activity, {"op": op})

    async def on_action(self, activity: Activity, value: Mapping[str, Any]) -> Replies:
        """A press on an assessment card (``{"action": "assessment", "op": ...}``)."""
        if identity.conversation_kind(activity) != identity.PERSONAL:
            return _text(PRIVATE)
        person = identity.person_id(activity)
        agency = self._agency_of(person)
        if agency is None:
            return _text(NOT_A_LEAD)
        round_ = await store.current_round(self.services.db, self.services.clock().date())
        if round_ is None or round_.standards not in self.standard_sets:
            return _text(NO_ROUND)
        op = str(value.get("op") or "")
        if op == "actions":
            return await self._actions(round_, agency)
        reply_to = identity.replied_to(activity)
        if op == "status":
            return await self._set_status(round_, agency, value, reply_to)
        return await self._step(person, round_, agency, value, reply_to)

    # -- who and what --

    def _agency_of(self, person: str) -> str | None:
        """The agency whose lead this person is, by the Teams id in the partnership file."""
        return self.services.partnership.lead_agency(person)

    async def _evidence(
        self, round_: store.Round, agency: str
    ) -> tuple[QuestionnaireEvidence, chat.Progress]:
        """The agency's questionnaire evidence, and a fresh progress from its stored return if it has one."""
        records = await store.read_returns(self.services.db, round_.id, [agency])
        stored = from_record(records[0]) if records else None
        evidence = await evidence_for(
            self.services.db,
            round_,
            agency,
            self.services.partnership.questionnaire_target,
            stored.alternative if stored else None,
        )
        fresh = chat.Progress(round_.id, agency)
        if stored is not None:
            fresh = chat.Progress(
                round_.id,
                agency,
                status=chat.REVIEWING,
                entries={entry.standard: entry for entry in stored.entries},
                alternative=stored.alternative.description if stored.alternative else "",
            )
        return evidence, fresh

    # -- the step --

    async def _step(
        self, person: str, round_: store.Round, agency: str, value: Mapping[str, Any], reply_to: str | None
    ) -> Replies:
        standards = self.standard_sets[round_.standards]
        evidence, fresh = await self._evidence(round_, agency)
        key = f"{PREFIX}{person}"
        for _ in range(ATTEMPTS):
            found = (await self.services.state.read([key])).get(key)
            progress = chat.Progress.from_json(found["progress"]) if found else fresh
            if (
                progress.round_id != round_.id
                or progress.agency != agency
                or progress.status == chat.SUBMITTED
            ):
                progress = fresh  # a new round, another agency, or submitted: the stored return is the truth
            if value.get("op") in (None, "", "start"):
                step = chat.start(standards, progress, evidence)
            else:
                step = chat.advance(standards, progress, value, evidence, self.services.clock().date())
            try:
                if step.submitted is not None:
                    await store.save_return(self.services.db, to_record(step.submitted))
                document = {
                    "progress": step.progress.to_json(),
                    "e_tag": found.get("e_tag") if found else None,
                }
                await self.services.state.write({key: document})
            except ETagConflict:
                continue  # another turn of this lead's wrote first: run the step on what it left
            replies = Replies().add(assessment_cards.view_activity(step.view))
            pressed = assessment_cards.pressed_card(standards, value, step)
            return replies.replace(reply_to, pressed) if pressed is not None else replies
        raise ETagConflict(key)

    # -- actions --

    async def _actions(self, round_: store.Round, agency: str) -> Replies:
        records = await store.read_returns(self.services.db, round_.id, [agency])
        if not records:
            return _text(NO_ACTIONS)
        returned = from_record(records[0])
        with_actions = [entry for entry in returned.entries if entry.actions.strip()]
        if not with_actions:
            return _text(NO_ACTIONS)
        standards = self.standard_sets[round_.standards]
        evidence, _ = await self._evidence(round_, agency)
        replies = Replies()
        for entry in with_actions:
            standing = judge(standards, entry, evidence).standing
            replies.add(cards.card_activity(assessment_cards.action_card(entry, standing)))
        return replies

    async def _set_status(
        self, round_: store.Round, agency: str, value: Mapping[str, Any], reply_to: str | None
    ) -> Replies:
        status = str(value.get("status") or "")
        standard = str(value.get("standard") or "")
        if status not in ACTION_STATUSES:
            return _text(f"Choose a status: {', '.join(ACTION_STATUSES)}.")
        try:
            await store.set_action_status(
                self.services.db, round_.id, agency, standard, status, self.services.clock().date()
            )
        except NotFound:
            return _text(NO_ACTIONS)
        replies = _text(f"The action for {standard} is now “{status}”.")
        return replies.replace(reply_to, assessment_cards.status_card(standard, status))
