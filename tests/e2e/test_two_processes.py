"""Two bot server processes on one PostgreSQL, answering alternate turns of one survey (no stickiness)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from common.settings import ROOT
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import read_responses
from tests.helpers.chat import Chat, expected_answers, texts
from tests.helpers.shared import shared_path

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _ready(base: str, process: asyncio.subprocess.Process, attempts: int = 600) -> None:
    """Poll /readyz every 0.1 s until the server answers 200 (or exits, or the attempts run out)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            if process.returncode is not None:
                raise AssertionError(f"the server at {base} exited with {process.returncode}")
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the server at {base} did not become ready")


@pytest.fixture
async def servers(database_url: str, tmp_path: Path) -> AsyncIterator[list[str]]:
    """Two ``python -m bot`` processes on the same (fresh, migrated) database."""
    await upgrade_async(database_url)
    processes: list[asyncio.subprocess.Process] = []
    logs = []
    bases = []
    for n in range(2):
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECRET_KEY": "two-process-test-secret",
            "RESPONSE_BATCH": "1",
            "LOG_LEVEL": "WARNING",
            "CONTENT_SUGGESTIONS_FILE": str(tmp_path / "suggestions.jsonl"),
        }
        log = (tmp_path / f"server{n}.log").open("wb")  # closed after the process, below
        logs.append(log)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=log, stderr=log
        )
        processes.append(process)
        bases.append(f"http://127.0.0.1:{port}")
    try:
        await asyncio.gather(*(_ready(base, p) for base, p in zip(bases, processes, strict=True)))
        yield bases
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
        for log in logs:
            log.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_server_processes_answer_alternate_turns_of_one_survey(
    servers: list[str], database_url: str
) -> None:
    transcript_file = shared_path("samples", "transcripts", "01_buttons_children_raised_yes.json")
    transcript = json.loads(await asyncio.to_thread(transcript_file.read_text, encoding="utf-8"))
    sessions = [aiohttp.ClientSession(base_url=base) for base in servers]
    try:
        person = Chat(sessions[0])  # type: ignore[arg-type] - a ClientSession posts like a TestClient
        for turn_number, turn in enumerate(transcript["turns"]):
            person.client = sessions[turn_number % 2]  # type: ignore[assignment]
            replies = await person.say(turn)
            assert replies, f"no reply to {turn!r} from server {turn_number % 2}"
        assert "Thank you" in texts(replies)
    finally:
        for session in sessions:
            await session.close()
    db = await Database.open(database_url)
    try:
        [response] = await read_responses(db)
    finally:
        await db.close()
    assert dict(response.answers) == expected_answers(transcript["expect"])


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_every_activity_delivered_to_both_processes_at_once_is_stored_once(
    servers: list[str], database_url: str
) -> None:
    """Each typed turn reaches both replicas at the same moment (a retry racing the original)."""
    transcript_file = shared_path("samples", "transcripts", "01_buttons_children_raised_yes.json")
    transcript = json.loads(await asyncio.to_thread(transcript_file.read_text, encoding="utf-8"))
    sessions = [aiohttp.ClientSession(base_url=base) for base in servers]
    try:
        people = [Chat(session) for session in sessions]  # type: ignore[arg-type] - posts like a TestClient
        people[1].user = people[0].user  # one person, one conversation, seen by both replicas
        for turn in transcript["turns"]:
            activity = people[0].message(turn)
            posts = (person.post(json.loads(json.dumps(activity))) for person in people)
            replies = await asyncio.gather(*posts)
            assert any(replies), f"no reply to {turn!r}"
    finally:
        for session in sessions:
            await session.close()
    db = await Database.open(database_url)
    try:
        [response] = await read_responses(db)
    finally:
        await db.close()
    assert dict(response.answers) == expected_answers(transcript["expect"])
