"""``python -m bot``: the commands it knows, and answering an expert question from the command line."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from common.settings import Settings
from storage import experts
from storage.database import Database
from storage.migrate import upgrade


def test_help_and_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "answer-expert" in capsys.readouterr().out
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_answer_expert_records_the_answer_and_says_when_the_asker_cannot_be_reached(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)

    async def ask() -> int:
        db = await Database.open(url)
        try:
            secret = Settings.from_env({}).secret_bytes()
            route = {"conversation": {"id": "a:gone"}, "serviceUrl": "http://127.0.0.1:9/"}
            question = await experts.ask(db, "Who signs off a [name] referral?", route, secret, keep_days=0)
            assert await experts.purge_expired_routes(db, today=date.today() + timedelta(days=1)) == 1
            return question
        finally:
            await db.close()

    async def still_pending() -> list[int]:
        db = await Database.open(url)
        try:
            return [q.id for q in await experts.pending(db)]
        finally:
            await db.close()

    question = asyncio.run(ask())
    assert main(["expert-questions"]) == 0
    assert f"{question}\t" in capsys.readouterr().out
    with caplog.at_level(logging.INFO, logger="bot"):
        assert main(["answer-expert", str(question), "Your designated safeguarding lead."]) == 0
        assert main(["answer-expert", "999", "Anything"]) == 0
    assert "couldn't reach the person who asked" in caplog.text
    assert "can't find question 999" in caplog.text
    assert asyncio.run(still_pending()) == []
    assert main(["expert-questions"]) == 0
    assert "No questions are waiting." in capsys.readouterr().out
