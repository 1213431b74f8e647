"""Whole conversations over HTTP on SQLite and PostgreSQL, then the storage audit finds nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import SERVICES, create_app
from bot.guidance_turns import answer_expert_question
from storage import experts
from storage.audit import audit
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import read_responses
from storage.submissions import close_wave
from storage.waves import list_waves
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import Chat, texts
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.shared import SHARED

TRANSCRIPTS = sorted((SHARED / "samples" / "transcripts").glob("*.json"))
BATCH = 2


@pytest.mark.skipif(not TRANSCRIPTS, reason="../shared/samples/transcripts is not present beside the project")
async def test_after_whole_conversations_the_audit_finds_nothing_before_and_after_the_close(
    aiohttp_client: AiohttpClient, database_url: str, tmp_path: Path, bot_host: str
) -> None:
    await upgrade_async(database_url)
    settings = e2e_settings(database_url, tmp_path, response_batch=BATCH, bot_host=bot_host)
    async with FakeConnector() as teams:
        client = await aiohttp_client(create_app(settings))
        people = [Chat(client, connector=teams.url) for _ in TRANSCRIPTS]
        for chat, path in zip(people, TRANSCRIPTS, strict=True):
            await chat.post(chat.install())
            transcript = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
            for turn in transcript["turns"]:
                replies = await chat.say(turn)
            assert "Thank you" in texts(replies)
        answering = Chat(client, connector=teams.url)
        await answering.post(answering.install())
        await answering.say("start")  # still answering when the audit runs
        asker = people[0]
        await asker.say("my client Jane Smith 07700 900123 told me her stepdad hits her, what do I do?")
        await asker.say("can I claim mileage for home visits?")
        await asker.press("Ask the safeguarding team")
        await asker.say("how do I escalate a disagreement with another agency?")
        await asker.press("Not helpful")
        db = await Database.open(database_url, secret=settings.secret_bytes())
        try:
            [question] = await experts.pending(db)
            outcome = await answer_expert_question(
                db,
                client.app[SERVICES].sender,
                question.id,
                "Yes, through your own agency.",
                datetime.now(UTC).date(),
                settings.secret_bytes(),
            )
            assert "sent" in outcome
            assert len(await read_responses(db)) == len(TRANSCRIPTS)  # whole batches of 2, all flushed
            assert [str(f) for f in await audit(db, BATCH)] == []
            [wave] = await list_waves(db)
            await close_wave(db, wave.id)
            assert [str(f) for f in await audit(db, BATCH)] == []
        finally:
            await db.close()
