"""Who a survey wave is for: the people it is offered to, invited and reminded.

Everyone who has the bot installed in a personal chat and may take the wave's
questionnaire (surveys.audience: the practitioner questionnaire is for everyone,
the impact-assessment return for the agency leads of the wave's boards). The
same rule decides what the bot offers a person, so nobody is invited or
reminded to answer what they would not be offered.
"""

from __future__ import annotations

from common.partnership import Partnership
from storage.conversations import StoredReference, installed_personal
from storage.database import Database
from storage.waves import Wave
from surveys.audience import may_take
from surveys.loader import load_definitions
from surveys.model import Definition


def questionnaire_of(wave: Wave, partnership: Partnership) -> Definition | None:
    """The questionnaire the wave asks; None if it is no longer defined."""
    return load_definitions(partnership).get(wave.questionnaire)


async def audience(
    db: Database, wave: Wave, definition: Definition, partnership: Partnership
) -> list[StoredReference]:
    """The personal conversations the wave's invitations and reminders go to (``definition``: the
    wave's questionnaire, from :func:`questionnaire_of`, which callers have in hand already)."""
    return [
        ref
        for ref in await installed_personal(db)
        if may_take(definition, wave.boards, partnership, ref.user_id or "")
    ]
