"""Sends benchmark: invitations and reminders to thousands of people, paced to Teams' 50 a second.

A fake Bot Connector (tests.helpers.fake_connector) enforces the limit as Teams
does: more than ``--limit`` sends to one tenant in any second are answered 429
with Retry-After. The bot (``python -m bot``, on a fresh SQLite file) is
installed by ``--people`` practitioners over HTTP (expectReplies, so nothing
reaches the connector yet) and stopped; then ``python -m bot invite`` sends the
wave's invitation to everyone, and ``python -m bot tick --now`` on the wave's
first reminder day sends everyone (nobody has answered) the reminder; a second
tick must send nothing. Printed for each: the time the run took, the achieved
rate against the limit (target: at least 90% of it), how many sends the
connector throttled, whether anyone was messaged twice or missed, and the
command's CPU time per person (what decides whether a busy machine keeps up).

``--baseline`` first runs the same invitations with pacing off
(TEAMS_SENDS_PER_SECOND=0), so the connector's 429s do the throttling, as the
bot did before it paced itself: the strongest simple alternative.

    .venv/bin/python -m bench.sends_bench [--people 15000] [--limit 50] [--baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.load_bench import PYTHON, ROOT, Server, activity, free_port


async def install(session: aiohttp.ClientSession, bot: Server, service_url: str, people: int) -> None:
    """Every practitioner adds the bot in Teams (the bot stores where to reach them)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(people):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body = activity(
                service_url,
                f"person-{n}",
                type="conversationUpdate",
                membersAdded=[{"id": "28:bench-bot"}],
                deliveryMode="expectReplies",
            )
            async with session.post(bot.url + "/api/messages", json=body) as response:
                await response.read()
                if response.status >= 300:
                    raise SystemExit(f"install {n} answered HTTP {response.status}")

    await asyncio.gather(*(worker() for _ in range(32)))


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def command(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run ``python -m bot ARGS``; its wall time, its CPU seconds, and the lines it printed last."""
    cpu = children_cpu()
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    lines = [line for line in out.decode().splitlines() if line and not line.startswith(("WARNING", "INFO"))]
    return time.perf_counter() - started, children_cpu() - cpu, " | ".join(lines[-3:])


async def recipients(session: aiohttp.ClientSession, connector: Server) -> dict[str, Any]:
    async with session.get(connector.url + "/_fake/recipients") as response:
        return dict(await response.json())


async def counts(session: aiohttp.ClientSession, connector: Server) -> dict[str, int]:
    async with session.get(connector.url + "/_fake/counts") as response:
        return dict(await response.json())


async def one_run(args: argparse.Namespace, pace: int, session: aiohttp.ClientSession) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sends-bench-"))
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "HOST": "127.0.0.1",
        "SECRET_KEY": "sends-bench-" + secrets.token_hex(16),
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "REPORT_DIR": str(workdir / "reports"),
        "TEAMS_SENDS_PER_SECOND": str(pace),
    }
    upgrade = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "storage", "upgrade", cwd=ROOT, env={**os.environ, **env}
    )
    if await upgrade.wait() != 0:
        raise SystemExit("python -m storage upgrade failed")
    connector_port, bot_port = free_port(), free_port()
    fake = [PYTHON, "-m", "tests.helpers.fake_connector", "--port", str(connector_port)]
    connector = Server("connector", [*fake, "--per-second", str(args.limit)], connector_port, "/_fake/counts")
    bot = Server("bot", [PYTHON, "-m", "bot"], bot_port, "/healthz", env={**env, "PORT": str(bot_port)})
    try:
        await connector.start(session)
        await bot.start(session)
        await install(session, bot, f"{connector.url}/amer/", args.people)
        await bot.stop()
        runs: dict[str, Any] = {}
        seconds, cpu, said = await command(env, "invite", "--wave", "1")
        runs["invite"] = {
            "seconds": seconds,
            "cpu": cpu,
            "said": said,
            "counts": await counts(session, connector),
        }
        runs["invite"]["recipients"] = await recipients(session, connector)
        # The wave opened today for the partnership's 42 days; its first reminder round is 7 days before.
        first_round = (date.today() + timedelta(days=42 - 7)).isoformat()
        seconds, cpu, said = await command(env, "tick", "--now", f"{first_round}T09:00")
        after = await counts(session, connector)
        throttled = after.get("throttled", 0) - runs["invite"]["counts"].get("throttled", 0)
        runs["reminders"] = {"seconds": seconds, "cpu": cpu, "said": said, "counts": {"throttled": throttled}}
        runs["reminders"]["recipients"] = await recipients(session, connector)
        _, _, said = await command(env, "tick", "--now", f"{first_round}T09:05")
        runs["again"] = {"said": said, "recipients": await recipients(session, connector)}
    finally:
        await bot.stop()
        await connector.stop()
    return runs


def describe(name: str, run: dict[str, Any], people: int, limit: int, each: int) -> bool:
    """Print one run; True when everyone got exactly ``each`` messages so far at >= 90% of the limit."""
    rate = people / run["seconds"]
    recipients = run["recipients"]
    ok = recipients["conversations"] == people and recipients["most"] == recipients["least"] == each
    print(
        f"{name}: {people} people in {run['seconds']:.1f} s = {rate:.1f} messages/s "
        f"= {rate / limit:.0%} of the {limit}/s limit; throttled by the connector "
        f"{run['counts'].get('throttled', 0)} times; reached {recipients['conversations']}, "
        f"messages per person so far {recipients['least']} to {recipients['most']} (expected {each}); "
        f"the command used {run['cpu'] * 1000 / people:.1f} ms of CPU per person"
    )
    print(f"  the command said: {run['said']}")
    return ok and rate >= 0.9 * limit


async def main_async(args: argparse.Namespace) -> int:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        if args.baseline:
            describe(
                "unpaced invitations (429s throttle)",
                (await one_run(args, 0, session))["invite"],
                args.people,
                args.limit,
                1,
            )
        runs = await one_run(args, args.limit, session)
    met = describe("paced invitations (bot invite)", runs["invite"], args.people, args.limit, 1)
    met &= describe("paced reminders (bot tick)", runs["reminders"], args.people, args.limit, 2)
    again = runs["again"]["recipients"]
    nothing_more = again["most"] == again["least"] == 2
    verdict = "sent nothing" if nothing_more else "SENT AGAIN"
    print(f"a second tick minutes later: {verdict} ({runs['again']['said']})")
    met &= nothing_more
    print(
        f"target (paced: >= 90% of the limit, everyone exactly once each time): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=15000)
    parser.add_argument("--limit", type=int, default=50, help="the connector's sends per tenant per second")
    parser.add_argument("--baseline", action="store_true", help="also run with pacing off, first")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
