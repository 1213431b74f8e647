"""Long messages against the bot as a real process: what one costs, and what it does to /healthz.

Our bot runs as ``python -m bot`` on a fresh SQLite file (expectReplies, so no
connector is needed). Two figures, each over interleaved rounds so both sides
of every ratio see the same machine:

1. Cost of one message. A round sends ``--messages`` ordinary guidance
   questions ("what is a LADO?"), then as many long ones (the same question
   followed by realistic pasted prose, making a body just under MAX_BODY_BYTES,
   256 KB), one at a time. Cost is the CPU time per message of the bot's
   process and its worker processes (from /proc; TURN_WORKERS, waited for
   until ready), and the client-side latency. Target: long <= 20x ordinary.
2. /healthz under that load. An idle round polls /healthz ``--polls`` times,
   one after the other; a loaded round polls the same while ``--senders``
   clients each send long messages back to back. Target: the loaded median
   <= 2x the idle median.

Printed: per round, the medians; then the median over rounds with the spread
(lowest and highest round), and the ratios.

    .venv/bin/python -m bench.long_message_bench [--rounds 5] [--messages 20] [--polls 200] [--senders 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.load_bench import PYTHON, Server, activity, free_port
from common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

QUESTION = "what is a LADO?"
# Pasted case notes are what makes a message long in practice: ordinary words, not one repeated letter.
PROSE = (
    "I have been working with this family for a while and the school raised a worry last term about "
    "attendance and about the younger child seeming hungry at breakfast club. Mum says things are fine "
    "and dad was not at home when I visited. I am not sure whether this meets the threshold for a "
    "referral or whether I should speak to the designated lead first, and who else I should tell. "
)
SERVICE_URL = "http://127.0.0.1:9/amer/"  # never called: every reply comes back in the response


def long_text(limit: int) -> str:
    """The question, then prose, sized so the whole activity stays just under ``limit`` bytes."""
    target = limit - 2048  # room for the activity's other fields
    return (QUESTION + " " + PROSE * (target // len(PROSE) + 1))[:target]


def message(text: str) -> dict[str, object]:
    user = uuid.uuid4().hex
    return activity(SERVICE_URL, user, type="message", text=text, deliveryMode="expectReplies")


async def send(session: aiohttp.ClientSession, bot: Server, text: str) -> float:
    started = time.perf_counter()
    async with session.post(bot.url + "/api/messages", json=message(text)) as response:
        body = await response.read()
        if response.status != 200 or b'"activities"' not in body:
            raise SystemExit(f"unexpected answer: HTTP {response.status} {body[:200]!r}")
    return time.perf_counter() - started


async def cost_round(
    session: aiohttp.ClientSession, bot: Server, text: str, count: int
) -> tuple[float, float]:
    """(median client latency in ms, bot CPU ms per message) for ``count`` messages, one at a time."""
    cpu = bot.cpu_seconds()
    latencies = [await send(session, bot, text) for _ in range(count)]
    return statistics.median(latencies) * 1000, (bot.cpu_seconds() - cpu) / count * 1000


async def health_round(
    session: aiohttp.ClientSession, bot: Server, polls: int, senders: int, text: str
) -> tuple[float, int]:
    """(median /healthz latency in ms, long messages answered meanwhile) with ``senders`` loading it."""
    done = asyncio.Event()
    sent = 0

    async def load() -> None:
        nonlocal sent
        while not done.is_set():
            await send(session, bot, text)
            sent += 1

    loaders = [asyncio.create_task(load()) for _ in range(senders)]
    if senders:
        await asyncio.sleep(0.5)  # let the load start before measuring
    latencies = []
    try:
        for _ in range(polls):
            started = time.perf_counter()
            async with session.get(bot.url + "/healthz") as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)
    finally:
        done.set()
        await asyncio.gather(*loaders)
    return statistics.median(latencies) * 1000, sent


async def workers_ready(session: aiohttp.ClientSession, bot: Server, within: float = 120) -> str:
    """Wait until /readyz says every turn worker process is ready (long messages use threads until then)."""
    deadline = time.monotonic() + within
    while True:
        async with session.get(bot.url + "/readyz") as response:
            workers = str((await response.json()).get("turn_workers", "not reported"))
        ready, _, wanted = workers.partition(" of ")
        if workers == "not reported" or ready == wanted.split()[0] or time.monotonic() > deadline:
            return workers
        await asyncio.sleep(0.2)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.2f}  [{min(values):.2f} .. {max(values):.2f}]"


async def main_async(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="long-message-bench-"))
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "REPORT_DIR": str(workdir / "reports"),
        "CONTENT_SUGGESTIONS_FILE": str(workdir / "suggestions.jsonl"),
    }
    migrate = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "storage", "upgrade", cwd=ROOT, env={**os.environ, **env}
    )
    if await migrate.wait() != 0:
        raise SystemExit("python -m storage upgrade failed")
    bot = Server("ours", [PYTHON, "-m", "bot"], port, "/readyz", env=env)
    long = long_text(Settings.from_env(os.environ).max_body_bytes)
    body_bytes = len(json.dumps(message(long)).encode())
    ordinary: list[tuple[float, float]] = []
    lengthy: list[tuple[float, float]] = []
    idle: list[float] = []
    loaded: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        try:
            await bot.start(session)
            print(f"turn workers: {await workers_ready(session, bot)}", flush=True)
            await cost_round(session, bot, QUESTION, 3)  # warm-up, not measured
            await cost_round(session, bot, long, 3)
            for n in range(args.rounds):
                ordinary.append(await cost_round(session, bot, QUESTION, args.messages))
                lengthy.append(await cost_round(session, bot, long, args.messages))
                idle.append((await health_round(session, bot, args.polls, 0, long))[0])
                busy, answered = await health_round(session, bot, args.polls, args.senders, long)
                loaded.append(busy)
                print(
                    f"round {n + 1}: ordinary {ordinary[-1][0]:.1f} ms, {ordinary[-1][1]:.1f} ms CPU; "
                    f"long {lengthy[-1][0]:.1f} ms, {lengthy[-1][1]:.1f} ms CPU; "
                    f"/healthz idle {idle[-1]:.2f} ms, under load {busy:.2f} ms "
                    f"({answered} long messages answered meanwhile)",
                    flush=True,
                )
        finally:
            await bot.stop()
    print()
    print(f"{args.rounds} interleaved rounds; long message: {body_bytes:,} bytes, {len(long):,} characters")
    print("                                median  [lowest .. highest round]")
    print(f"ordinary message, latency ms  {spread([o[0] for o in ordinary])}")
    print(f"ordinary message, bot CPU ms  {spread([o[1] for o in ordinary])}")
    print(f"long message, latency ms      {spread([x[0] for x in lengthy])}")
    print(f"long message, bot CPU ms      {spread([x[1] for x in lengthy])}")
    print(f"/healthz idle, ms             {spread(idle)}")
    print(f"/healthz, {args.senders} long senders, ms  {spread(loaded)}")
    cpu_ratio = [x[1] / o[1] for o, x in zip(ordinary, lengthy, strict=True)]
    latency_ratio = [x[0] / o[0] for o, x in zip(ordinary, lengthy, strict=True)]
    health_ratio = [b / i for i, b in zip(idle, loaded, strict=True)]
    print(f"long / ordinary, bot CPU      {spread(cpu_ratio)}   target <= 20")
    print(f"long / ordinary, latency      {spread(latency_ratio)}   target <= 20")
    print(f"/healthz loaded / idle        {spread(health_ratio)}   target <= 2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--messages", type=int, default=20, help="messages of each kind per round")
    parser.add_argument("--polls", type=int, default=200, help="/healthz requests per round")
    parser.add_argument("--senders", type=int, default=4, help="clients sending long messages in the load")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
