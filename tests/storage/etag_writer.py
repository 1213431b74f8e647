"""A second OS process for the e_tag race: read an item, wait for the other writer, write it back."""

from __future__ import annotations

import asyncio
from typing import Any

from storage.database import Database
from storage.errors import ETagConflict
from storage.state import StateItem, StateStore


async def _race(url: str, key: str, name: str, barrier: Any) -> str:
    db = await Database.open(url)
    try:
        store = StateStore(db)
        item = (await store.read([key]))[key]
        # Both processes hold the same e_tag before either writes.
        await asyncio.to_thread(barrier.wait, 30)
        try:
            await store.write({key: StateItem({**item.document, "writer": name}, item.e_tag)})
        except ETagConflict:
            return "conflict"
        return "written"
    finally:
        await db.close()


def race(url: str, key: str, name: str, barrier: Any, results: Any) -> None:
    """Process entry point: puts (name, "written" | "conflict" | error text) on ``results``."""
    try:
        results.put((name, asyncio.run(_race(url, key, name, barrier))))
    except Exception as exc:  # reported to the parent test, which fails with it
        results.put((name, f"error: {exc!r}"))
