"""``python -m bot`` with a turn worker process: long messages are worked on there, and no worker
outlives the bot, however the bot ends (stopped, interrupted, ``kill -9``)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.fault_suite.client import activity
from bench.fault_suite.process import BotProcess, bot_environment
from bench.load_bench import process_tree
from bot.inbound import CUT_NOTE
from storage.migrate import upgrade_async
from tests.helpers.chat import text_of, texts

pytestmark = pytest.mark.slow

SERVICE_URL = "http://127.0.0.1:9/amer/"  # never called: replies come back in the response
PROSE = "The school raised a worry last term about attendance and about the younger child seeming hungry. "
LONG = PROSE * 2500  # a body of about 250 KB
WAIT = 120.0  # seconds at most for a worker to load, or to be gone (the machine may be busy)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotProcess]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_async(url)
    process = BotProcess("workers", bot_environment(url, tmp_path, TURN_WORKERS="1"), tmp_path)
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


async def _workers_ready(bot: BotProcess) -> list[int]:
    """The bot's child processes, once /readyz says its one worker has loaded the knowledge base."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(WAIT / 0.2)):
            async with session.get(bot.url + "/readyz") as response:
                if (await response.json())["turn_workers"] == "1 of 1 ready":
                    assert bot.process is not None
                    return process_tree(bot.process.pid)[1:]
            await asyncio.sleep(0.2)
    raise AssertionError("the turn worker did not become ready")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def _all_gone(pids: list[int]) -> bool:
    for _ in range(int(WAIT / 0.2)):
        if not any(_alive(pid) for pid in pids):
            return True
        await asyncio.sleep(0.2)
    return False


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


async def _say(bot: BotProcess, text: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            bot.url + "/api/messages", json=activity(SERVICE_URL, uuid.uuid4().hex, text=text)
        ) as response,
    ):
        assert response.status == 200
        return list((await response.json())["activities"])


async def test_long_messages_are_worked_on_in_the_worker_and_it_ends_with_a_killed_bot(
    bot: BotProcess,
) -> None:
    children = await _workers_ready(bot)
    assert children
    before = _cpu_ticks(children)
    for _ in range(3):
        replies = await _say(bot, "what is a LADO? " + LONG)
        assert CUT_NOTE in text_of(replies[0])
        assert "Local Authority Designated Officer" in texts(replies[1:])
    danger = await _say(bot, "he is hitting her right now and she is bleeding, what do I do? " + LONG)
    assert "999" in text_of(danger[0])
    assert _cpu_ticks(children) > before  # the worker, not only the bot's own process, did the work
    await bot.kill9()
    assert await _all_gone(children), "a worker outlived the bot killed with kill -9"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
async def test_a_bot_stopped_or_interrupted_stops_its_workers_cleanly(
    bot: BotProcess, how: signal.Signals
) -> None:
    children = await _workers_ready(bot)
    assert bot.process is not None
    # Ctrl-C in a terminal signals the whole process group; each process gets it.
    for pid in [bot.process.pid, *children] if how == signal.SIGINT else [bot.process.pid]:
        os.kill(pid, how)
    assert await asyncio.wait_for(bot.process.wait(), WAIT) == 0
    assert await _all_gone(children)
    assert bot.tracebacks() == 0
