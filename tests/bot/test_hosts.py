"""The seam between the turn logic and the SDK (bot.hosts): each SDK's runtime stays in its own host
module, BOT_HOST picks the host, and the Agents SDK host authenticates as that SDK does, behind the
project's own key-free checks. Conversations on both hosts are in tests/e2e (parametrised by host)."""

from __future__ import annotations

import ast
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

from bot.hosts import AuthenticationUnavailable, create_host
from bot.hosts.agents import AgentsHost, auth_configuration, create_agents_host
from common.errors import SettingsError
from common.settings import BOT_HOSTS, ROOT, Secret, Settings

APP_ID = "11111111-2222-3333-4444-555555555555"
SERVICE_URL = "https://smba.trafficmanager.net/amer/"
CHANNEL = "https://api.botframework.com"
PACKAGES = ("analysis", "assessments", "bot", "common", "guidance", "programme", "storage", "surveys", "text")

# Where each SDK's runtime (not the activity schema) may be imported.
RUNTIME_HOMES = {
    "microsoft_agents": {"bot/hosts/agents.py"},
    "botbuilder.core": {"bot/hosts/botbuilder.py"},
    "botbuilder.integration": {"bot/hosts/adapter.py"},
    "botframework": {"bot/hosts/adapter.py"},
    "msrest": {
        "bot/activity_json.py",
        "bot/hosts/adapter.py",
        "bot/hosts/botbuilder.py",
        "bot/inbound.py",
        "bot/reply_json.py",
    },
}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_each_sdks_runtime_is_imported_by_its_own_host_module_only() -> None:
    misplaced = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for module in imported(path):
                if module.split(".")[0] == "botbuilder" and package != "bot":
                    misplaced.append(f"{where}: {module}")
                for prefix, homes in RUNTIME_HOMES.items():
                    if (module == prefix or module.startswith(prefix + ".")) and where not in homes:
                        misplaced.append(f"{where}: {module}")
    assert misplaced == []


async def test_bot_host_picks_the_sdk() -> None:
    for name in BOT_HOSTS:
        host = create_host(Settings.from_env({"BOT_HOST": name}))
        try:
            assert host.name == name
        finally:
            await host.close()


def test_an_unknown_bot_host_fails_at_start_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"BOT_HOST='teams'.*botbuilder, agents"):
        Settings.from_env({"BOT_HOST": "teams"})


# -- the Agents SDK's authentication -------------------------------------------------------------


def test_the_bots_registration_becomes_the_sdks_connection_settings() -> None:
    multi = auth_configuration(Settings.from_env({}, app_id=APP_ID, app_password=Secret("s")))
    assert (multi.CLIENT_ID, multi.TENANT_ID, multi.AUTH_TYPE) == (APP_ID, "botframework.com", "ClientSecret")
    single = Settings.from_env({}, app_id=APP_ID, app_type="SingleTenant", app_tenant_id="t-1")
    assert auth_configuration(single).TENANT_ID == "t-1"
    msi = Settings.from_env({}, app_id=APP_ID, app_type="UserAssignedMSI", app_tenant_id="t-1")
    assert auth_configuration(msi).AUTH_TYPE == "UserManagedIdentity"
    with pytest.raises(SettingsError, match="MicrosoftAppTenantId"):
        auth_configuration(Settings.from_env({}, app_id=APP_ID, app_type="SingleTenant"))
    with pytest.raises(SettingsError, match="MicrosoftAppType='Other'"):
        auth_configuration(Settings.from_env({}, app_id=APP_ID, app_type="Other"))


@pytest.fixture
async def channel_key(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[rsa.RSAPrivateKey]:
    """The channel's signing key, published (as key "k1") where the SDK fetches the channel's keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)

    async def keys(request: web.Request) -> web.Response:
        return web.json_response({"keys": [{**public, "kid": "k1", "use": "sig"}]})

    app = web.Application()
    app.router.add_get("/keys", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setitem(BOTFRAMEWORK_JWKS_URIS, CHANNEL, f"http://127.0.0.1:{port}/keys")
    try:
        yield key
    finally:
        await runner.cleanup()


def channel_token(key: rsa.RSAPrivateKey, *, kid: str | None = "k1", **changed: Any) -> str:
    now = int(time.time())
    claims = {"iss": CHANNEL, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600}
    return jwt.encode({**claims, **changed}, key, algorithm="RS256", headers={"kid": kid} if kid else {})


@pytest.fixture
async def host() -> AsyncIterator[AgentsHost]:
    host = create_agents_host(Settings.from_env({}, app_id=APP_ID, app_password=Secret("s")))
    yield host
    await host.close()


async def test_a_token_signed_with_the_channels_published_key_is_accepted(
    host: AgentsHost, channel_key: rsa.RSAPrivateKey
) -> None:
    identity = await host.authenticate(f"Bearer {channel_token(channel_key)}", SERVICE_URL)
    assert identity.claims["aud"] == APP_ID


async def test_tokens_the_sdk_rejects_are_401(host: AgentsHost, channel_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "signed by another key": channel_token(other),
        "a key the channel never published": channel_token(channel_key, kid="k2"),
    }
    for token in refused.values():
        with pytest.raises(PermissionError):
            await host.authenticate(f"Bearer {token}", SERVICE_URL)


async def test_a_token_without_a_key_id_is_401_though_the_sdk_alone_fails_on_it(
    host: AgentsHost, channel_key: rsa.RSAPrivateKey
) -> None:
    token = channel_token(channel_key, kid=None)
    with pytest.raises(KeyError):  # what the SDK's validator (and so its middleware, a 500) does
        await JwtTokenValidator(auth_configuration(Settings.from_env({}, app_id=APP_ID))).validate_token(
            token
        )
    with pytest.raises(PermissionError):
        await host.authenticate(f"Bearer {token}", SERVICE_URL)


async def test_unreachable_channel_keys_are_503_not_401(
    host: AgentsHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(BOTFRAMEWORK_JWKS_URIS, CHANNEL, "http://127.0.0.1:9/keys")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationUnavailable):
        await host.authenticate(f"Bearer {channel_token(key)}", SERVICE_URL)
