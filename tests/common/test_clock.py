"""The simulated clock (DEV_CLOCK, tick --now) exists only in open local use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.clock import clock_for, real_now, simulated
from common.errors import SettingsError
from common.settings import Settings

OPEN = {"DEV_CLOCK": "2027-01-02T09:00"}
PRODUCTION = {**OPEN, "MicrosoftAppId": "app", "SECRET_KEY": "a-strong-secret-0123456789-abcdefghijklmnop"}


def test_dev_clock_starts_the_bot_on_that_date_and_runs_on_in_open_local_use() -> None:
    clock = clock_for(Settings.from_env(OPEN))
    first, second = clock(), clock()
    assert abs(first - datetime(2027, 1, 2, 9, tzinfo=UTC)) < timedelta(minutes=1)
    assert second >= first


def test_dev_clock_is_ignored_with_a_warning_anywhere_else(caplog: pytest.LogCaptureFixture) -> None:
    for env in (PRODUCTION, {**OPEN, "DEV_OPEN_ENDPOINT": "false"}):
        assert clock_for(Settings.from_env(env)) is real_now
    assert "DEV_CLOCK is ignored" in caplog.text


def test_tick_now_is_read_as_utc_and_refused_outside_open_local_use() -> None:
    assert simulated(Settings.from_env({}), "2027-01-02") == datetime(2027, 1, 2, tzinfo=UTC)
    with pytest.raises(SettingsError, match="not an ISO 8601"):
        simulated(Settings.from_env({}), "next tuesday")
    with pytest.raises(SettingsError, match="only in open local use"):
        simulated(Settings.from_env(PRODUCTION), "2027-01-02")


def test_a_dev_clock_that_is_not_a_date_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="DEV_CLOCK"):
        Settings.from_env({"DEV_CLOCK": "soon"})
