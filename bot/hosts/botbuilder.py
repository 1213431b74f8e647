"""The Bot Framework SDK host (``botbuilder-core``, the default): turns through the project's
``ReusingCloudAdapter`` (bot.hosts.adapter), proactive sends through its reused connector clients.

The SDK's ``TurnContext`` clears the id of every activity it sends; an
expectReplies client needs ours (it quotes them back as a card submission's
replyToId), so they are kept on a private attribute that survives the SDK's
deep copy and put back just before the replies are buffered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext, serializer_helper
from botbuilder.schema import Activity, ActivityTypes, ConversationReference
from msrest.exceptions import (  # type: ignore[attr-defined]  # msrest re-exports DeserializationError from azure.core undeclared
    ClientRequestError,
    DeserializationError,
    HttpOperationError,
)

from bot.hosts.adapter import ReusingCloudAdapter, create_adapter
from bot.hosts.errors import ConnectionFailed, NotAConnector, SendFailed
from bot.hosts.seam import Answer, OnTurn, TurnOn
from common.settings import Settings

WANTED_ID = "_wanted_id"  # a plain attribute: survives TurnContext's deepcopy, never serialised
STAMPING = "bot.hosts.botbuilder.stamping"


async def _stamp_ids(ctx: TurnContext, activities: list[Activity], send: Callable[[], Awaitable[Any]]) -> Any:
    for activity in activities:
        wanted = getattr(activity, WANTED_ID, None)
        if wanted:
            activity.id = wanted
    return await send()


class BotbuilderTurn(TurnOn):
    """One turn on a botbuilder ``TurnContext``."""

    _ctx: TurnContext

    async def send(self, activities: Sequence[Activity]) -> None:
        if not activities:
            return
        for activity in activities:
            if activity.id:
                setattr(activity, WANTED_ID, activity.id)
        if not self._ctx.turn_state.get(STAMPING):
            self._ctx.turn_state[STAMPING] = True
            self._ctx.on_send_activities(_stamp_ids)
        await self._ctx.send_activities(list(activities))

    async def update(self, activity: Activity) -> None:
        await self._ctx.update_activity(activity)

    async def answer_invoke(self, body: Mapping[str, Any]) -> None:
        await self._ctx.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=dict(body)))
        )


class BotbuilderHost:
    """The Bot Framework SDK host over the project's adapter (``adapter.close()`` is called at close)."""

    name = "botbuilder"

    def __init__(self, adapter: ReusingCloudAdapter) -> None:
        self.adapter = adapter

    async def handle(
        self, auth_header: str, body: Mapping[str, Any], activity: Activity, on_turn: OnTurn
    ) -> Answer:
        async def logic(ctx: TurnContext) -> None:
            await on_turn(BotbuilderTurn(ctx, ctx.activity))

        response = await self.adapter.process_activity(auth_header, activity, logic)
        if response is None:
            return Answer(202)
        payload = (
            response.body
            if isinstance(response.body, dict | list) or response.body is None
            else serializer_helper(response.body)
        )
        return Answer(int(response.status or 200), payload)

    async def send_proactive(self, reference: Mapping[str, Any], activity: Activity) -> str | None:
        ref = ConversationReference().deserialize(dict(reference))
        # A fresh copy per send: apply_conversation_reference changes what it is given.
        outgoing = TurnContext.apply_conversation_reference(Activity().deserialize(activity.serialize()), ref)
        client = await self.adapter.connector(ref.service_url)
        try:
            response = await client.conversations.send_to_conversation(ref.conversation.id, outgoing)
        except HttpOperationError as exc:
            raise SendFailed(*_status_and_retry_after(exc)) from exc
        except DeserializationError as exc:
            raise NotAConnector(str(exc)) from exc
        except ClientRequestError as exc:
            raise ConnectionFailed(str(exc)) from exc
        return getattr(response, "id", None)

    async def close(self) -> None:
        await self.adapter.close()


def _status_and_retry_after(exc: HttpOperationError) -> tuple[int | None, str | None]:
    """The HTTP status and Retry-After of a failed call (aiohttp or requests response underneath)."""
    response = exc.response
    if response is None:
        return None, None
    status = getattr(response, "status", None) or getattr(response, "status_code", None)
    return status, response.headers.get("Retry-After")


def create_botbuilder_host(settings: Settings) -> BotbuilderHost:
    """The default host: the project's reusing ``CloudAdapter`` configured from settings."""
    return BotbuilderHost(create_adapter(settings))
