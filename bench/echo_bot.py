"""The baselines of bench/load_bench.py: Microsoft's echo bot sample, on two adapters.

Same shape as the botbuilder-python "02.echo-bot" sample: an ActivityHandler
that echoes each message and greets members added.

- ``--adapter stock`` (default): ``ConfigurationBotFrameworkAuthentication``
  from a config object with no app id and ``CloudAdapter.process`` behind
  ``POST /api/messages``, untouched: whatever the stock adapter costs per turn.
- ``--adapter ours``: the same bot behind the project's adapter
  (``bot.hosts.adapter.create_adapter``, which reuses connector and token clients per
  service URL), the body parsed and read into an ``Activity`` the way ``bot.app``
  does it (``bot.activity_json``, msrest's objects built directly).
  This is the floor a turn of our bot can reach on this framework: everything
  above it is the survey, the guidance and the storage.

    .venv/bin/python -m bench.echo_bot --port 3979 [--adapter ours]
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ChannelAccount


class DefaultConfig:
    """The sample's configuration: no app id or password, so requests are not authenticated."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        # The sample greets everyone added except the bot itself.
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity("Hello and welcome!")

    async def on_message_activity(self, turn_context: TurnContext):
        text = f"Echo: {turn_context.activity.text}"
        return await turn_context.send_activity(MessageFactory.text(text, text))


async def _on_error(context: TurnContext, error: Exception) -> None:
    print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
    traceback.print_exc()
    await context.send_activity("The bot encountered an error or bug.")


def stock_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))
    adapter.on_turn_error = _on_error
    bot = EchoBot()

    async def messages(req: web.Request) -> web.Response:
        return await adapter.process(req, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def our_adapter_app() -> web.Application:
    """The echo bot on ``bot.hosts.adapter.create_adapter`` (open local mode, as the stock sample runs)."""
    from bot.activity_json import read_activity_model
    from bot.hosts.adapter import create_adapter
    from common.settings import settings_from_environment

    adapter = create_adapter(settings_from_environment())
    adapter.on_turn_error = _on_error
    bot = EchoBot()

    async def messages(req: web.Request) -> web.Response:
        activity = read_activity_model(json.loads(await req.read()))
        response = await adapter.process_activity(req.headers.get("Authorization", ""), activity, bot.on_turn)
        if response is None:
            return web.Response(status=202)
        body = response.body if isinstance(response.body, dict | list) else serializer_helper(response.body)
        return web.json_response(body, status=int(response.status or 200))

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Echo bot (benchmark baseline).")
    parser.add_argument("--port", type=int, default=3979)
    parser.add_argument("--adapter", choices=("stock", "ours"), default="stock")
    args = parser.parse_args()
    app = stock_app() if args.adapter == "stock" else our_adapter_app()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
