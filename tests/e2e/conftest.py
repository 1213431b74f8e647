"""The real app on a real, migrated SQLite file, and a person to chat with it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from common.settings import BOT_HOSTS, Secret, Settings
from storage.database import Database
from storage.migrate import upgrade_async
from tests.helpers.chat import Chat

AiohttpClient = Callable[[web.Application], Awaitable[TestClient]]


def e2e_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: its own database, every response flushed at once (batch of 1)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": Secret("e2e-test-secret"),
        "response_batch": 1,
        "content_suggestions_file": tmp_path / "suggestions.jsonl",
        "report_dir": tmp_path / "reports",
        # Threads, not worker processes, for long messages: each app would start its own
        # (tests/e2e/test_long_messages.py and the tests of `python -m bot` processes use them).
        "turn_workers": 0,
    }
    values.update(overrides)
    return Settings.from_env({}, **values)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_async(url)
    return url


@pytest.fixture(params=BOT_HOSTS)
def bot_host(request: pytest.FixtureRequest) -> str:
    """Each conversation test runs on every host (BOT_HOST): the Bot Framework SDK and the Agents SDK."""
    return str(request.param)


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path, bot_host: str) -> Settings:
    return e2e_settings(sqlite_url, tmp_path, bot_host=bot_host)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def partnership_client(
    aiohttp_client: AiohttpClient, sqlite_url: str, tmp_path: Path, partnership_file: Path
) -> TestClient:
    """The app on the test module's own partnership file: the module defines the ``partnership_file``
    fixture (tests.helpers.partnership.write_partnership) and the app opens its default wave on start."""
    settings = e2e_settings(sqlite_url, tmp_path, partnership_file=partnership_file)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def chat(client: TestClient) -> Chat:
    return Chat(client)


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    """The same database the app uses, for checking what it stored."""
    db = await Database.open(sqlite_url, secret=b"unused")
    try:
        yield db
    finally:
        await db.close()
