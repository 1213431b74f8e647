"""The baseline of bench/load_bench.py: Microsoft's echo bot sample, on the stock CloudAdapter.

Same shape as the botbuilder-python "02.echo-bot" sample: an ActivityHandler
that echoes each message, ``ConfigurationBotFrameworkAuthentication`` from a
config object with no app id (open, as the sample runs locally), and
``CloudAdapter.process`` behind ``POST /api/messages``. Nothing is tuned:
whatever the stock adapter costs per turn is what this measures.

    .venv/bin/python bench/echo_bot.py --port 3979
"""

from __future__ import annotations

import argparse
import sys
import traceback

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
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


def create_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))
    bot = EchoBot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
        traceback.print_exc()
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error

    async def messages(req: web.Request) -> web.Response:
        return await adapter.process(req, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Stock echo bot (benchmark baseline).")
    parser.add_argument("--port", type=int, default=3979)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
