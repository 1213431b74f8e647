"""Who a survey wave is for: the people it is offered to, invited and reminded.

Today that is everyone who has the bot installed in a personal chat. Kept in
one place so that a wave with its own audience (say agency leads only) changes
this function and nothing else.
"""

from __future__ import annotations

from storage.conversations import StoredReference, installed_personal
from storage.database import Database
from storage.waves import Wave


async def audience(db: Database, wave: Wave) -> list[StoredReference]:
    """The personal conversations the wave's invitations and reminders go to."""
    return await installed_personal(db)
