"""Fixtures of the storage tests: settings on the test database, a partnership, an open wave."""

from __future__ import annotations

from datetime import date

import pytest

from common.partnership import Agency, Partnership
from common.settings import Secret, Settings
from storage.database import Database
from storage.waves import Wave, create_wave
from tests.conftest import TEST_SECRET

TODAY = date(2026, 11, 23)

PARTNERSHIP = Partnership(
    name="Test Partnership",
    short_name="TP",
    agencies=(
        Agency("CSC", "Children's Social Care", 450),
        Agency("TVP", "Police", 1200),
        Agency("OTHER", "Other"),
    ),
    contacts={},
    agency_leads=(),
    expert_channel="",
    expert_inbox="",
    default_questionnaire="practitioner",
    default_open_days=42,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The same secret as the ``db`` fixture's, so flushes without settings open the same wave keys."""
    return Settings.from_env({}, database_url=database_url, secret_key=Secret(TEST_SECRET.decode()))


@pytest.fixture
async def wave(db: Database) -> Wave:
    return await create_wave(db, "practitioner", 1, TODAY, date(2027, 1, 4), PARTNERSHIP.agencies)
