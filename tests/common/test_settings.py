"""The settings table parses the environment and documents itself in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import SettingsError
from common.settings import SETTINGS, Secret, Settings, settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.port == 3978
    assert settings.response_batch == 5
    assert settings.min_group_size == 10
    assert settings.is_open


def test_environment_values_are_parsed():
    settings = Settings.from_env(
        {"PORT": "8080", "ALLOWED_TENANTS": "a, b,,c", "DEV_OPEN_ENDPOINT": "no", "MicrosoftAppId": "x"}
    )
    assert settings.port == 8080
    assert settings.allowed_tenants == ("a", "b", "c")
    assert settings.dev_open_endpoint is False
    assert not settings.is_open


def test_unusable_value_names_the_variable():
    with pytest.raises(SettingsError, match="PORT='eighty'"):
        Settings.from_env({"PORT": "eighty"})


def test_secrets_never_show_themselves():
    settings = Settings.from_env({"SECRET_KEY": "hunter2", "MicrosoftAppPassword": "pa55"})
    assert "hunter2" not in repr(settings)
    assert "pa55" not in repr(settings)
    assert settings.secret_key.reveal() == "hunter2"
    assert repr(Secret("")) == "Secret('')"


def test_relative_sqlite_path_is_made_absolute_under_the_project():
    url = Settings.from_env({"DATABASE_URL": "sqlite+aiosqlite:///data/x.db"}).resolved_database_url
    assert url == f"sqlite+aiosqlite:///{ROOT / 'data/x.db'}"
    absolute = "sqlite+aiosqlite:////tmp/y.db"
    assert Settings.from_env({"DATABASE_URL": absolute}).resolved_database_url == absolute


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [row.env for row in SETTINGS if f"`{row.env}`" not in readme]
    assert not missing, f"README lacks settings {missing}: paste `python -m common settings-table`"
    assert settings_markdown() in readme, "README's settings table is out of date"


STRONG = "k3Jd9-QpL2x_Vb7Zr0Tn4Ws8Ya1Uc6Me5"


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "is not set"),
        ("development-only-secret-change-me", "development value"),
        ("hunter2", "shorter than 32"),
        ("ab" * 20, "different characters"),
    ],
)
def test_outside_open_local_use_a_weak_secret_is_refused_with_how_to_make_one(
    secret: str, problem: str
) -> None:
    for settings in (
        Settings.from_env({"MicrosoftAppId": "app", "SECRET_KEY": secret}),
        Settings.from_env({"DEV_OPEN_ENDPOINT": "false", "SECRET_KEY": secret}),
    ):
        with pytest.raises(SettingsError, match=problem) as refused:
            settings.require_safe_secret()
        assert "secrets.token_urlsafe" in str(refused.value)
        with pytest.raises(SettingsError):
            settings.secret_bytes()  # nothing is signed or sealed with it either


def test_a_strong_secret_or_open_local_use_is_accepted() -> None:
    Settings.from_env({"MicrosoftAppId": "app", "SECRET_KEY": STRONG}).require_safe_secret()
    assert Settings.from_env({}).secret_bytes()  # open local use: the development key, with a warning
