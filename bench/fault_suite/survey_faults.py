"""Faults around whole surveys: kill -9 and recovery, repeated deliveries, two replicas, a database outage.

Each runs people through the practitioner questionnaire against real bot
processes on a fresh database, then moves every staged response with
``python -m storage flush --all`` and checks the response table: every
survey the bot confirmed is stored exactly once with the planned answers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.fault_suite.client import Exchange, Lost, Person
from bench.fault_suite.context import Run, TurnCount, drive, finish_checks, poster
from bench.fault_suite.databases import PrivateCluster, fresh_database, private_cluster
from bench.fault_suite.process import TRACEBACK, BotProcess, bot_environment, storage_command
from bench.fault_suite.results import Result, check_stored, statuses
from storage.migrate import upgrade_async


async def _flush_and_check(run: Run, result: Result, url: str, people: list[Person]) -> None:
    flushed = await storage_command(bot_environment(url, run.workdir), "flush", "--all")
    if flushed.returncode != 0 or TRACEBACK in flushed.output:
        result.fail("python -m storage flush --all failed")
        result.notes.append(f"flush --all: {flushed.output.strip().splitlines()[-1:]}")
    await check_stored(url, people, result)


def _count_5xx(result: Result, people: list[Person]) -> None:
    for status, count in statuses(people).items():
        if status >= 500:
            result.server_errors += count
            result.fail(f"HTTP {status}", count)


async def crash(run: Run) -> Result:
    """kill -9 at random turns; after each: ``python -m storage recover``, then restart."""
    result = Result("kill -9 + recover", run.backend, "survey")
    async with fresh_database(run.backend, run.workdir, "crash") as url:
        env = bot_environment(url, run.workdir)
        bot = BotProcess(f"crash-{run.backend}", env, run.workdir)
        await bot.start()
        up = asyncio.Event()
        up.set()
        sent = TurnCount()
        kills = [0]
        done = asyncio.Event()

        async def send(person: Person, body: dict) -> Exchange:
            await up.wait()
            await sent.add()
            return await person.post(run.session, bot.url, body)

        async def recover(person: Person, body: dict) -> None:
            await asyncio.sleep(0.05)
            await up.wait()

        async def killer() -> None:
            while not done.is_set():
                every = run.bounds.kill_every
                await sent.reach(sent.value + run.rng.randint(max(1, every // 3), every * 5 // 3), done)
                if done.is_set():
                    return
                await asyncio.sleep(run.rng.uniform(0, 0.05))  # land inside a turn, not between two
                up.clear()
                await bot.kill9()
                kills[0] += 1
                recovered = await storage_command(env, "recover")
                if recovered.returncode != 0 or TRACEBACK in recovered.output:
                    result.fail("python -m storage recover failed after a kill")
                await bot.start()
                up.set()

        people = run.people(run.bounds.surveys, "crash")
        result.tried = len(people)
        killing = asyncio.create_task(killer())
        try:
            await drive(people, send, recover, run.bounds.concurrency)
        finally:
            done.set()
            await sent.wake()
            await killing
        result.notes.append(f"{kills[0]} kills over {sent.value} turns")
        _count_5xx(result, people)
        await finish_checks(result, [bot], run.bounds, people)
        await bot.stop()
        await _flush_and_check(run, result, url, people)
    return result


async def duplicates(run: Run) -> Result:
    """Every activity delivered twice with the same id: one after the other, or both at once."""
    result = Result("duplicate delivery", run.backend, "survey")
    async with fresh_database(run.backend, run.workdir, "duplicates") as url:
        bot = BotProcess(f"duplicates-{run.backend}", bot_environment(url, run.workdir), run.workdir)
        await bot.start()
        once = poster(run.session, lambda _: bot)

        async def twice(person: Person, body: dict) -> Exchange:
            if int(person.user.split("-")[1]) % 2:
                first, second = await asyncio.gather(
                    once(person, body), once(person, body), return_exceptions=True
                )
            else:
                first = await once(person, body)
                second = await once(person, body)
            answered = [e for e in (first, second) if isinstance(e, Exchange)]
            if not answered:
                raise Lost("both deliveries lost")
            return next((e for e in answered if e.status == 200), answered[0])

        async def recover(person: Person, body: dict) -> None:
            await asyncio.sleep(0.2)

        people = run.people(run.bounds.duplicate_surveys, "duplicate")
        result.tried = len(people)
        await drive(people, twice, recover, run.bounds.concurrency)
        result.notes.append("odd-numbered people: both deliveries at once; even: one after the other")
        _count_5xx(result, people)
        await finish_checks(result, [bot], run.bounds, people)
        await bot.stop()
        await _flush_and_check(run, result, url, people)
    return result


async def replicas(run: Run) -> Result:
    """Two bot processes on one database; each person's turns alternate between them."""
    result = Result("two replicas", run.backend, "survey")
    async with fresh_database(run.backend, run.workdir, "replicas") as url:
        env = bot_environment(url, run.workdir)
        bots = [BotProcess(f"replica{n}-{run.backend}", env, run.workdir) for n in (1, 2)]
        await asyncio.gather(*(bot.start() for bot in bots))
        send = poster(run.session, lambda person: bots[person.turns % 2])

        async def recover(person: Person, body: dict) -> None:
            await asyncio.sleep(0.2)

        people = run.people(run.bounds.replica_surveys, "replica")
        result.tried = len(people)
        await drive(people, send, recover, run.bounds.concurrency)
        _count_5xx(result, people)
        await finish_checks(result, bots, run.bounds, people)
        for bot in bots:
            await bot.stop()
        await _flush_and_check(run, result, url, people)
    return result


def _lock_sqlite(path: Path, seconds: float, locked: threading.Event) -> None:
    """Hold SQLite's write lock (BEGIN EXCLUSIVE) for ``seconds``: the file is unavailable for writing."""
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


async def outage(run: Run) -> Result:
    """The database unavailable mid-wave for ``outage_seconds``, then back; people keep going."""
    result = Result("database outage", run.backend, "survey")
    if run.backend == "sqlite":
        async with fresh_database("sqlite", run.workdir, "outage") as url:
            path = Path(make_url(url).database or "")

            async def down_and_up() -> None:
                locked = threading.Event()
                await asyncio.to_thread(_lock_sqlite, path, run.bounds.outage_seconds, locked)

            await _outage_wave(run, result, url, down_and_up, "SQLite write lock held")
        return result
    async with private_cluster() as cluster:
        if not isinstance(cluster, PrivateCluster):
            result.notes.append(f"skipped: {cluster}")
            return result
        url = await cluster.database("outage")
        await upgrade_async(url)

        async def stop_and_start() -> None:
            await asyncio.to_thread(cluster.stop, "immediate")
            await asyncio.sleep(run.bounds.outage_seconds)
            await asyncio.to_thread(cluster.start)

        await _outage_wave(run, result, url, stop_and_start, f"private cluster on port {cluster.port} "
                           "stopped (immediate) and restarted")
    return result


async def _outage_wave(
    run: Run, result: Result, url: str, down_and_up: Callable[[], Awaitable[None]], how: str
) -> None:
    bot = BotProcess(f"outage-{run.backend}", bot_environment(url, run.workdir), run.workdir)
    await bot.start()
    sent = TurnCount()
    window: list[float] = []
    during = [0]

    async def send(person: Person, body: dict) -> Exchange:
        await sent.add()
        exchange = await person.post(run.session, bot.url, body)
        if exchange.status >= 500 and window and time.monotonic() <= window[-1] + 10:
            during[0] += 1
            person.statuses[exchange.status] -= 1  # expected while the database is down
        return exchange

    async def recover(person: Person, body: dict) -> None:
        await asyncio.sleep(1.0)

    people = run.people(run.bounds.outage_surveys, "outage")
    result.tried = len(people)
    expected_turns = 22 * len(people)

    async def fault() -> None:
        await sent.reach(expected_turns // 4, asyncio.Event())
        window.append(time.monotonic())
        window.append(float("inf"))
        await down_and_up()
        window[-1] = time.monotonic()

    outage_task = asyncio.create_task(fault())
    await drive(people, send, recover, run.bounds.concurrency, max_turns=400)
    await outage_task
    result.notes.append(f"{how} for {run.bounds.outage_seconds:.0f} s; {during[0]} HTTP 503 while down "
                        "(the documented 'try again' answer, not counted as failures)")
    _count_5xx(result, people)
    await finish_checks(result, [bot], run.bounds, people)
    await bot.stop()
    await _flush_and_check(run, result, url, people)
