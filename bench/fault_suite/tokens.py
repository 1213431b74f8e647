"""Forged and broken tokens against a bot with an app id, its signing keys served by a local server.

The bot runs with ``MicrosoftAppId`` set. A local OpenID metadata server
publishes one RSA key of the suite's own (with the Teams endorsement), so a
token the suite signs with it is valid and everything else is a forgery.
The bot is pointed at that server through the settings row whose variable
names OpenID metadata, when there is one; without it the bot looks for the
real Bot Framework keys, which cannot be reached from here, so only the
documented fail-closed 503 is acceptable for well-formed RS256 tokens.

Expected: 401 for everything that can be judged without the keys (no token,
not a JWT, ``alg: none``, HS256, expired, not yet valid, wrong audience, wrong
issuer), and for a key id the published keys do not have; 200 for a valid
token; 503 only for a well-formed RS256 token whose keys cannot be fetched
(checked with a second bot pointed at a port where nothing listens).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.fault_suite.client import activity
from bench.fault_suite.context import Run, finish_checks
from bench.fault_suite.databases import fresh_database
from bench.fault_suite.process import BotProcess, bot_environment, free_port
from bench.fault_suite.results import Result
from common.settings import Settings

APP_ID = "6b1d2c3e-fault-suite-app"
CHANNEL_ISSUER = "https://api.botframework.com"
KEY_ID = "fault-suite-key"


def metadata_setting() -> str | None:
    """The environment variable that points the bot at OpenID metadata, if the settings table has one.

    None on the Agents SDK host (BOT_HOST=agents), which takes the channel's keys from its own
    configuration and refuses that setting: there the suite tries forged tokens only.
    """
    if os.environ.get("BOT_HOST", "").strip().lower() == "agents":
        return None
    for variable in Settings.variables():
        name = variable.upper()
        if "OPENID" in name or "METADATA" in name:
            return variable
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class KeyServer:
    """OpenID metadata and a JWKS with the suite's own signing key, on a free loopback port."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/.well-known/openidconfiguration"

    async def __aenter__(self) -> KeyServer:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": CHANNEL_ISSUER,
            "authorization_endpoint": "https://invalid.example/",
            "jwks_uri": f"http://127.0.0.1:{self.port}/v1/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _keys(self, request: web.Request) -> web.Response:
        numbers = self.key.public_key().public_numbers()
        jwk = {"kty": "RSA", "use": "sig", "kid": KEY_ID, "n": _int(numbers.n), "e": _int(numbers.e),
               "endorsements": ["msteams"]}
        return web.json_response({"keys": [jwk]})

    def sign(self, claims: dict[str, Any], kid: str = KEY_ID) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid})


def _claims(service_url: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "iat": now - 10, "nbf": now - 10, "exp": now + 600,
              "serviceurl": service_url, "jti": uuid.uuid4().hex}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


@dataclass(frozen=True)
class Forgery:
    name: str
    header: Callable[[KeyServer, str], str | None]  # (keys, service URL) -> Authorization header
    expect: int  # 401 for forgeries, 200 for the one valid token


FORGERIES = (
    Forgery("no Authorization header", lambda keys, url: None, 401),
    Forgery("not a bearer token", lambda keys, url: "Basic dXNlcjpwYXNz", 401),
    Forgery("bearer that is not a JWT", lambda keys, url: "Bearer not.a.jwt", 401),
    Forgery("alg none", lambda keys, url: f"Bearer {_unsigned(_claims(url))}", 401),
    Forgery("HS256 with a guessed secret",
            lambda keys, url: "Bearer " + jwt.encode(_claims(url), "secret" * 6, algorithm="HS256"), 401),
    Forgery("expired", lambda keys, url: "Bearer " + keys.sign(
        _claims(url, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)), 401),
    Forgery("not yet valid", lambda keys, url: "Bearer " + keys.sign(
        _claims(url, nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200)), 401),
    Forgery("wrong audience", lambda keys, url: "Bearer " + keys.sign(_claims(url, aud="another-app")), 401),
    Forgery("wrong issuer", lambda keys, url: "Bearer " + keys.sign(
        _claims(url, iss="https://sts.windows.net/evil/")), 401),
    Forgery("key id not published", lambda keys, url: "Bearer " + keys.sign(_claims(url), kid="other"), 401),
    Forgery("valid token (control)", lambda keys, url: "Bearer " + keys.sign(_claims(url)), 200),
)


async def _post(run: Run, bot: BotProcess, header: str | None) -> int | None:
    body = activity(run.service_url, f"token-{uuid.uuid4().hex[:12]}", text="hello")
    headers = {"Authorization": header} if header else {}
    try:
        async with run.session.post(bot.url + "/api/messages", json=body, headers=headers) as response:
            await response.read()
            return response.status
    except Exception:  # any failure to get an answer is the finding
        return None


async def forged_tokens(run: Run) -> Result:
    result = Result("forged tokens", run.backend, "token")
    setting = metadata_setting()
    async with KeyServer() as keys, fresh_database(run.backend, run.workdir, "tokens") as url:
        base = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "fault-suite-password"}
        served = "keys served" if setting else "real keys unreachable"
        bots = {served: BotProcess(f"tokens-{run.backend}", bot_environment(
            url, run.workdir, **base, **({setting: keys.metadata_url} if setting else {})), run.workdir)}
        if setting:
            nowhere = f"http://127.0.0.1:{free_port()}/v1/.well-known/openidconfiguration"
            bots["keys unreachable"] = BotProcess(f"tokens-nokeys-{run.backend}", bot_environment(
                url, run.workdir, **base, **{setting: nowhere}), run.workdir)
        else:
            result.notes.append("no OpenID metadata setting for this host: the bot looks for the "
                                "real Bot Framework keys (unreachable here); no valid token can be tried")
        for bot in bots.values():
            await bot.start()
        for where, bot in bots.items():
            keys_reachable = where == "keys served"
            for forgery in FORGERIES:
                if forgery.expect == 200 and where == "real keys unreachable":
                    continue  # the suite cannot sign with the real keys: this is the unreachable-keys case
                for _ in range(run.bounds.forged_each):
                    status = await _post(run, bot, forgery.header(keys, run.service_url))
                    result.tried += 1
                    expected = forgery.expect
                    well_formed_rs256 = forgery.name in {"valid token (control)", "key id not published"}
                    if not keys_reachable and well_formed_rs256:
                        expected = 503  # documented fail-closed: the keys cannot be fetched
                    if status is not None and status >= 500 and status != 503:
                        result.server_errors += 1
                    if status != expected:
                        result.fail(f"{forgery.name} ({where}): HTTP {status}, expected {expected}")
        await finish_checks(result, list(bots.values()), run.bounds)
        for bot in bots.values():
            await bot.stop()
    return result
