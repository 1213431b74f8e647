"""The declared settings model parses the environment and documents itself in the README."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from common.errors import SettingsError
from common.settings import Secret, Settings, settings_markdown

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
    secrets = [name for name, field in Settings.model_fields.items() if field.annotation is Secret]
    assert secrets == ["secret_key", "app_password"]
    assert all(isinstance(getattr(settings, name), SecretStr) for name in secrets)


def test_every_setting_declares_its_variable_type_and_description():
    for name, field in Settings.model_fields.items():
        assert field.validation_alias, f"{name} has no environment variable"
        assert field.description, f"{name} says nothing of what it does"
    assert len(set(Settings.variables())) == len(Settings.model_fields)


def test_settings_cannot_change_once_made():
    settings = Settings.from_env({})
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("PORT", "eighty", "valid integer"),
        ("DEV_OPEN_ENDPOINT", "maybe", "expected true or false"),
        ("REMINDER_DAYS", "7,-2", "days cannot be negative"),
        ("BOT_HOST", "teams", "expected one of botbuilder, agents"),
    ],
)
def test_an_unusable_value_stops_the_bot_at_start_up_with_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    environment = {key: item for key, item in os.environ.items() if key != variable} | {variable: value}
    started = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 2
    assert started.stdout == ""
    assert started.stderr.count("\n") == 1, started.stderr
    assert f"{variable}={value!r}" in started.stderr
    assert problem in started.stderr
    assert "Traceback" not in started.stderr


def test_relative_sqlite_path_is_made_absolute_under_the_project():
    url = Settings.from_env({"DATABASE_URL": "sqlite+aiosqlite:///data/x.db"}).resolved_database_url
    assert url == f"sqlite+aiosqlite:///{ROOT / 'data/x.db'}"
    absolute = "sqlite+aiosqlite:////tmp/y.db"
    assert Settings.from_env({"DATABASE_URL": absolute}).resolved_database_url == absolute


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.variables() if f"`{name}`" not in readme]
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
