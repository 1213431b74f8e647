"""The bot state store: one contract, run on SQLite and PostgreSQL (and by bot/ on its Storage wrapper)."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.errors import ETagConflict
from storage.models import BotStateRow
from storage.state import StateItem, StateStore
from tests.storage import etag_writer


@pytest.fixture
def store(db: Database) -> StateStore:
    return StateStore(db)


async def test_written_items_read_back_with_a_new_e_tag_each_time(store: StateStore) -> None:
    first = await store.write({"survey/a": StateItem({"n": 1, "nested": {"list": [1, "x"]}})})
    item = await store.read(["survey/a", "survey/missing"])
    assert set(item) == {"survey/a"}
    assert item["survey/a"] == StateItem({"n": 1, "nested": {"list": [1, "x"]}}, first["survey/a"])
    second = await store.write({"survey/a": StateItem({"n": 2}, first["survey/a"])})
    assert second["survey/a"] != first["survey/a"]
    assert (await store.read(["survey/a"]))["survey/a"].document == {"n": 2}


async def test_stale_e_tag_is_refused_and_changes_nothing(store: StateStore) -> None:
    tags = await store.write({"k": StateItem({"v": "original"})})
    await store.write({"k": StateItem({"v": "theirs"}, tags["k"])})
    with pytest.raises(ETagConflict) as raised:
        await store.write({"k": StateItem({"v": "mine"}, tags["k"])})
    assert raised.value.key == "k"
    assert (await store.read(["k"]))["k"].document == {"v": "theirs"}


async def test_e_tag_on_an_item_that_is_gone_is_a_conflict_not_a_resurrection(store: StateStore) -> None:
    tags = await store.write({"survey/p": StateItem({"status": "submitting"})})
    await store.delete(["survey/p"])
    with pytest.raises(ETagConflict):
        await store.write({"survey/p": StateItem({"status": "submitting"}, tags["survey/p"])})
    assert await store.read(["survey/p"]) == {}


@pytest.mark.parametrize("unconditional", [None, "*"])
async def test_star_or_no_e_tag_writes_whatever_is_there(
    store: StateStore, unconditional: str | None
) -> None:
    await store.write({"k": StateItem({"v": 1})})
    await store.write({"k": StateItem({"v": 2}, unconditional)})
    assert (await store.read(["k"]))["k"].document == {"v": 2}


async def test_a_conflict_in_a_multi_item_write_writes_none_of_them(store: StateStore) -> None:
    tags = await store.write({"a": StateItem({"v": 1}), "b": StateItem({"v": 1})})
    await store.write({"b": StateItem({"v": 2}, tags["b"])})
    with pytest.raises(ETagConflict):
        await store.write({"a": StateItem({"v": 9}, tags["a"]), "b": StateItem({"v": 9}, tags["b"])})
    items = await store.read(["a", "b"])
    assert items["a"].document == {"v": 1}
    assert items["a"].e_tag == tags["a"]
    assert items["b"].document == {"v": 2}


async def test_delete_removes_only_the_keys_given(store: StateStore) -> None:
    await store.write({"a": StateItem({}), "b": StateItem({}), "c": StateItem({})})
    await store.delete(["a", "c", "never-written"])
    assert set(await store.read(["a", "b", "c"])) == {"b"}


async def test_read_prefix_treats_wildcards_literally(store: StateStore) -> None:
    await store.write({"survey/a": StateItem({}), "survey%/b": StateItem({}), "surveyXc": StateItem({})})
    assert set(await store.read_prefix("survey/")) == {"survey/a"}
    assert set(await store.read_prefix("survey%")) == {"survey%/b"}


async def test_two_tasks_racing_on_one_item_one_wins_one_gets_a_conflict(store: StateStore) -> None:
    await store.write({"survey/p": StateItem({"turns": 0})})
    first, second = await asyncio.gather(store.read(["survey/p"]), store.read(["survey/p"]))
    results = await asyncio.gather(
        store.write({"survey/p": StateItem({"turns": 1, "by": "first"}, first["survey/p"].e_tag)}),
        store.write({"survey/p": StateItem({"turns": 1, "by": "second"}, second["survey/p"].e_tag)}),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, ETagConflict)]
    assert len(conflicts) == 1, results
    winner = "first" if isinstance(results[1], ETagConflict) else "second"
    assert (await store.read(["survey/p"]))["survey/p"].document == {"turns": 1, "by": winner}


async def test_many_tasks_updating_with_retry_lose_no_increment(store: StateStore) -> None:
    await store.write({"counter": StateItem({"n": 0})})

    async def increment(document: dict | None) -> dict:
        await asyncio.sleep(0)  # let the other tasks read the same version
        return {"n": (document or {"n": 0})["n"] + 1}

    results = await asyncio.gather(
        *(store.update("counter", increment, attempts=50) for _ in range(8)), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert (await store.read(["counter"]))["counter"].document == {"n": 8}


async def test_update_reports_the_conflict_when_it_keeps_losing(store: StateStore) -> None:
    await store.write({"k": StateItem({"n": 0})})

    async def meddle(document: dict | None) -> dict:
        await store.write({"k": StateItem({"n": -1})})  # someone else always gets in first
        return {"n": 1}

    with pytest.raises(ETagConflict):
        await store.update("k", meddle, attempts=3)


async def test_two_processes_racing_on_one_item_one_wins_one_gets_a_conflict(
    store: StateStore, db: Database
) -> None:
    await store.write({"survey/p": StateItem({"turns": 0})})
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=etag_writer.race, args=(db.url, "survey/p", name, barrier, results))
        for name in ("one", "two")
    ]
    for process in processes:
        process.start()
    outcomes = dict(await asyncio.to_thread(lambda: [results.get(timeout=60) for _ in processes]))
    for process in processes:
        await asyncio.to_thread(process.join, 30)
    assert sorted(outcomes.values()) == ["conflict", "written"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "written")
    assert (await store.read(["survey/p"]))["survey/p"].document == {"turns": 0, "writer": winner}


async def test_updated_at_is_kept_only_to_the_hour(store: StateStore, db: Database) -> None:
    await store.write({"k": StateItem({})})
    async with db.transaction() as session:
        stamp = await session.scalar(select(BotStateRow.updated_at))
    assert (stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0)


async def test_on_sqlite_reads_do_not_queue_behind_a_writer_holding_the_lock(
    store: StateStore, db: Database
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers anyway")
    await store.write({"k": StateItem({"v": 1})})
    writer = sqlite3.connect(make_url(db.url).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        assert (await asyncio.wait_for(store.read(["k"]), 5))["k"].document == {"v": 1}
        blocked = asyncio.create_task(store.write({"k": StateItem({"v": 2})}))
        await asyncio.sleep(0.3)
        assert not blocked.done()  # writers queue on the busy timeout...
        writer.execute("COMMIT")
        await asyncio.wait_for(blocked, 10)  # ...and go ahead once the lock is free
    finally:
        writer.close()
    assert (await store.read(["k"]))["k"].document == {"v": 2}
