"""Bot state over the database's state store, so no turn state lives in a process.

Items go in and come out as plain dicts with an ``e_tag`` key, the way
botbuilder's own storages hand them to ``BotState`` (its ``Storage`` interface:
read, write, delete), so either SDK host can use it; it needs neither. A write that carries a
stale e_tag raises ``storage.errors.ETagConflict`` (a concurrent turn won);
an item without an e_tag, or with "*", is written unconditionally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.state import StateItem, StateStore

E_TAG = "e_tag"


class BotStateStorage:
    """Bot state backed by ``storage.state.StateStore`` (SQLite or PostgreSQL)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def read(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The items that exist among ``keys``: each document plus its current ``e_tag``."""
        items = await self.store.read(keys)
        return {key: {**item.document, E_TAG: item.e_tag} for key, item in items.items()}

    async def write(self, changes: Mapping[str, Any], *, processed: str | None = None) -> None:
        """Write every change in one transaction; ETagConflict when any e_tag is stale.

        ``processed``: the activity this turn acts on, recorded with the changes
        (AlreadyProcessed when it was already acted on; see storage.processed).
        """
        await self.store.write({key: _item(value) for key, value in changes.items()}, processed=processed)

    async def delete(self, keys: list[str]) -> None:
        await self.store.delete(keys)


def _item(value: Any) -> StateItem:
    """A dict (or a botbuilder StoreItem) as a StateItem, its e_tag taken out of the document."""
    document = dict(value) if isinstance(value, Mapping) else dict(vars(value))
    e_tag = document.pop(E_TAG, None)
    return StateItem(document, e_tag)
