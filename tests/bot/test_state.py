"""The botbuilder Storage over the database: items round-trip, stale e_tags lose, BotState can use it."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import ConversationState, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.state import BotStateStorage
from storage.database import Database
from storage.errors import ETagConflict
from storage.state import StateStore


@pytest.fixture
def storage(db: Database) -> BotStateStorage:
    return BotStateStorage(StateStore(db))


async def test_items_round_trip_with_an_e_tag(storage: BotStateStorage) -> None:
    assert await storage.read(["survey/nobody"]) == {}
    await storage.write({"survey/a": {"person": "a", "progress": {"status": "in_progress"}}})
    found = await storage.read(["survey/a", "survey/b"])
    assert list(found) == ["survey/a"]
    assert found["survey/a"]["progress"] == {"status": "in_progress"}
    assert found["survey/a"]["e_tag"]
    await storage.delete(["survey/a"])
    assert await storage.read(["survey/a"]) == {}


async def test_a_write_with_a_stale_e_tag_loses_and_changes_nothing(storage: BotStateStorage) -> None:
    await storage.write({"k": {"n": 1}})
    first = (await storage.read(["k"]))["k"]
    await storage.write({"k": {**first, "n": 2}})
    with pytest.raises(ETagConflict):
        await storage.write({"k": {**first, "n": 3}})  # read before the second write: stale
    assert (await storage.read(["k"]))["k"]["n"] == 2
    await storage.write({"k": {"n": 4, "e_tag": "*"}})  # "*" writes unconditionally
    assert (await storage.read(["k"]))["k"]["n"] == 4


async def test_concurrent_writers_with_the_same_e_tag_one_wins(storage: BotStateStorage) -> None:
    await storage.write({"k": {"n": 0}})
    seen = (await storage.read(["k"]))["k"]
    results = await asyncio.gather(
        *(storage.write({"k": {**seen, "n": n}}) for n in range(1, 6)), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, ETagConflict) for r in results if r is not None)


async def test_store_items_are_accepted_like_dicts(storage: BotStateStorage) -> None:
    await storage.write({"k": StoreItem(n=5, e_tag=None)})
    assert (await storage.read(["k"]))["k"]["n"] == 5


async def test_botbuilder_conversation_state_persists_through_it(storage: BotStateStorage) -> None:
    activity = Activity(
        type="message",
        channel_id="test",
        conversation=ConversationAccount(id="conversation-1"),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
        text="hi",
    )
    for _ in range(2):  # two turns, each with a fresh state object: the count lives only in the database
        state = ConversationState(storage)
        counter = state.create_property("count")
        context = TurnContext(TestAdapter(), activity)
        await state.load(context)
        await counter.set(context, (await counter.get(context, lambda: 0)) + 1)
        await state.save_changes(context)
    context = TurnContext(TestAdapter(), activity)
    state = ConversationState(storage)
    await state.load(context)
    assert await state.create_property("count").get(context, lambda: 0) == 2
