"""Every environment setting declared once, as a frozen pydantic-settings model.

Each field carries its environment name (alias), type, default and description;
the model parses the environment, refuses unusable values naming the variable,
and writes the README's settings section (a test checks they agree), so a
setting cannot exist without being documented.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from common.errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 (open local use only, refused elsewhere)
MIN_SECRET_LENGTH = 32
MIN_SECRET_CHARACTERS = 8  # distinct characters: refuses "aaaa...", "abababab..."
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 (a command)


def weak_secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign and seal with, or None when it is strong enough."""
    if not secret:
        return "is not set"
    if secret == DEVELOPMENT_SECRET:
        return "is the development value from the source code"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(secret)) < MIN_SECRET_CHARACTERS:
        return f"has fewer than {MIN_SECRET_CHARACTERS} different characters"
    return None


class Secret(SecretStr):
    """A secret string that never shows itself in logs, reprs or tracebacks (pydantic's SecretStr)."""

    def reveal(self) -> str:
        """The secret itself, for the one place that must use it."""
        return self.get_secret_value()


#: The SDKs the bot can be hosted on (bot/hosts): the Bot Framework SDK, or the Microsoft 365 Agents SDK.
BotHost = Literal["botbuilder", "agents"]
BOT_HOSTS: tuple[str, ...] = get_args(BotHost)


def _bool(value: object) -> object:
    """The words operators write for on and off; empty is off."""
    if not isinstance(value, str):
        return value
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _list(value: object) -> object:
    """Comma-separated text as a tuple, blanks dropped (a tuple passes through)."""
    if not isinstance(value, str):
        return value
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _days(days: tuple[int, ...]) -> tuple[int, ...]:
    """Days before a date, largest first, each once."""
    if any(day < 0 for day in days):
        raise ValueError("days cannot be negative")
    return tuple(sorted(set(days), reverse=True))


def _moment(value: object) -> object:
    """ISO 8601 text as an aware datetime (UTC unless it says); empty is None."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bot_host(value: object) -> object:
    """BOT_HOST in any case; anything else names the hosts there are."""
    host = value.strip().lower() if isinstance(value, str) else value
    if host not in BOT_HOSTS:
        raise ValueError(f"expected one of {', '.join(BOT_HOSTS)}")
    return host


def _under_root(path: Path) -> Path:
    """A relative path is taken from the project folder, wherever the command runs."""
    return path if path.is_absolute() else ROOT / path


Flag = Annotated[bool, BeforeValidator(_bool)]
Names = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_list)]
Days = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_list), AfterValidator(_days)]
Moment = Annotated[datetime | None, BeforeValidator(_moment)]
ProjectPath = Annotated[Path, AfterValidator(_under_root)]


def _setting(env: str, default: Any, description: str) -> Any:
    """One declared setting: its environment variable, default and what it does."""
    return Field(default, validation_alias=env, description=description)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._given, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


class Settings(BaseSettings):
    """The product's settings; build with ``Settings.from_env(os.environ)``."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", case_sensitive=True, validate_default=True)

    host: str = _setting("HOST", "127.0.0.1", "Address the bot's web server listens on.")
    port: int = _setting("PORT", 3978, "Port the bot's web server listens on.")
    database_url: str = _setting(
        "DATABASE_URL",
        "sqlite+aiosqlite:///data/safeguarding.db",
        "SQLAlchemy async URL. SQLite (aiosqlite) by default, relative paths under the project; "
        "PostgreSQL as postgresql+asyncpg://user@host/db.",
    )
    partnership_file: ProjectPath = _setting(
        "PARTNERSHIP_FILE",
        Path("config/partnership.example.yaml"),
        "The partnership settings file: agencies, headcounts, local contacts, agency leads.",
    )
    secret_key: Secret = _setting(
        "SECRET_KEY",
        Secret(""),
        "Secret that encrypts per-wave keys and signs report links: at least 32 characters, made with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Required outside open local "
        "use (the bot refuses to start without it); only there, when empty, a fixed development key is used.",
    )
    app_id: str = _setting("MicrosoftAppId", "", "Bot's Microsoft app id. Empty: run open for local use.")
    app_password: Secret = _setting("MicrosoftAppPassword", Secret(""), "Bot's client secret.")
    app_type: str = _setting(
        "MicrosoftAppType", "MultiTenant", "MultiTenant, SingleTenant or UserAssignedMSI."
    )
    app_tenant_id: str = _setting("MicrosoftAppTenantId", "", "Tenant of a single-tenant or MSI bot.")
    openid_metadata_url: str = _setting(
        "BotOpenIdMetadata",
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        "OpenID metadata of the Bot Framework channel, naming the keys its tokens are signed with. "
        "Change it only to test against a local key server (plain http only on the loopback address).",
    )
    bot_host: Annotated[BotHost, BeforeValidator(_bot_host)] = _setting(
        "BOT_HOST",
        "botbuilder",
        "The SDK that hosts the bot: botbuilder (Bot Framework SDK, the default) or agents (Microsoft 365 "
        "Agents SDK). Same endpoint, app registration and conversations; see deployment/README.md.",
    )
    allowed_tenants: Names = _setting(
        "ALLOWED_TENANTS", (), "Comma-separated Teams tenant ids allowed to use the bot; empty allows any."
    )
    max_body_bytes: int = _setting(
        "MAX_BODY_BYTES", 262144, "Largest request body /api/messages accepts; larger gets 413."
    )
    turn_workers: int = _setting(
        "TURN_WORKERS",
        1,
        "Worker processes for the CPU-heavy work of long messages (reading a large body, emergency "
        "detection, answering), so they never hold up other requests; 0 does that work in threads.",
    )
    response_batch: int = _setting(
        "RESPONSE_BATCH",
        5,
        "Staged responses are moved to the response table, shuffled, only in batches this big.",
    )
    state_ttl_days: int = _setting(
        "STATE_TTL_DAYS",
        30,
        "In-progress surveys untouched this many days are purged (confirmed ones wait for their batch).",
    )
    expert_route_days: int = _setting(
        "EXPERT_ROUTE_DAYS",
        60,
        "The way back to an expert question's asker is deleted on delivery, or after this many days.",
    )
    expert_question_months: int = _setting(
        "EXPERT_QUESTION_MONTHS",
        24,
        "Expert questions and answers (never who asked) are deleted this many months after asking.",
    )
    guidance_log_months: int = _setting(
        "GUIDANCE_LOG_MONTHS",
        24,
        "Guidance log rows (topic, confidence, helpful, plain questions) are kept this many months.",
    )
    reference_months: int = _setting(
        "REFERENCE_MONTHS",
        13,
        "Conversation references (Teams ids, names) not seen for this many months are deleted.",
    )
    min_group_size: int = _setting(
        "MIN_GROUP_SIZE", 10, "Any figure resting on fewer responses than this is suppressed in every output."
    )
    min_quote_size: int = _setting(
        "MIN_QUOTE_GROUP_SIZE",
        20,
        "Free-text quotes are shown only for groups where at least this many people answered the question.",
    )
    public_base_url: str = _setting(
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:3978",
        "Public address of the bot's web app, used in report links sent to agency leads.",
    )
    report_dir: ProjectPath = _setting(
        "REPORT_DIR",
        Path("data/reports"),
        "Where generated reports are kept and served from by signed links.",
    )
    report_link_hours: int = _setting(
        "REPORT_LINK_HOURS", 336, "How long a signed report link stays valid (hours)."
    )
    smtp_host: str = _setting("SMTP_HOST", "", "SMTP server for emailing agency leads; empty disables email.")
    smtp_port: int = _setting("SMTP_PORT", 25, "SMTP server port.")
    smtp_from: str = _setting("SMTP_FROM", "safeguarding-bot@localhost", "Sender address of report emails.")
    teams_sends_per_second: int = _setting(
        "TEAMS_SENDS_PER_SECOND",
        50,
        "Messages the bot starts itself (invitations, reminders, report cards, expert answers) per "
        "second to one tenant: Teams' limit per bot per tenant. 0 turns pacing off.",
    )
    reminder_days: Days = _setting(
        "REMINDER_DAYS",
        (7, 2),
        "Days before a wave closes on which people who have not answered get a reminder (at most one a "
        "day), unless the wave has its own schedule (`python -m bot reminder-days`). Empty: no reminders.",
    )
    deadline_reminder_days: int = _setting(
        "DEADLINE_REMINDER_DAYS",
        7,
        "Days before a self-assessment return date, and before an action falls due, on which the agency "
        "lead gets one reminder (from `python -m bot tick`).",
    )
    tick_lease_seconds: int = _setting(
        "TICK_LEASE_SECONDS",
        600,
        "How long one `python -m bot tick` holds the lease that keeps other replicas' ticks out; it is "
        "renewed while the tick works, so this is how soon another may take over after a crash.",
    )
    dev_clock: Moment = _setting(
        "DEV_CLOCK",
        None,
        "Open local use only (ignored otherwise, with a warning): the date and time, ISO 8601, the bot "
        "takes as now when it starts, running on from there; for trying out a wave's dates and reminders.",
    )
    log_level: str = _setting("LOG_LEVEL", "INFO", "Python logging level.")
    dev_open_endpoint: Flag = _setting(
        "DEV_OPEN_ENDPOINT",
        True,
        "With no app id configured, accept unauthenticated requests (local use). Set false to refuse.",
    )
    theme_overrides_file: ProjectPath = _setting(
        "THEME_OVERRIDES_FILE",
        Path("data/theme-overrides.csv"),
        "Analysts' theme codes for free-text answers (CSV: codebook, text, themes); they win over the coder.",
    )
    content_suggestions_file: ProjectPath = _setting(
        "CONTENT_SUGGESTIONS_FILE",
        Path("data/content-suggestions.jsonl"),
        "Where experts' suggested sample questions are appended (JSON lines) for the content owner "
        "to review.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: ``from_env`` reads the environment it is handed, not os.environ."""
        return (init_settings,)

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The environment variable of every setting, in the README's order."""
        return tuple(str(field.validation_alias) for field in cls.model_fields.values())

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Parse every setting from ``env`` (defaults where unset); overrides, by attribute name, win.

        SettingsError names the first unusable variable and its value.
        """
        values = dict(_MappingSource(cls, env)())
        for name, value in overrides.items():
            values[str(cls.model_fields[name].validation_alias)] = value
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            problem = error["ctx"]["error"] if error["type"] == "value_error" else error["msg"]
            raise SettingsError(f"{error['loc'][0]}={error['input']!r} is not usable: {problem}") from None

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL with a relative SQLite path made absolute under the project."""
        prefix = "sqlite+aiosqlite:///"
        url = self.database_url
        if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
            rest = url[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str(ROOT / rest)
        return url

    def secret_bytes(self) -> bytes:
        """The signing/encryption secret; a fixed development value when unset in open local use.

        Raises SettingsError outside open local use unless SECRET_KEY is strong,
        so nothing is ever signed or sealed with a value from the source code there.
        """
        self.require_safe_secret()
        return (self.secret_key.reveal() or DEVELOPMENT_SECRET).encode()

    def require_safe_secret(self) -> None:
        """SettingsError, saying how to make one, unless SECRET_KEY is strong or the bot runs open locally.

        Called at start-up: the bot refuses to start rather than sign report
        links and seal wave keys with a secret anyone can read or guess.
        """
        if self.is_open and self.dev_open_endpoint:
            return
        problem = weak_secret_problem(self.secret_key.reveal())
        if problem:
            raise SettingsError(
                f"SECRET_KEY {problem}: it is required when MicrosoftAppId is set (or DEV_OPEN_ENDPOINT "
                f"is false). Make one with: {MAKE_SECRET}"
            )

    @property
    def is_open(self) -> bool:
        """True when no app id is configured, so requests are not authenticated."""
        return not self.app_id


def load_dotenv_if_present(path: Path = ROOT / ".env") -> None:
    """Read an optional .env into the environment without overriding what is set."""
    if path.exists():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def settings_from_environment() -> Settings:
    """Settings for a command-line entry point: .env (if any) then the process environment.

    An unusable value ends the command with one line naming the variable and
    exit status 2: an operator's typo, not a fault in the code, so no traceback.
    """
    load_dotenv_if_present()
    try:
        return Settings.from_env(os.environ)
    except SettingsError as exc:
        sys.stderr.write(f"The settings are not usable: {exc}\n")
        raise SystemExit(2) from None


def _as_environment_text(value: object) -> str:
    """A default written the way it would be set in the environment."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    if isinstance(value, Secret):
        return value.reveal()
    return str(value)


def settings_markdown() -> str:
    """The README's settings table, generated from the model so the two cannot drift."""
    lines = ["| Variable | Default | What it does |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        default = _as_environment_text(field.default)
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{field.validation_alias}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"
