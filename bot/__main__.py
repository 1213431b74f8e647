"""``python -m bot [serve | invite | tick | send-reports | reminder-days | package | expert-questions |
answer-expert]``.

serve is the default.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from common.errors import SafeguardingBotError
from common.settings import Settings, settings_from_environment

log = logging.getLogger("bot")


def serve(settings: Settings) -> int:
    """Run the web app until interrupted; a start-up problem is one clear line and exit status 2."""
    from aiohttp import web

    from bot.app import create_app

    address = f"http://{settings.host}:{settings.port}/"
    log.info(
        "starting the bot on %s on the %s host (POST /api/messages; local chat page at / when running open)",
        address,
        settings.bot_host,
    )
    try:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None)
    except SafeguardingBotError as exc:
        log.error("the bot cannot start: %s", exc)
        return 2
    log.info("stopped serving %s", address)
    return 0


async def _answer_expert(settings: Settings, question_id: int, text: str) -> str:
    from datetime import UTC, datetime

    from bot.guidance_turns import answer_expert_question
    from bot.hosts import create_host
    from bot.proactive import ProactiveSender
    from storage.database import Database

    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    host = create_host(settings)
    try:
        await db.require_current_schema()
        sender = ProactiveSender(settings, host)
        return await answer_expert_question(
            db, sender, question_id, text, datetime.now(UTC).date(), settings.secret_bytes()
        )
    finally:
        await host.close()
        await db.close()


def answer_expert(settings: Settings, argv: Sequence[str]) -> int:
    """Record the safeguarding team's answer to question ID and send it to the person who asked."""
    parser = argparse.ArgumentParser(prog="python -m bot answer-expert", description=answer_expert.__doc__)
    parser.add_argument("id", type=int, help="the question's number, as shown to the team")
    parser.add_argument("text", help="the answer, in plain words")
    args = parser.parse_args(argv)
    try:
        outcome = asyncio.run(_answer_expert(settings, args.id, args.text))
    except SafeguardingBotError as exc:
        log.error("%s", exc)
        return 2
    log.info("%s", outcome)
    return 0


USAGE = """usage: python -m bot [command]

  serve                      run the bot and its local chat page (the default)
  invite --wave ID           invite every installed user to a survey wave
  tick [--now ISO]           do what is due now (reminders, closing waves, reports, deadlines);
                             run it every few minutes from cron, a systemd timer or a CronJob
  send-reports [--wave ID]   build a wave's reports and send each agency lead their summary and
                             signed link, and each board its report (Teams and/or email)
  reminder-days --wave ID --days 7,2
                             set a wave's own reminder schedule (days before it closes)
  package                    build the Teams app package (zip)
  expert-questions           list questions waiting for the safeguarding team
  answer-expert ID "TEXT"    record the safeguarding team's answer and send it to the asker
"""


async def _pending(settings: Settings) -> list[str]:
    from storage import experts
    from storage.database import Database

    db = await Database.open(settings.resolved_database_url)
    try:
        await db.require_current_schema()
        return [f"{q.id}\t{q.asked_month}\t{q.question}" for q in await experts.pending(db)]
    finally:
        await db.close()


def expert_questions(settings: Settings) -> int:
    """List the questions still waiting for the safeguarding team (id, date asked, question)."""
    try:
        lines = asyncio.run(_pending(settings))
    except SafeguardingBotError as exc:
        log.error("%s", exc)
        return 2
    sys.stdout.write("".join(f"{line}\n" for line in lines) or "No questions are waiting.\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"], ["help"]):
        sys.stdout.write(USAGE)
        return 0
    command = args.pop(0) if args and not args[0].startswith("-") else "serve"
    if command == "invite":
        from bot.invite import main as invite

        return invite(args)
    if command == "tick":
        from bot.tick import main as tick

        return tick(args)
    if command == "send-reports":
        from bot.send_reports import main as send_reports

        return send_reports(args)
    if command == "reminder-days":
        from bot.reminder_days import main as reminder_days

        return reminder_days(args)
    if command == "package":
        from bot.package import main as package

        return package(args)
    settings = settings_from_environment()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter says nothing to an operator
    if command == "serve":
        return serve(settings)
    if command == "answer-expert":
        return answer_expert(settings, args)
    if command == "expert-questions":
        return expert_questions(settings)
    sys.stderr.write(f"unknown command {command!r}\n{USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
