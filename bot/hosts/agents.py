"""The Microsoft 365 Agents SDK host (``microsoft-agents-hosting-aiohttp``), the Bot Framework
SDK's successor, chosen with BOT_HOST=agents.

The SDK authenticates as it does itself: ``JwtTokenValidator`` checks every
channel token against the Bot Framework's published keys (PyJWT's key client,
cached per process), and ``MsalConnectionManager`` gets the bot's own tokens
for replies and proactive sends from Entra ID. Two checks of the project stay
in front of it: a token is first judged without keys (bot.tokens), so a forged
one is a 401 before any key is fetched and one without a key id never reaches
the SDK's validator (which answers that with an unhandled KeyError); and a
failure to reach the keys is a 503, not a 401, so Teams tries again.

Turns run through the SDK's ``CloudAdapter.process_activity`` on the body the
endpoint has already read and checked (bot.inbound), not on the raw request,
so every check there applies to this host too. The SDK clears the id of
every activity it sends; an expectReplies client needs ours, so they are put
back on the buffered replies after each send.

Proactive sends run through ``continue_conversation_with_claims``, which
authenticates and builds the connector client as the SDK does; the message is
then posted as a new message of the conversation (``/v3/conversations/{id}/activities``),
as the Bot Framework host posts it, not as a reply to the SDK's made-up
continuation activity. Without an app id (open local use) they go out
unauthenticated, as the endpoint accepts them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import jwt
import pydantic
import requests
from botbuilder.schema import Activity
from microsoft_agents.activity import Activity as AgentsActivity
from microsoft_agents.activity import ActivityTypes, ConversationReference, InvokeResponse
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AuthenticationConstants,
    AuthTypes,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.hosts.errors import (
    AuthenticationUnavailable,
    ConnectionFailed,
    NotAConnector,
    SendFailed,
    warn_if_open,
)
from bot.hosts.seam import Answer, OnTurn, TurnOn
from bot.inbound import MalformedActivity
from bot.tokens import KEYS_UNAVAILABLE, judge_without_keys
from common.errors import SettingsError
from common.settings import Settings

#: The tenant whose Entra ID issues a multi-tenant bot's tokens, as for the Bot Framework SDK.
MULTI_TENANT_AUTHORITY = "botframework.com"
CREDENTIALS_UNAVAILABLE = "The bot's own access token could not be obtained from Entra ID."
#: Whom the bot's own tokens are for: the Bot Connector.
CONNECTOR_AUDIENCE = AuthenticationConstants.AGENTS_SDK_SCOPE


def to_agents(activity: Activity) -> AgentsActivity:
    """The same activity as the Agents SDK's model (both follow the Bot Framework activity schema)."""
    return AgentsActivity.model_validate(activity.serialize())


class AgentsTurn(TurnOn):
    """One turn on an Agents SDK ``TurnContext``."""

    _ctx: TurnContext

    async def send(self, activities: Sequence[Activity]) -> None:
        if not activities:
            return
        wanted = [activity.id for activity in activities]
        await self._ctx.send_activities([to_agents(activity) for activity in activities])
        if self._ctx.activity.delivery_mode == "expectReplies":
            # The SDK buffers the very objects it sent, their ids cleared; give ours back.
            buffered = self._ctx.buffered_reply_activities[-len(wanted) :]
            for sent, activity_id in zip(buffered, wanted, strict=True):
                sent.id = activity_id

    async def update(self, activity: Activity) -> None:
        await self._ctx.update_activity(to_agents(activity))

    async def answer_invoke(self, body: Mapping[str, Any]) -> None:
        response = InvokeResponse(status=200, body=dict(body))
        await self._ctx.send_activity(AgentsActivity(type=ActivityTypes.invoke_response, value=response))


class AgentsHost:
    """The Agents SDK host: its ``CloudAdapter``, token validator and MSAL connections."""

    name = "agents"

    def __init__(
        self,
        adapter: CloudAdapter,
        auth: AgentAuthConfiguration,
        *,
        app_id: str = "",
        refuse_all: bool = False,
    ) -> None:
        self.adapter = adapter
        self._auth = auth
        self._app_id = app_id
        self._refuse_all = refuse_all

    async def authenticate(self, auth_header: str, service_url: str | None) -> ClaimsIdentity:
        """Who sent the request, as the SDK validates it; PermissionError (401), AuthenticationUnavailable."""
        if self._refuse_all:
            raise PermissionError("No MicrosoftAppId is set and DEV_OPEN_ENDPOINT is false.")
        if not self._app_id:
            return ClaimsIdentity()  # open local use: anonymous, as the SDK's ANONYMOUS_ALLOWED
        judge_without_keys(auth_header, self._app_id, service_url, time.time())
        token = auth_header.partition(" ")[2]
        try:
            return await JwtTokenValidator(self._auth).validate_token(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthenticationUnavailable(KEYS_UNAVAILABLE) from exc
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise PermissionError("The request's token was not accepted.") from exc

    async def handle(
        self, auth_header: str, body: Mapping[str, Any], activity: Activity, on_turn: OnTurn
    ) -> Answer:
        identity = await self.authenticate(auth_header, activity.service_url)
        try:
            incoming = AgentsActivity.model_validate(dict(body))
        except pydantic.ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "the activity"
            raise MalformedActivity(f"{where} is not a valid activity field") from exc

        async def logic(ctx: TurnContext) -> None:
            await on_turn(AgentsTurn(ctx, activity))

        try:
            response = await self.adapter.process_activity(identity, incoming, logic)
        except (ValueError, requests.RequestException, aiohttp.ClientError) as exc:
            # The turn itself never raises (the handler answers every failure); this is the SDK getting
            # the bot's own token from Entra ID, which it does before every authenticated turn.
            raise AuthenticationUnavailable(CREDENTIALS_UNAVAILABLE) from exc
        if response is None:
            return Answer(202)
        return Answer(int(response.status or 200), response.body)

    def _proactive_identity(self) -> ClaimsIdentity:
        return self.adapter.create_claims_identity(self._app_id) if self._app_id else ClaimsIdentity()

    async def send_proactive(self, reference: Mapping[str, Any], activity: Activity) -> str | None:
        ref = ConversationReference.model_validate(dict(reference))
        sent: list[str | None] = []

        async def logic(ctx: TurnContext) -> None:
            # Posted as a new message of the conversation, as the Bot Framework host does: the SDK's
            # own send would reply to the continuation activity, an id Teams never issued.
            client = ctx.services.get(ConnectorClientBase)  # type: ignore[type-abstract]  # keyed by the base
            if client is None:  # the SDK sets one for every proactive turn
                raise ConnectionFailed("the SDK gave no connector client for the conversation")
            outgoing = TurnContext.apply_conversation_reference(to_agents(activity), ref)
            response = await client.conversations.send_to_conversation(ref.conversation.id, outgoing)
            if response is None or not getattr(response, "id", None):
                # The SDK hands back nothing for an error page or an empty body: never count it as sent.
                raise NotAConnector("the service answered with something other than a Bot Connector reply")
            sent.append(response.id)

        try:
            await self.adapter.continue_conversation_with_claims(
                self._proactive_identity(), ref.get_continuation_activity(), logic, CONNECTOR_AUDIENCE
            )
        except aiohttp.ClientResponseError as exc:
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            raise SendFailed(exc.status, retry_after) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConnectionFailed(str(exc)) from exc
        except pydantic.ValidationError as exc:
            raise NotAConnector(
                "the service answered with something other than a Bot Connector reply"
            ) from exc
        return sent[0] if sent else None

    async def close(self) -> None:
        """Nothing is kept: the SDK opens and closes its connector clients per turn."""


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's connection settings from the bot's (MicrosoftAppId, password, type, tenant)."""
    kind = settings.app_type.lower()
    if kind == "multitenant":
        auth_type, tenant = AuthTypes.client_secret, settings.app_tenant_id or MULTI_TENANT_AUTHORITY
    elif kind == "singletenant":
        auth_type, tenant = AuthTypes.client_secret, settings.app_tenant_id
    elif kind == "userassignedmsi":
        auth_type, tenant = AuthTypes.user_managed_identity, settings.app_tenant_id
    else:
        expected = "MultiTenant, SingleTenant, UserAssignedMSI"
        raise SettingsError(f"MicrosoftAppType={settings.app_type!r}: expected one of {expected}.")
    if settings.app_id and kind != "multitenant" and not tenant:
        raise SettingsError("Bot authentication settings are incomplete: MicrosoftAppTenantId is required.")
    return AgentAuthConfiguration(
        auth_type=auth_type,
        client_id=settings.app_id or None,
        tenant_id=tenant or None,
        client_secret=settings.app_password.reveal() or None,
        anonymous_allowed=not settings.app_id,
    )


def create_agents_host(settings: Settings) -> AgentsHost:
    """The Agents SDK host from settings (refusing every request when running open is not allowed).

    BotOpenIdMetadata is refused rather than ignored: this SDK takes the channel's signing keys
    from its own configuration, so a changed value would silently not apply.
    """
    if settings.openid_metadata_url != Settings.from_env({}).openid_metadata_url:
        raise SettingsError(
            "BotOpenIdMetadata applies only to BOT_HOST=botbuilder; leave it unset with agents."
        )
    warn_if_open(settings)
    auth = auth_configuration(settings)
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})
    adapter = CloudAdapter(connection_manager=connections)
    # The SDK's default turn-error handler prints the traceback and sends the error's text to the
    # person (for a failed proactive send: sends again, to the same throttled connector). The bot's
    # handler apologises itself; anything that still escapes is the caller's to handle.
    adapter.on_turn_error = None
    refuse = settings.is_open and not settings.dev_open_endpoint
    return AgentsHost(adapter, auth, app_id=settings.app_id, refuse_all=refuse)
