"""Fixtures shared by the bot tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.fake_connector import FakeConnector


@pytest.fixture
async def fake() -> AsyncIterator[FakeConnector]:
    """A local fake Bot Connector on a random port, recording what the bot sends."""
    async with FakeConnector() as connector:
        yield connector
