"""The Bot Framework adapter, configured from settings, that reuses its outbound clients.

The stock ``CloudAdapter`` builds a new ``ConnectorClient`` and a new
``TokenApiClient`` for every incoming activity. Each one builds msrest's retry
settings and serialisers from scratch (about 9 ms of CPU per turn, measured
with botbuilder 4.17) and a fresh ``requests`` session, so no HTTP connection
to the Bot Connector is ever kept alive; and, as the SDK's code reads, with an
app id configured each turn's new credentials start with an empty MSAL token
cache, so every turn would fetch a new access token. Here the SDK still
authenticates every request exactly as it does by default; only the clients it
builds for outbound calls are kept and reused, per (app id, service URL,
audience). Tokens stay per app id, because the SDK's own credential factory
still decides which credentials a client gets.

The SDK fetches the Bot Framework's signing keys with blocking ``requests``
inside the request that finds them a day old, stalling every turn of the
process; here they are refreshed in a worker thread just before that happens.

The kept clients also send over one shared aiohttp session instead of msrest's
``requests`` driver, which runs every call in a worker thread (6 of them on a
2-core machine, so replies queue behind each other under load) at about 1.5 ms
more CPU per call. The token is still the SDK credentials' own, fetched in a
thread because MSAL may have to call Entra ID to renew it. Their serialiser
writes ordinary replies without msrest's per-value passes (bot.reply_json).
A proxy named in the environment (HTTPS_PROXY, NO_PROXY) is honoured, as
requests did; it is looked up once per service URL, not by aiohttp's
``trust_env`` on every call, which sends two lookups per reply to worker
threads (the whole environment scanned, ``~/.netrc`` read) and costed more
CPU than the rest of sending it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from aiohttp.helpers import get_env_proxy_for_url
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ChannelValidation,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from botframework.connector.skills import BotFrameworkClient
from msrest.exceptions import ClientRequestError
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from yarl import URL

from bot.hosts.errors import AuthenticationUnavailable, warn_if_open
from bot.pacing import retry_after_seconds
from bot.reply_json import ReplySerializer
from bot.tokens import KEYS_UNAVAILABLE, judge_without_keys
from common.errors import SettingsError
from common.settings import Settings

log = logging.getLogger(__name__)

# Teams hands out one service URL per region and tenant, so a partnership's bot
# sees a handful. The bound only stops an open (local) endpoint, where anyone
# can name a service URL, from growing the cache without limit.
MAX_CACHED_CLIENTS = 256
# A client sends to its own service URL only; the bound is a backstop, not a working limit.
MAX_ORIGINS = 8

ClientKey = tuple[str, str, str]

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


# A reply in a turn is retried briefly on these (the person is waiting); proactive sends
# get no retries here because bot.proactive backs off itself, honouring Retry-After.
TRANSIENT = frozenset({429, 502, 503, 504})
TURN_RETRY_DELAYS = (0.5, 1.5)
OUTBOUND_TIMEOUT = aiohttp.ClientTimeout(total=60)


class OutboundHttp:
    """The one aiohttp session every kept client sends through (made in the running loop, on first use)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No trust_env: the proxy is looked up once per service URL (proxy_for), not on every call.
            self._session = aiohttp.ClientSession(timeout=OUTBOUND_TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


Proxy = tuple[URL | None, aiohttp.BasicAuth | None]
NO_PROXY: Proxy = (None, None)


def proxy_for(url: URL) -> Proxy:
    """The proxy (and its credentials) the environment names for ``url``, as aiohttp's ``trust_env``
    finds it (HTTP(S)_PROXY, NO_PROXY, the proxy's ``~/.netrc`` entry); none when it names none."""
    try:
        return get_env_proxy_for_url(url)
    except LookupError:
        return NO_PROXY


class _AiohttpSender(AsyncHTTPSender[Any, Any]):
    """msrest's last pipeline step, sending with aiohttp in the event loop.

    One per kept client, so one service URL: the proxy for its origin is looked up on first use.
    """

    def __init__(self, http: OutboundHttp) -> None:
        self._http = http
        self._proxies: dict[URL, Proxy] = {}

    async def _proxy(self, url: URL) -> Proxy:
        origin = url.origin()
        found = self._proxies.get(origin)
        if found is None:
            found = await asyncio.to_thread(proxy_for, url)  # reads the environment and ~/.netrc
            if len(self._proxies) < MAX_ORIGINS:
                self._proxies[origin] = found
        return found

    async def __aenter__(self) -> _AiohttpSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """The session belongs to the adapter, which closes it."""

    async def send(self, request: Request[Any], **config: Any) -> Response[Any, Any]:
        outgoing = request.http_request
        try:
            proxy, proxy_auth = await self._proxy(URL(outgoing.url))
            async with self._http.session().request(
                outgoing.method,
                outgoing.url,
                headers=outgoing.headers,
                data=outgoing.data,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as raw:
                response = AioHttpClientResponse(outgoing, raw)
                await response.load_body()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ClientRequestError(f"Error occurred in request: {exc!r}") from exc
        return Response(request, response)


def _following(policy: AsyncHTTPPolicy[Any, Any]) -> AsyncHTTPPolicy[Any, Any] | AsyncHTTPSender[Any, Any]:
    """The pipeline's step after ``policy`` (msrest types it optional; a built pipeline has one)."""
    assert policy.next is not None, "a policy used outside msrest's pipeline"
    return policy.next


class _BearerToken(AsyncHTTPPolicy[Any, Any]):
    """Adds the bot's access token, as the SDK credentials' own signed session would."""

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request[Any], **kwargs: Any) -> Response[Any, Any]:
        app_id = getattr(self._credentials, "microsoft_app_id", None)
        if app_id and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            token = await asyncio.to_thread(self._credentials.get_access_token)
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        return await _following(self).send(request, **kwargs)


class _RetryTransient(AsyncHTTPPolicy[Any, Any]):
    """Retries a reply in a turn a couple of times, briefly, on a dropped connection, 429 or 502-504."""

    def __init__(self, delays: tuple[float, ...] = TURN_RETRY_DELAYS) -> None:
        super().__init__()
        self._delays = delays

    async def send(self, request: Request[Any], **kwargs: Any) -> Response[Any, Any]:
        for delay in self._delays:
            try:
                response = await _following(self).send(request, **kwargs)
            except ClientRequestError:
                await asyncio.sleep(delay)
                continue
            status = response.http_response.status_code
            if status not in TRANSIENT:
                return response
            asked = retry_after_seconds(response.http_response.headers.get("Retry-After"))
            if asked is not None and asked > self._delays[-1]:
                return response  # asked to wait longer than a person should wait for a reply
            await asyncio.sleep(max(delay, asked or 0.0))
        return await _following(self).send(request, **kwargs)


def send_with_aiohttp(client: ConnectorClient, http: OutboundHttp, *, retry: bool) -> ConnectorClient:
    """Give ``client`` a pipeline that sends through ``http`` (its credentials and policies kept),
    and a serialiser that writes ordinary replies directly (bot.reply_json)."""
    serializer = ReplySerializer(client._serialize.dependencies)  # type: ignore[no-untyped-call]
    serializer.client_side_validation = client._serialize.client_side_validation
    client._serialize = serializer
    for operations in (client.conversations, client.attachments):
        operations._serialize = serializer
    config = client.config
    policies: list[Any] = [
        config.user_agent_policy,
        _BearerToken(config.credentials),
        RawDeserializer(),
        config.http_logger_policy,
    ]
    if retry:
        policies.insert(0, _RetryTransient())
    config.pipeline = AsyncPipeline(policies, _AiohttpSender(http))
    return client


class SigningKeys:
    """Keeps the SDK's cache of the channel's signing keys fresh, fetching them in a worker thread.

    The SDK refreshes them when a day old, or when a token names a key it has
    not seen (at most hourly), with blocking ``requests`` calls that have no
    timeout, in the event loop. Refreshing before either happens, off the loop
    and with a timeout, means the SDK never has to; the keys stay cached in
    the SDK's own metadata object, shared by every request of the process.
    """

    REFRESH_AFTER = timedelta(hours=23)
    UNKNOWN_KEY_RETRY = timedelta(hours=1)  # as the SDK: a key id it has not seen refreshes at most hourly
    TIMEOUT = 10.0  # seconds for each of the two GETs

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None

    @staticmethod
    def _metadata() -> Any:
        url = (
            ChannelValidation.open_id_metadata_endpoint
            or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        )
        return JwtTokenExtractor.get_open_id_metadata(url)

    def _stale(self, metadata: Any, key_id: str) -> bool:
        now = datetime.now()  # the SDK keeps naive local times
        if metadata.last_updated <= now - self.REFRESH_AFTER:
            return True
        known = any(isinstance(key, dict) and key.get("kid") == key_id for key in metadata.keys)
        return not known and metadata.last_updated <= now - self.UNKNOWN_KEY_RETRY

    async def ensure_fresh(self, key_id: str) -> None:
        """Make sure the SDK will not fetch keys itself for a token signed with ``key_id``.

        Raises ``requests.RequestException`` (or ValueError for a broken
        document) when the keys cannot be fetched.
        """
        metadata = self._metadata()
        if not self._stale(metadata, key_id):
            return
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._stale(metadata, key_id):
                await asyncio.to_thread(self._refresh, metadata)

    def _refresh(self, metadata: Any) -> None:
        """What the SDK's own refresh does (two GETs), with timeouts, in a worker thread."""
        document = requests.get(metadata.url, timeout=self.TIMEOUT)
        document.raise_for_status()
        keys = requests.get(document.json()["jwks_uri"], timeout=self.TIMEOUT)
        keys.raise_for_status()
        found = keys.json()["keys"]
        if not isinstance(found, list):
            raise ValueError("the signing keys document has no list of keys")
        metadata.keys = found
        metadata.last_updated = datetime.now()


def _app_id(identity: ClaimsIdentity) -> str:
    """The bot's app id a request was addressed to (the channel's "aud", the emulator's "appid")."""
    claims = identity.claims or {}
    audience = claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
    return audience or claims.get(AuthenticationConstants.APP_ID_CLAIM) or ""


class ClientCache:
    """Connector clients by (app id, service URL, audience), least recently used dropped first."""

    def __init__(self, limit: int = MAX_CACHED_CLIENTS) -> None:
        self._limit = limit
        self._clients: OrderedDict[ClientKey, ConnectorClient] = OrderedDict()

    def get(self, key: ClientKey) -> ConnectorClient | None:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def put(self, key: ClientKey, client: ConnectorClient) -> ConnectorClient:
        """Keep ``client`` unless another turn stored one first; returns the one kept.

        Dropping a client needs no closing: the HTTP session is the shared one.
        """
        kept = self._clients.setdefault(key, client)
        self._clients.move_to_end(key)
        while len(self._clients) > self._limit:
            self._clients.popitem(last=False)
        return kept

    def clear(self) -> None:
        self._clients.clear()


class ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]  # botbuilder is untyped
    """Wraps the SDK's per-request factory; builds a client only the first time a key is seen."""

    def __init__(
        self,
        inner: ConnectorFactory,
        app_id: str,
        default_audience: str,
        cache: ClientCache,
        http: OutboundHttp,
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._default_audience = default_audience
        self._cache = cache
        self._http = http

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience or self._default_audience)
        client = self._cache.get(key)
        if client is None:
            built = send_with_aiohttp(await self._inner.create(service_url, audience), self._http, retry=True)
            client = self._cache.put(key, built)
        return client


class ReusingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]  # botbuilder is untyped
    """The SDK's authentication, unchanged, handing out connector factories that reuse clients.

    Every failure to authenticate becomes ``PermissionError`` (the SDK raises
    PyJWT, ``IndexError`` and plain ``Exception`` for some malformed or foreign
    tokens), so the endpoint can answer 401 for all of them; a failure to reach
    the signing keys becomes ``AuthenticationUnavailable`` (503) instead.
    """

    def __init__(
        self, inner: BotFrameworkAuthentication, *, app_id: str = "", refuse_all: bool = False
    ) -> None:
        self.inner = inner
        self._app_id = app_id
        self._refuse_all = refuse_all
        self._signing_keys = SigningKeys()
        self.http = OutboundHttp()
        self.clients = ClientCache()
        self._token_clients: dict[str, UserTokenClient] = {}

    def _factory(self, inner: ConnectorFactory, claims_identity: ClaimsIdentity) -> ReusingConnectorFactory:
        audience = self.inner.get_originating_audience()
        return ReusingConnectorFactory(inner, _app_id(claims_identity), audience, self.clients, self.http)

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        if self._refuse_all:
            raise PermissionError("No MicrosoftAppId is set and DEV_OPEN_ENDPOINT is false.")
        if self._app_id:  # with no app id the endpoint is open and the SDK accepts anonymous requests
            key_id = judge_without_keys(auth_header, self._app_id, activity.service_url, time.time())
            try:
                await self._signing_keys.ensure_fresh(key_id)
            except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                raise AuthenticationUnavailable(KEYS_UNAVAILABLE) from exc
        try:
            result = await self.inner.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except requests.RequestException as exc:
            raise AuthenticationUnavailable(KEYS_UNAVAILABLE) from exc
        except Exception as exc:  # the SDK signals some token faults with bare Exception
            raise PermissionError("The request's token was not accepted.") from exc
        result.connector_factory = self._factory(result.connector_factory, result.claims_identity)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._factory(self.inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await self.inner.create_user_token_client(claims_identity)
            client = self._token_clients.setdefault(app_id, client)
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        audience: str = self.inner.get_originating_audience()
        return audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


class ReusingCloudAdapter(CloudAdapter):  # type: ignore[misc]  # botbuilder is untyped
    """``CloudAdapter`` whose outbound clients are reused; call ``close()`` at shutdown."""

    def __init__(self, authentication: ReusingAuthentication, app_id: str) -> None:
        super().__init__(authentication)
        self.authentication = authentication
        self.app_id = app_id
        self._proactive = ClientCache()

    async def connector(self, service_url: str) -> ConnectorClient:
        """A reused client for messages the bot starts itself (invitations, summaries).

        Kept apart from the clients turns use, and with no retries of its own:
        ``bot.proactive`` decides when to try again (honouring Retry-After) and
        needs to see every status.
        """
        audience = self.authentication.get_originating_audience()
        key = (self.app_id, service_url, audience)
        client = self._proactive.get(key)
        if client is None:
            identity = self.create_claims_identity(self.app_id)
            factory = self.authentication.inner.create_connector_factory(identity)
            built = await factory.create(service_url, None)
            client = self._proactive.put(key, send_with_aiohttp(built, self.authentication.http, retry=False))
        return client

    async def close(self) -> None:
        """Forget the kept clients and close the shared HTTP session."""
        self.authentication.clients.clear()
        self._proactive.clear()
        await self.authentication.http.close()


def _sdk_configuration(settings: Settings) -> Any:
    """The attribute-style configuration object the SDK's factories read."""
    return SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password.reveal(),
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def use_signing_keys_of(metadata_url: str) -> None:
    """Check tokens against the keys the OpenID metadata at ``metadata_url`` names (BotOpenIdMetadata).

    The SDK reads the channel's metadata address from one class attribute, so
    this holds for the whole process. Plain http is refused but on the loopback
    address: whoever could alter the keys in transit could sign any token.
    """
    parts = urlsplit(metadata_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise SettingsError(
            f"BotOpenIdMetadata={metadata_url!r}: expected an https:// address (http:// only on 127.0.0.1)."
        )
    ChannelValidation.open_id_metadata_endpoint = metadata_url


def create_adapter(settings: Settings) -> ReusingCloudAdapter:
    """A CloudAdapter configured from settings (app id, password, type, tenant).

    With an app id, every request's token is validated by the SDK and a missing
    or bad token raises ``PermissionError`` (answer 401). With none, requests are
    accepted unauthenticated for local use, loudly logged, unless
    DEV_OPEN_ENDPOINT is false, in which case every request is refused.
    """
    warn_if_open(settings)
    if settings.app_type.lower() not in {name.lower() for name in APP_TYPES}:
        expected = ", ".join(APP_TYPES)
        raise SettingsError(f"MicrosoftAppType={settings.app_type!r}: expected one of {expected}.")
    use_signing_keys_of(settings.openid_metadata_url)
    try:
        inner = ConfigurationBotFrameworkAuthentication(_sdk_configuration(settings))
    except Exception as exc:  # the SDK reports a missing app id, password or tenant with bare Exception
        raise SettingsError(f"Bot authentication settings are incomplete: {exc}") from exc
    refuse = settings.is_open and not settings.dev_open_endpoint
    authentication = ReusingAuthentication(inner, app_id=settings.app_id, refuse_all=refuse)
    return ReusingCloudAdapter(authentication, settings.app_id)
