"""An agency lead sends the agency's summary of its findings back to the board, from the results card.

The card (bot.proactive.summary_card) carries the wave and the agency; only a
lead of that agency named in the partnership file may send it, for an agency
taking part in that wave. The text is the agency's statement, screened for
service users' details like its self-assessment (assessments.screening), and
kept with the agency's return (storage.agency_summaries); the partnership
report shows it. Nothing about who pressed the button is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botbuilder.schema import Activity

from assessments.screening import screen
from bot import cards, identity
from bot.proactive import SUMMARY_INPUT
from bot.replies import Replies
from common.partnership import lead_matches
from storage.agency_summaries import save_summary
from storage.waves import get_wave, wave_agencies

if TYPE_CHECKING:
    from bot.services import Services

PRIVATE = "Your agency's summary is sent from the results card in your personal chat with me."
NOT_THE_LEAD = "Only the agency's lead named in the partnership's settings can send its summary to the board."
NOT_IN_WAVE = "That results card is out of date, so I've not kept the summary."
EMPTY = "Please write your agency's summary in the box on the card, then press the button again."
THANKS = (
    "Thank you: {agency}'s summary of the findings is with the board. It appears in the partnership "
    "report; sending another from the card replaces it."
)


def _text(text: str) -> Replies:
    return Replies().add(cards.text_activity(text))


class AgencySummaryTurns:
    """Keeping an agency's summary sent from its lead's results card."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def submit(self, activity: Activity, value: Mapping[str, Any]) -> Replies:
        """The card's button: check who and what, screen the text, keep it (replacing an earlier one)."""
        if identity.conversation_kind(activity) != identity.PERSONAL:
            return _text(PRIVATE)
        agency = str(value.get("agency") or "")
        person = identity.person_id(activity)
        leads = self.services.partnership.agency_leads
        if not any(lead.agency == agency and lead_matches(lead, person) for lead in leads):
            return _text(NOT_THE_LEAD)
        wave_id = value.get("wave")
        wave = await get_wave(self.services.db, wave_id) if isinstance(wave_id, int) else None
        if (
            wave is None
            or wave.demo
            or agency not in {c for c, _, _ in await wave_agencies(self.services.db, wave.id)}
        ):
            return _text(NOT_IN_WAVE)
        text = screen(value.get(SUMMARY_INPUT))
        if not text:
            return _text(EMPTY)
        month = f"{self.services.clock():%Y-%m}"
        await save_summary(self.services.db, wave.id, agency, text, month)
        name = next((a.name for a in self.services.partnership.agencies if a.code == agency), agency)
        return _text(THANKS.format(agency=name))
