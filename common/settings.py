"""Every environment setting in one table, parsed once into a frozen Settings.

The table drives parsing and the README's settings section (a test checks they
agree), so a setting cannot exist without being documented.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


class Secret:
    """A secret string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _int(text: str) -> int:
    return int(text)


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _days(text: str) -> tuple[int, ...]:
    days = tuple(int(part) for part in _list(text))
    if any(day < 0 for day in days):
        raise ValueError("days cannot be negative")
    return tuple(sorted(set(days), reverse=True))


def _moment(text: str) -> datetime | None:
    if not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
#: The SDKs the bot can be hosted on (bot/hosts): the Bot Framework SDK, or the Microsoft 365 Agents SDK.
BOT_HOSTS = ("botbuilder", "agents")


def _bot_host(text: str) -> str:
    host = text.strip().lower()
    if host not in BOT_HOSTS:
        raise ValueError(f"expected one of {', '.join(BOT_HOSTS)}")
    return host


def _path(text: str) -> Path:
    path = Path(text)
    return path if path.is_absolute() else ROOT / path


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: environment name, attribute, default, parser, help."""

    env: str
    attr: str
    default: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("HOST", "host", "127.0.0.1", str, "Address the bot's web server listens on."),
    Setting("PORT", "port", "3978", _int, "Port the bot's web server listens on."),
    Setting(
        "DATABASE_URL",
        "database_url",
        "sqlite+aiosqlite:///data/safeguarding.db",
        str,
        "SQLAlchemy async URL. SQLite (aiosqlite) by default, relative paths under the project; "
        "PostgreSQL as postgresql+asyncpg://user@host/db.",
    ),
    Setting(
        "PARTNERSHIP_FILE",
        "partnership_file",
        "config/partnership.example.yaml",
        _path,
        "The partnership settings file: agencies, headcounts, local contacts, agency leads.",
    ),
    Setting(
        "SECRET_KEY",
        "secret_key",
        "",
        Secret,
        "Secret that encrypts per-wave keys and signs report links: at least 32 characters, made with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Required outside open local "
        "use (the bot refuses to start without it); only there, when empty, a fixed development key is used.",
    ),
    Setting("MicrosoftAppId", "app_id", "", str, "Bot's Microsoft app id. Empty: run open for local use."),
    Setting("MicrosoftAppPassword", "app_password", "", Secret, "Bot's client secret."),
    Setting(
        "MicrosoftAppType",
        "app_type",
        "MultiTenant",
        str,
        "MultiTenant, SingleTenant or UserAssignedMSI.",
    ),
    Setting("MicrosoftAppTenantId", "app_tenant_id", "", str, "Tenant of a single-tenant or MSI bot."),
    Setting(
        "BotOpenIdMetadata",
        "openid_metadata_url",
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        str,
        "OpenID metadata of the Bot Framework channel, naming the keys its tokens are signed with. "
        "Change it only to test against a local key server (plain http only on the loopback address).",
    ),
    Setting(
        "BOT_HOST",
        "bot_host",
        "botbuilder",
        _bot_host,
        "The SDK that hosts the bot: botbuilder (Bot Framework SDK, the default) or agents (Microsoft 365 "
        "Agents SDK). Same endpoint, app registration and conversations; see deployment/README.md.",
    ),
    Setting(
        "ALLOWED_TENANTS",
        "allowed_tenants",
        "",
        _list,
        "Comma-separated Teams tenant ids allowed to use the bot; empty allows any.",
    ),
    Setting(
        "MAX_BODY_BYTES",
        "max_body_bytes",
        "262144",
        _int,
        "Largest request body /api/messages accepts; larger gets 413.",
    ),
    Setting(
        "TURN_WORKERS",
        "turn_workers",
        "1",
        _int,
        "Worker processes for the CPU-heavy work of long messages (reading a large body, emergency "
        "detection, answering), so they never hold up other requests; 0 does that work in threads.",
    ),
    Setting(
        "RESPONSE_BATCH",
        "response_batch",
        "5",
        _int,
        "Staged responses are moved to the response table, shuffled, only in batches this big.",
    ),
    Setting(
        "STATE_TTL_DAYS",
        "state_ttl_days",
        "30",
        _int,
        "In-progress surveys untouched this many days are purged (confirmed ones wait for their batch).",
    ),
    Setting(
        "EXPERT_ROUTE_DAYS",
        "expert_route_days",
        "60",
        _int,
        "The way back to an expert question's asker is deleted on delivery, or after this many days.",
    ),
    Setting(
        "EXPERT_QUESTION_MONTHS",
        "expert_question_months",
        "24",
        _int,
        "Expert questions and answers (never who asked) are deleted this many months after asking.",
    ),
    Setting(
        "GUIDANCE_LOG_MONTHS",
        "guidance_log_months",
        "24",
        _int,
        "Guidance log rows (topic, confidence, helpful, plain questions) are kept this many months.",
    ),
    Setting(
        "REFERENCE_MONTHS",
        "reference_months",
        "13",
        _int,
        "Conversation references (Teams ids, names) not seen for this many months are deleted.",
    ),
    Setting(
        "MIN_GROUP_SIZE",
        "min_group_size",
        "10",
        _int,
        "Any figure resting on fewer responses than this is suppressed in every output.",
    ),
    Setting(
        "MIN_QUOTE_GROUP_SIZE",
        "min_quote_size",
        "20",
        _int,
        "Free-text quotes are shown only for groups where at least this many people answered the question.",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "public_base_url",
        "http://127.0.0.1:3978",
        str,
        "Public address of the bot's web app, used in report links sent to agency leads.",
    ),
    Setting(
        "REPORT_DIR",
        "report_dir",
        "data/reports",
        _path,
        "Where generated reports are kept and served from by signed links.",
    ),
    Setting(
        "REPORT_LINK_HOURS",
        "report_link_hours",
        "336",
        _int,
        "How long a signed report link stays valid (hours).",
    ),
    Setting(
        "SMTP_HOST", "smtp_host", "", str, "SMTP server for emailing agency leads; empty disables email."
    ),
    Setting("SMTP_PORT", "smtp_port", "25", _int, "SMTP server port."),
    Setting("SMTP_FROM", "smtp_from", "safeguarding-bot@localhost", str, "Sender address of report emails."),
    Setting(
        "TEAMS_SENDS_PER_SECOND",
        "teams_sends_per_second",
        "50",
        _int,
        "Messages the bot starts itself (invitations, reminders, report cards, expert answers) per "
        "second to one tenant: Teams' limit per bot per tenant. 0 turns pacing off.",
    ),
    Setting(
        "REMINDER_DAYS",
        "reminder_days",
        "7,2",
        _days,
        "Days before a wave closes on which people who have not answered get a reminder (at most one a "
        "day), unless the wave has its own schedule (`python -m bot reminder-days`). Empty: no reminders.",
    ),
    Setting(
        "DEADLINE_REMINDER_DAYS",
        "deadline_reminder_days",
        "7",
        _int,
        "Days before a self-assessment return date, and before an action falls due, on which the agency "
        "lead gets one reminder (from `python -m bot tick`).",
    ),
    Setting(
        "TICK_LEASE_SECONDS",
        "tick_lease_seconds",
        "600",
        _int,
        "How long one `python -m bot tick` holds the lease that keeps other replicas' ticks out; it is "
        "renewed while the tick works, so this is how soon another may take over after a crash.",
    ),
    Setting(
        "DEV_CLOCK",
        "dev_clock",
        "",
        _moment,
        "Open local use only (ignored otherwise, with a warning): the date and time, ISO 8601, the bot "
        "takes as now when it starts, running on from there; for trying out a wave's dates and reminders.",
    ),
    Setting(
        "LOG_LEVEL",
        "log_level",
        "INFO",
        str,
        "Python logging level.",
    ),
    Setting(
        "DEV_OPEN_ENDPOINT",
        "dev_open_endpoint",
        "true",
        _bool,
        "With no app id configured, accept unauthenticated requests (local use). Set false to refuse.",
    ),
    Setting(
        "THEME_OVERRIDES_FILE",
        "theme_overrides_file",
        "data/theme-overrides.csv",
        _path,
        "Analysts' theme codes for free-text answers (CSV: codebook, text, themes); they win over the coder.",
    ),
    Setting(
        "CONTENT_SUGGESTIONS_FILE",
        "content_suggestions_file",
        "data/content-suggestions.jsonl",
        _path,
        "Where experts' suggested sample questions are appended (JSON lines) for the content owner "
        "to review.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The product's settings; build with ``Settings.from_env(os.environ)``."""

    host: str
    port: int
    database_url: str
    partnership_file: Path
    secret_key: Secret
    app_id: str
    app_password: Secret
    app_type: str
    app_tenant_id: str
    openid_metadata_url: str
    bot_host: str
    allowed_tenants: tuple[str, ...]
    max_body_bytes: int
    turn_workers: int
    response_batch: int
    state_ttl_days: int
    expert_route_days: int
    expert_question_months: int
    guidance_log_months: int
    reference_months: int
    min_group_size: int
    min_quote_size: int
    public_base_url: str
    report_dir: Path
    report_link_hours: int
    smtp_host: str
    smtp_port: int
    smtp_from: str
    teams_sends_per_second: int
    reminder_days: tuple[int, ...]
    deadline_reminder_days: int
    tick_lease_seconds: int
    dev_clock: datetime | None
    log_level: str
    dev_open_endpoint: bool
    theme_overrides_file: Path
    content_suggestions_file: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Parse every row of SETTINGS from ``env`` (defaults where unset); overrides win."""
        values: dict[str, Any] = {}
        for row in SETTINGS:
            raw = env.get(row.env, row.default)
            try:
                values[row.attr] = row.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{row.env}={raw!r} is not usable: {exc}") from exc
        values.update(overrides)
        return cls(**values)

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
    """Settings for a command-line entry point: .env (if any) then the process environment."""
    load_dotenv_if_present()
    return Settings.from_env(os.environ)


def settings_markdown() -> str:
    """The README's settings table, generated from SETTINGS so the two cannot drift."""
    lines = ["| Variable | Default | What it does |", "|---|---|---|"]
    for row in SETTINGS:
        default = f"`{row.default}`" if row.default else "(empty)"
        lines.append(f"| `{row.env}` | {default} | {row.help} |")
    return "\n".join(lines) + "\n"

