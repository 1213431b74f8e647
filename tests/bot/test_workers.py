"""Long inputs are worked on in worker processes, small ones in this process; a dead worker loses nothing.

One warmed pool for the module (starting a worker loads the knowledge base).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator

import pytest

from bot import questions
from bot.inbound import MAX_TEXT, MalformedActivity, read_activity
from bot.workers import LARGE_BODY, LARGE_TEXT, TurnWorkers
from common.partnership import load_partnership
from common.settings import Settings
from guidance.knowledge import KnowledgeBase, load_knowledge_base

SETTINGS = Settings.from_env({})
QUESTION = "what is a LADO? " + "The school raised a worry about attendance last term. " * 60


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge_base(load_partnership(SETTINGS.partnership_file))


@pytest.fixture
async def workers(knowledge: KnowledgeBase) -> AsyncIterator[TurnWorkers]:
    pool = TurnWorkers(knowledge, SETTINGS.partnership_file, processes=1)
    pool.start()
    await pool.settled()
    try:
        yield pool
    finally:
        await pool.close()


def _body(text: str) -> bytes:
    return json.dumps(
        {
            "type": "message",
            "id": "1",
            "text": text,
            "channelId": "msteams",
            "serviceUrl": "https://smba.trafficmanager.net/amer/",
            "from": {"id": "29:user"},
            "recipient": {"id": "28:bot"},
            "conversation": {"id": "a:1"},
        }
    ).encode()


async def test_long_work_runs_in_a_worker_and_small_work_here(workers: TurnWorkers) -> None:
    assert workers.processes == 1
    assert await workers.on_text(LARGE_TEXT, os.getpid) != os.getpid()
    assert await workers.on_text(LARGE_TEXT - 1, os.getpid) == os.getpid()


async def test_a_worker_reads_and_answers_as_this_process_does(
    workers: TurnWorkers, knowledge: KnowledgeBase
) -> None:
    raw = _body(QUESTION * 40)
    assert len(raw) >= LARGE_BODY
    body, activity = await workers.read(raw)
    here_body, here = read_activity(raw)
    assert body == here_body
    assert activity.text == here.text
    assert len(activity.text) == MAX_TEXT
    assert await workers.with_knowledge(len(QUESTION), questions.read_question, QUESTION) == (
        questions.read_question(knowledge, QUESTION)
    )
    danger = "he is hitting her right now " + QUESTION
    assert await workers.on_text(len(danger), questions.in_danger, (QUESTION, danger)) == danger
    answer = await workers.with_knowledge(len(danger), questions.emergency_answer, danger)
    assert answer.emergency


async def test_a_malformed_large_body_is_refused_with_its_reason(workers: TurnWorkers) -> None:
    raw = b'{"type": "message", "text": "' + b"x" * LARGE_BODY + b'"}'
    with pytest.raises(MalformedActivity) as refused:
        await workers.read(raw)
    assert refused.value.status == 400
    assert "channelId" in refused.value.reason


async def test_a_killed_worker_costs_no_answer_and_is_replaced(workers: TurnWorkers) -> None:
    first = await workers.on_text(LARGE_TEXT, os.getpid)
    os.kill(first, signal.SIGKILL)
    # The turn that finds the pool broken is answered all the same, in this process.
    assert await workers.on_text(LARGE_TEXT, os.getpid) == os.getpid()
    await workers.settled()
    assert workers.processes == 1
    assert await workers.on_text(LARGE_TEXT, os.getpid) not in (first, os.getpid())


async def test_closing_while_the_workers_load_ends_them_without_waiting(knowledge: KnowledgeBase) -> None:
    pool = TurnWorkers(knowledge, SETTINGS.partnership_file, processes=2)
    pool.start()
    await asyncio.sleep(0)  # the start has begun: its workers are starting
    assert multiprocessing.active_children()
    await pool.close()
    assert multiprocessing.active_children() == []
    assert pool.processes == 0
    assert await pool.on_text(LARGE_TEXT, os.getpid) == os.getpid()


async def test_no_workers_means_threads(knowledge: KnowledgeBase) -> None:
    threads = TurnWorkers(knowledge, SETTINGS.partnership_file, processes=0)
    threads.start()
    await threads.settled()
    assert threads.processes == 0
    assert await threads.on_text(LARGE_TEXT * 4, os.getpid) == os.getpid()
    await threads.close()
