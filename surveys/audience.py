"""Who the bot offers a questionnaire's wave to: everyone, or only the agency leads of its boards.

A definition says ``offered_to: everyone`` (the practitioner questionnaire) or
``offered_to: agency_leads`` (an agency's return, such as the impact
assessment). Leads are recognised by their Teams account in the partnership
file, and a lead is offered a wave of a board they lead in (a wave with no
board recorded belongs to every board). Only the offer depends on this:
nothing about who is offered what is stored.
"""

from __future__ import annotations

from collections.abc import Collection

from common.partnership import Partnership
from surveys.model import Definition

EVERYONE = "everyone"
AGENCY_LEADS = "agency_leads"
OFFERED_TO = (EVERYONE, AGENCY_LEADS)


def may_take(definition: Definition, boards: Collection[str], partnership: Partnership, person: str) -> bool:
    """Whether ``person`` is offered a wave of ``definition`` that belongs to ``boards``."""
    if definition.offered_to == EVERYONE:
        return True
    if partnership.lead_agency(person) is None:
        return False
    if not boards or not partnership.boards:
        return True
    return bool(partnership.boards_led_by(person) & set(boards))
