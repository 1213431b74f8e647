"""Sends benchmark: invitations to thousands of people, paced to Teams' limit of 50 a second.

A fake Bot Connector (tests.helpers.fake_connector) enforces the limit as Teams
does: more than ``--limit`` sends to one tenant in any second are answered 429
with Retry-After. The bot (``python -m bot``, on a fresh SQLite file) is
installed by ``--people`` practitioners over HTTP (expectReplies, so nothing
reaches the connector yet) and stopped; then ``python -m bot invite`` sends the
wave's invitation to everyone. Printed: the time the invite run took, the
achieved rate against the limit (target: at least 90% of it), how many sends
the connector throttled, and whether anyone was messaged twice or missed.

``--baseline`` first runs the same invitations with pacing off
(TEAMS_SENDS_PER_SECOND=0), so the connector's 429s do the throttling, as the
bot did before it paced itself: the strongest simple alternative.

    .venv/bin/python bench/sends_bench.py [--people 15000] [--limit 50] [--baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from load_bench import PYTHON, ROOT, Server, activity, free_port


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


async def invite(env: dict[str, str]) -> tuple[float, str]:
    """Run ``python -m bot invite`` for wave 1; its wall time and what it printed."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        "invite",
        "--wave",
        "1",
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return time.perf_counter() - started, out.decode().strip().splitlines()[-1] if out else ""


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
        seconds, said = await invite(env)
        async with session.get(connector.url + "/_fake/counts") as response:
            counts = await response.json()
        async with session.get(connector.url + "/_fake/recipients") as response:
            recipients = await response.json()
    finally:
        await bot.stop()
        await connector.stop()
    return {"seconds": seconds, "said": said, "counts": counts, "recipients": recipients}


def describe(name: str, run: dict[str, Any], people: int, limit: int) -> bool:
    """Print one run; True when everyone got exactly one invitation at >= 90% of the limit."""
    rate = people / run["seconds"]
    recipients = run["recipients"]
    ok = recipients["conversations"] == people and recipients["most"] == 1
    print(
        f"{name}: {people} people invited in {run['seconds']:.1f} s = {rate:.1f} messages/s "
        f"= {rate / limit:.0%} of the {limit}/s limit; throttled by the connector "
        f"{run['counts'].get('throttled', 0)} times; reached {recipients['conversations']}, "
        f"most messages to one person {recipients['most']}"
    )
    print(f"  the invite command said: {run['said']}")
    return ok and rate >= 0.9 * limit


async def main_async(args: argparse.Namespace) -> int:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        if args.baseline:
            describe("unpaced (429s throttle)", await one_run(args, 0, session), args.people, args.limit)
        met = describe("paced", await one_run(args, args.limit, session), args.people, args.limit)
    print(f"target (paced: >= 90% of the limit, everyone exactly once): {'met' if met else 'NOT met'}")
    return 0 if met else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=15000)
    parser.add_argument("--limit", type=int, default=50, help="the connector's sends per tenant per second")
    parser.add_argument("--baseline", action="store_true", help="also run with pacing off, first")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
