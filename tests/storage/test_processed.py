"""Records of processed activities: written with the state they changed, keyed anonymously, and forgotten."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest

from storage import processed
from storage.database import Database
from storage.migrate import upgrade_async
from storage.processed import AlreadyProcessed, activity_key
from storage.state import StateItem, StateStore
from tests.conftest import TEST_SECRET

CONVERSATION = "msteams:a:1conv-7-Z9Yx"
ACTIVITY = "1:1HxQnZpA0Yx"
TODAY = date(2026, 11, 23)


def test_the_key_is_a_keyed_hash_that_names_neither_the_conversation_nor_the_activity() -> None:
    key = activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    assert key != activity_key(b"another secret", CONVERSATION, ACTIVITY)
    assert key != activity_key(TEST_SECRET, "msteams:a:someone-else", ACTIVITY)  # ids are per conversation
    assert activity_key(TEST_SECRET, "a", "b\x00c") != activity_key(TEST_SECRET, "a\x00b", "c")


async def test_the_record_is_written_with_the_state_and_a_repeat_writes_neither(db: Database) -> None:
    store = StateStore(db)
    key = activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    tags = await store.write({"survey/p": StateItem({"n": 1})}, processed=key)
    assert await processed.seen(db, key)
    with pytest.raises(AlreadyProcessed):
        await store.write({"survey/p": StateItem({"n": 2}, tags["survey/p"])}, processed=key)
    item = (await store.read(["survey/p"]))["survey/p"]
    assert item == StateItem({"n": 1}, tags["survey/p"])  # rolled back: the state is as the first left it


async def test_a_failed_state_write_leaves_no_record(db: Database) -> None:
    """The record lives with the effect: a write that loses its race records nothing either."""
    store = StateStore(db)
    tags = await store.write({"survey/p": StateItem({"n": 1})})
    await store.write({"survey/p": StateItem({"n": 2}, tags["survey/p"])})
    key = activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    with pytest.raises(Exception, match="changed by another writer"):
        await store.write({"survey/p": StateItem({"n": 3}, tags["survey/p"])}, processed=key)
    assert not await processed.seen(db, key)


async def test_a_claim_is_won_once_even_at_the_same_moment(db: Database) -> None:
    key = activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    results = await asyncio.gather(*(processed.claim(db, key) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    await processed.release(db, key)
    assert await processed.claim(db, key)  # released after a failure: a retry acts again


async def test_records_survive_a_restart_and_are_purged_after_their_expiry_day(database_url: str) -> None:
    key = activity_key(TEST_SECRET, CONVERSATION, ACTIVITY)
    await upgrade_async(database_url)
    db = await Database.open(database_url)
    try:
        assert await processed.claim(db, key, today=TODAY)
    finally:
        await db.close()
    db = await Database.open(database_url)  # a new process
    try:
        assert not await processed.claim(db, key, today=TODAY)
        last_day = TODAY + processed.LIFETIME
        assert await processed.purge_expired(db, today=last_day) == 0
        assert await processed.seen(db, key)
        assert await processed.purge_expired(db, today=last_day + timedelta(days=1)) == 1
        assert not await processed.seen(db, key)
    finally:
        await db.close()
