"""The adapter reuses outbound clients per service URL and still refuses bad tokens.

The token tests sign JWTs locally and serve the signing keys from a fake
OpenID metadata endpoint on 127.0.0.1, so the SDK's own validation runs end to
end (issuer, audience, signature, expiry, endorsements, serviceurl claim).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from botframework.connector.auth import MicrosoftAppCredentials, jwt_token_extractor
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from botframework.connector.models import ErrorResponseException
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from yarl import URL

from bot.hosts.adapter import AuthenticationUnavailable, ClientCache, create_adapter, proxy_for
from common.errors import SettingsError
from common.settings import Secret, Settings
from tests.helpers.fake_connector import FakeConnector

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"


def open_settings(**overrides: Any) -> Settings:
    return Settings.from_env({}, **overrides)


def message(service_url: str, *, channel: str = "msteams", delivery: str | None = None) -> Activity:
    body = {
        "type": "message",
        "id": "1",
        "text": "hello",
        "channelId": channel,
        "serviceUrl": service_url,
        "from": {"id": "29:user", "name": "A User"},
        "recipient": {"id": f"28:{APP_ID}", "name": "Bot"},
        "conversation": {"id": "a:conversation-1", "conversationType": "personal"},
    }
    if delivery:
        body["deliveryMode"] = delivery
    return Activity().deserialize(body)


async def test_two_turns_to_one_service_url_share_one_connector_client() -> None:
    adapter = create_adapter(open_settings())
    seen: list[Any] = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[context.adapter.BOT_CONNECTOR_CLIENT_KEY])
        await context.send_activity("hi")

    try:
        async with FakeConnector() as fake, FakeConnector() as other:
            await adapter.process_activity("", message(fake.url + "/amer/"), logic)
            await adapter.process_activity("", message(fake.url + "/amer/"), logic)
            await adapter.process_activity("", message(other.url + "/emea/"), logic)
            assert seen[0] is seen[1]
            assert seen[2] is not seen[0]
            assert len(fake.sent("a:conversation-1")) == 2
            assert len(other.sent("a:conversation-1")) == 1
            assert {c.prefix for c in fake.calls} == {"/amer"}
    finally:
        await adapter.close()


async def test_a_card_is_updated_in_place_through_the_connector() -> None:
    """What the bot does after an answer: replace the answered card (PUT .../activities/{id})."""
    adapter = create_adapter(open_settings())

    async def logic(context: TurnContext) -> None:
        sent = await context.send_activity("Question 1")
        await context.update_activity(Activity(id=sent.id, type="message", text="Question 1: answered"))

    try:
        async with FakeConnector() as fake:
            await adapter.process_activity("", message(fake.url + "/amer/"), logic)
            assert len(fake.of_kind("reply")) == 1
            [update] = fake.of_kind("update")
            assert update.conversation_id == "a:conversation-1"
            assert update.body["text"] == "Question 1: answered"
            assert update.activity_id.startswith("fake-")
    finally:
        await adapter.close()


async def test_proactive_connectors_are_reused_apart_from_the_turns_ones() -> None:
    adapter = create_adapter(open_settings())
    seen: list[Any] = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[context.adapter.BOT_CONNECTOR_CLIENT_KEY])

    try:
        await adapter.process_activity("", message("http://127.0.0.1:9/amer/"), logic)
        proactive = await adapter.connector("http://127.0.0.1:9/amer/")
        assert await adapter.connector("http://127.0.0.1:9/amer/") is proactive
        assert await adapter.connector("http://127.0.0.1:9/emea/") is not proactive
        assert proactive is not seen[0]
    finally:
        await adapter.close()


async def test_a_reply_in_a_turn_is_retried_briefly_when_the_connector_stumbles() -> None:
    adapter = create_adapter(open_settings())

    async def logic(context: TurnContext) -> None:
        await context.send_activity("hi")

    try:
        async with FakeConnector() as fake:
            fake.fail(503)
            fake.fail(429, retry_after=1)
            await adapter.process_activity("", message(fake.url + "/"), logic)
            assert len(fake.refused) == 2
            assert len(fake.sent()) == 1
    finally:
        await adapter.close()


async def test_a_reply_is_not_held_up_when_the_connector_asks_for_a_long_wait() -> None:
    adapter = create_adapter(open_settings())

    async def logic(context: TurnContext) -> None:
        await context.send_activity("hi")

    try:
        async with FakeConnector() as fake:
            fake.fail(429, retry_after=120)
            with pytest.raises(ErrorResponseException):
                await adapter.process_activity("", message(fake.url + "/"), logic)
            assert len(fake.refused) == 1
    finally:
        await adapter.close()


async def test_outbound_calls_carry_the_bots_token_when_an_app_id_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No Entra ID here: the SDK credentials' token call is the one thing replaced.
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: "tok")
    adapter = create_adapter(Settings.from_env({}, app_id=APP_ID, app_password=Secret("pw")))
    try:
        async with FakeConnector() as fake:
            client = await adapter.connector(fake.url + "/amer/")
            await client.conversations.send_to_conversation("a:c", Activity(type="message", text="hi"))
            [call] = fake.calls
            assert call.authorization == "Bearer tok"
    finally:
        await adapter.close()


async def test_outbound_calls_carry_no_token_when_open() -> None:
    adapter = create_adapter(open_settings())
    try:
        async with FakeConnector() as fake:
            client = await adapter.connector(fake.url + "/amer/")
            await client.conversations.send_to_conversation("a:c", Activity(type="message", text="hi"))
            [call] = fake.calls
            assert call.authorization is None
    finally:
        await adapter.close()


def test_the_client_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    # An open endpoint lets anyone name a service URL: the cache must not grow without limit.
    cache = ClientCache(limit=2)
    a, b, c = object(), object(), object()
    cache.put(("", "a", "x"), a)
    cache.put(("", "b", "x"), b)
    assert cache.get(("", "a", "x")) is a  # a is now the most recently used
    cache.put(("", "c", "x"), c)
    assert cache.get(("", "b", "x")) is None
    assert cache.get(("", "a", "x")) is a
    assert cache.get(("", "c", "x")) is c
    assert cache.put(("", "c", "x"), object()) is c  # a client stored first by another turn is kept


async def test_the_user_token_client_is_built_once() -> None:
    adapter = create_adapter(open_settings())
    seen: list[Any] = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[context.adapter.USER_TOKEN_CLIENT_KEY])

    try:
        for _ in range(2):
            activity = message("http://127.0.0.1:9/amer/", delivery="expectReplies")
            await adapter.process_activity("", activity, logic)
        assert seen[0] is seen[1]
    finally:
        await adapter.close()


async def test_open_adapter_says_loudly_that_it_is_open(caplog: pytest.LogCaptureFixture) -> None:
    adapter = create_adapter(open_settings())
    await adapter.close()
    assert any("UNAUTHENTICATED" in r.getMessage() for r in caplog.records)


async def test_open_adapter_refuses_everything_when_the_open_endpoint_is_switched_off() -> None:
    adapter = create_adapter(open_settings(dev_open_endpoint=False))

    async def logic(context: TurnContext) -> None:
        raise AssertionError("the turn must not run")

    with pytest.raises(PermissionError):
        await adapter.process_activity("", message("http://127.0.0.1:9/"), logic)


def test_single_tenant_without_a_tenant_is_a_settings_error() -> None:
    settings = open_settings(app_id=APP_ID, app_password=Secret("pw"), app_type="SingleTenant")
    with pytest.raises(SettingsError, match="APP_TENANTID"):
        create_adapter(settings)


def test_an_unknown_app_type_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="MicrosoftAppType"):
        create_adapter(open_settings(app_id=APP_ID, app_type="Sometimes"))


# --- token validation against locally served signing keys -------------------------------------


class _Keys:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "key-1", "use": "sig", "endorsements": ["msteams"]}]}


@pytest.fixture(scope="module")
def keys() -> _Keys:
    return _Keys()


@pytest.fixture
def openid(keys: _Keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A metadata endpoint on 127.0.0.1 in its own thread (the SDK fetches it with blocking requests);
    its address is for BotOpenIdMetadata."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": ISSUER, "jwks_uri": base + "/keys"}
            elif self.path == "/keys":
                body = keys.jwks
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


SERVICE_URL = "http://127.0.0.1:9/amer/"
NOWHERE = "http://127.0.0.1:9/nothing-here"  # no key server listens there


def token(keys: _Keys, *, signer: Any = None, kid: str = "key-1", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    encoded = jwt.encode(payload, signer or keys.private, algorithm="RS256", headers={"kid": kid})
    return f"Bearer {encoded}"


@pytest.fixture
async def secured_adapter(openid: str) -> Any:
    adapter = create_adapter(
        Settings.from_env(
            {}, app_id=APP_ID, app_password=Secret("not-a-real-secret"), openid_metadata_url=openid
        )
    )
    yield adapter
    await adapter.close()


async def _run(adapter: Any, header: str, activity: Activity | None = None) -> list[str]:
    seen: list[str] = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[context.adapter.BOT_IDENTITY_KEY].claims["aud"])

    await adapter.process_activity(header, activity or message(SERVICE_URL, delivery="expectReplies"), logic)
    return seen


async def test_a_token_signed_by_the_channel_is_accepted(secured_adapter: Any, keys: _Keys) -> None:
    assert await _run(secured_adapter, token(keys)) == [APP_ID]


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("no token", lambda keys: ""),
        ("not a JWT", lambda keys: "Bearer not-a-token"),
        ("not bearer", lambda keys: token(keys).replace("Bearer", "Basic")),
        ("another bot's audience", lambda keys: token(keys, aud="someone-else")),
        ("signed by a stranger", lambda keys: token(keys, signer=keys.stranger)),
        ("unknown signing key", lambda keys: token(keys, kid="key-2")),
        ("expired", lambda keys: token(keys, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        ("wrong issuer", lambda keys: token(keys, iss="https://login.example.org")),
        ("other service url", lambda keys: token(keys, serviceurl="https://evil.example.org/")),
    ],
)
async def test_a_bad_or_missing_token_is_refused(
    secured_adapter: Any, keys: _Keys, case: str, header: Any
) -> None:
    with pytest.raises(PermissionError):
        await _run(secured_adapter, header(keys))


async def test_a_key_not_endorsed_for_the_channel_is_refused(secured_adapter: Any, keys: _Keys) -> None:
    webchat = message(SERVICE_URL, channel="webchat", delivery="expectReplies")
    with pytest.raises(PermissionError):
        await _run(secured_adapter, token(keys), webchat)


async def test_signing_keys_are_fetched_off_the_event_loop_and_kept(
    secured_adapter: Any, keys: _Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched_on: list[str] = []
    real_get = jwt_token_extractor.requests.get

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        fetched_on.append(threading.current_thread().name)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(jwt_token_extractor.requests, "get", get)
    assert await _run(secured_adapter, token(keys)) == [APP_ID]
    assert await _run(secured_adapter, token(keys)) == [APP_ID]
    assert len(fetched_on) == 2  # the metadata and the keys, once
    assert threading.main_thread().name not in fetched_on


async def test_unreachable_signing_keys_are_unavailable_not_unauthorised(
    keys: _Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    adapter = create_adapter(
        Settings.from_env({}, app_id=APP_ID, app_password=Secret("x"), openid_metadata_url=NOWHERE)
    )
    with pytest.raises(AuthenticationUnavailable):
        await _run(adapter, token(keys))
    # A header that is not a Bot Framework token is refused outright, keys or no keys.
    with pytest.raises(PermissionError):
        await _run(adapter, "Bearer not.a.token")


# --- forged tokens are refused before any key is fetched ------------------------------------------


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token with any header and claims, and a signature nobody checks before the keys."""
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"Bearer {part(header)}.{part(claims)}.c2lnbmF0dXJl"


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


FORGED: dict[str, Any] = {
    "alg none": lambda keys: _unsigned({"alg": "none", "typ": "JWT", "kid": "key-1"}, _claims()),
    "HS256 with a guessable secret": lambda keys: "Bearer "
    + jwt.encode(_claims(), "not-a-real-secret" * 3, algorithm="HS256", headers={"kid": "key-1"}),
    "RS384": lambda keys: "Bearer "
    + jwt.encode(_claims(), keys.private, algorithm="RS384", headers={"kid": "key-1"}),
    "no key id": lambda keys: "Bearer " + jwt.encode(_claims(), keys.private, algorithm="RS256"),
    "expired": lambda keys: token(keys, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not yet valid": lambda keys: token(keys, nbf=int(time.time()) + 3600),
    "no expiry": lambda keys: token(keys, exp=None),
    "expiry a word": lambda keys: _unsigned({"alg": "RS256", "kid": "key-1"}, _claims(exp="tomorrow")),
    "wrong audience": lambda keys: token(keys, aud="someone-else"),
    "audience a list": lambda keys: token(keys, aud=[APP_ID]),
    "wrong issuer": lambda keys: token(keys, iss="https://login.example.org"),
    "emulator issuer": lambda keys: token(keys, iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"),
    "other service url": lambda keys: token(keys, serviceurl="https://evil.example.org/"),
    "two parts": lambda keys: "Bearer abc.def",
    "not base64": lambda keys: "Bearer ***.***.***",
    "payload not json": lambda keys: "Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
    "basic scheme": lambda keys: token(keys).replace("Bearer", "Basic"),
    "empty": lambda keys: "",
}


@pytest.mark.parametrize("case", list(FORGED))
async def test_a_forged_token_is_refused_before_any_key_is_fetched(
    keys: _Keys, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    fetched: list[str] = []

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        fetched.append(url)
        raise AssertionError("no key may be fetched for a token that is wrong without them")

    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    monkeypatch.setattr(jwt_token_extractor.requests, "get", get)
    adapter = create_adapter(
        Settings.from_env(
            {}, app_id=APP_ID, app_password=Secret("not-a-real-secret"), openid_metadata_url=NOWHERE
        )
    )
    try:
        with pytest.raises(PermissionError):
            await _run(adapter, FORGED[case](keys))
    finally:
        await adapter.close()
    assert fetched == []


async def test_keys_are_fetched_again_for_an_unknown_key_only_hourly_and_off_the_loop(
    secured_adapter: Any, keys: _Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched_on: list[str] = []
    real_get = jwt_token_extractor.requests.get

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        fetched_on.append(threading.current_thread().name)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(jwt_token_extractor.requests, "get", get)
    assert await _run(secured_adapter, token(keys)) == [APP_ID]
    for _ in range(3):
        with pytest.raises(PermissionError):
            await _run(secured_adapter, token(keys, kid="key-unknown"))
    assert len(fetched_on) == 2  # the first fetch is recent: an unknown key does not fetch again
    assert threading.main_thread().name not in fetched_on


async def test_replies_go_through_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY is honoured as requests honoured it (the fake connector stands in for the proxy:
    the connector's own host does not exist, so a call can only arrive through it)."""
    adapter = create_adapter(open_settings())
    try:
        async with FakeConnector() as fake:
            _no_proxies(monkeypatch)
            monkeypatch.setenv("HTTP_PROXY", fake.url)
            client = await adapter.connector("http://connector.invalid/amer/")
            for text in ("hi", "again"):
                await client.conversations.send_to_conversation("a:c", Activity(type="message", text=text))
            assert [a["text"] for a in fake.sent("a:c")] == ["hi", "again"]
    finally:
        await adapter.close()


def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_the_proxy_is_the_environments_and_none_for_hosts_it_exempts(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "exempt.example")
    assert proxy_for(URL("https://smba.example/amer/")) == (URL("http://proxy.example:3128"), None)
    assert proxy_for(URL("https://exempt.example/amer/")) == (None, None)
    monkeypatch.delenv("HTTPS_PROXY")
    assert proxy_for(URL("https://smba.example/amer/")) == (None, None)
