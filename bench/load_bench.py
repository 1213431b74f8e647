"""Load benchmark: N simulated practitioners completing the survey through /api/messages.

Three processes on 127.0.0.1: a fake Bot Connector (tests.helpers.fake_connector,
which every reply is posted to, as Teams receives them), the stock echo bot
(bench/echo_bot.py, the baseline) and our bot (``python -m bot`` on a fresh
SQLite file, persisting every turn). Each simulated user installs the bot, then
types a whole questionnaire, one turn after the other (normal deliveryMode:
the bot answers 200/201 once its replies have reached the connector); the
users run concurrently. The echo bot gets the same messages from the same
number of users. Rounds are interleaved (echo, ours, echo, ours, ...) so both
see the same machine; each round is bounded by --users x the script and by
--seconds. Printed per server: turns/second, p50/p95/p99 turn latency (client
side), the server process's CPU time per turn, its peak RSS (VmHWM), and
the ratios ours/echo. --also-stock-adapter adds our app on the stock
CloudAdapter as a third series, to show what bot.adapter's reuse buys.

    .venv/bin/python bench/load_bench.py [--users 100] [--rounds 2] [--seconds 120] [--also-stock-adapter]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.cli import table_counts  # noqa: E402 - after the path set-up above
from storage.database import Database  # noqa: E402

PYTHON = sys.executable
TENANT = "bench-tenant"
# One practitioner's whole questionnaire, typed (typed answers are always accepted):
# children's services, no concern raised (so two items are skipped), the last text skipped.
SCRIPT = (
    "start survey",
    "Children's Social Care",
    "Children and families",
    "Frontline practitioner",
    "6 to 12 months ago",
    "Agree",
    "Agree",
    "Strongly agree",
    "Agree",
    "No",
    "Agree",
    "Not needed",
    "Yes",
    "Neither agree nor disagree",
    "Agree",
    "Neglect Tool",
    "Agree",
    "4",
    "More time for reflective supervision",
    "skip",
    "submit",
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A server subprocess; ``peak_rss_kib`` reads its high-water mark of resident memory."""

    name: str
    command: list[str]
    port: int
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, session: aiohttp.ClientSession, within: float = 60.0) -> None:
        env = {**os.environ, **self.env}
        self.process = await asyncio.create_subprocess_exec(*self.command, cwd=ROOT, env=env)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise SystemExit(f"{self.name} exited at start with status {self.process.returncode}")
            try:
                async with session.get(self.url + self.ready_path) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise SystemExit(f"{self.name} did not start within {within:.0f} s")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_kib(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def activity(service_url: str, user: str, **fields: Any) -> dict[str, Any]:
    """A Teams personal-chat activity from ``user`` (shaped as Teams sends them)."""
    return {
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{user}", "name": "Practitioner", "aadObjectId": user},
        "recipient": {"id": "28:bench-bot", "name": "Safeguarding"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        **fields,
    }


def turns_of(service_url: str, user: str) -> list[dict[str, Any]]:
    """The install, then every line of the script as a message."""
    install = activity(
        service_url,
        user,
        type="conversationUpdate",
        membersAdded=[{"id": "28:bench-bot"}],
    )
    return [install] + [activity(service_url, user, type="message", text=text) for text in SCRIPT]


@dataclass
class Round:
    server: str
    turns: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the server process's CPU time during the round
    latencies: list[float] = field(default_factory=list)


async def run_round(
    session: aiohttp.ClientSession, server: Server, service_url: str, users: int, label: str, seconds: float
) -> Round:
    result = Round(server.name)
    deadline = time.monotonic() + seconds

    async def practitioner(n: int) -> None:
        for body in turns_of(service_url, f"{label}-{n}"):
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            async with session.post(server.url + "/api/messages", json=body) as response:
                await response.read()
                ok = response.status < 300
            result.latencies.append(time.perf_counter() - started)
            result.turns += 1
            if not ok:
                result.errors += 1
                if result.errors <= 3:
                    print(f"  {server.name}: HTTP {response.status} on {body.get('text')!r}", file=sys.stderr)

    cpu = server.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(practitioner(n) for n in range(users)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = server.cpu_seconds() - cpu
    return result


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


@dataclass
class Figures:
    turns: int
    errors: int
    seconds: float
    per_second: float
    p50: float
    p95: float
    p99: float
    cpu_ms_per_turn: float
    peak_rss_mib: float


def figures(rounds: list[Round], peak_rss_kib: int) -> Figures:
    latencies = [x for r in rounds for x in r.latencies]
    turns = sum(r.turns for r in rounds)
    seconds = sum(r.seconds for r in rounds)
    return Figures(
        turns,
        sum(r.errors for r in rounds),
        seconds,
        turns / seconds,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 95) * 1000,
        percentile(latencies, 99) * 1000,
        sum(r.cpu_seconds for r in rounds) / turns * 1000,
        peak_rss_kib / 1024,
    )


async def check_script(session: aiohttp.ClientSession, ours: Server, service_url: str) -> None:
    """One user with expectReplies first: the script must end with the survey submitted."""
    replies: list[dict[str, Any]] = []
    for body in turns_of(service_url, "script-check"):
        body = {**body, "deliveryMode": "expectReplies"}
        async with session.post(ours.url + "/api/messages", json=body) as r:
            replies = (await r.json()).get("activities", []) if r.status == 200 else []
    said = " ".join(str(a.get("text") or a.get("attachments")) for a in replies)
    if "submitted anonymously" not in said:
        raise SystemExit(f"the script no longer completes the questionnaire; last replies: {said[:300]}")


async def stored_responses(database_url: str) -> int:
    db = await Database.open(database_url)
    try:
        counts = await table_counts(db)
    finally:
        await db.close()
    return counts["responses"] + counts["staged_responses"]


STOCK_ADAPTER_RUNNER = """
from types import SimpleNamespace
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from bot.app import create_app
from common.settings import settings_from_environment
open_config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
settings = settings_from_environment()
stock = lambda _settings: CloudAdapter(ConfigurationBotFrameworkAuthentication(open_config))
app = create_app(settings, connector_factory=stock)
web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
"""


def print_figures(results: dict[str, Figures]) -> None:
    header = ("turns", "errors", "turns/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/turn", "peak RSS MiB")
    print(f"{'':11}" + "".join(f"{h:>13}" for h in header))
    for name, f in results.items():
        cells = (f.turns, f.errors, f"{f.per_second:.1f}", f"{f.p50:.1f}", f"{f.p95:.1f}", f"{f.p99:.1f}",
                 f"{f.cpu_ms_per_turn:.1f}", f"{f.peak_rss_mib:.1f}")
        print(f"{name:11}" + "".join(f"{c:>13}" for c in cells))
    echo = results["echo"]
    for name, f in results.items():
        if name != "echo":
            print(
                f"ratio {name}/echo: throughput {f.per_second / echo.per_second:.2f}x, "
                f"p50 {f.p50 / echo.p50:.2f}x, p95 {f.p95 / echo.p95:.2f}x, p99 {f.p99 / echo.p99:.2f}x, "
                f"CPU/turn {f.cpu_ms_per_turn / echo.cpu_ms_per_turn:.2f}x, "
                f"peak RSS {f.peak_rss_mib / echo.peak_rss_mib:.2f}x"
            )
    print("targets (ours): throughput >= 1.0x echo, p99 <= 1.5x echo")


async def main_async(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    connector_port, echo_port = free_port(), free_port()
    service_url = f"http://127.0.0.1:{connector_port}/amer/"
    app_env = {
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "SECRET_KEY": "load-bench-secret",
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "REPORT_DIR": str(workdir / "reports"),
        "CONTENT_SUGGESTIONS_FILE": str(workdir / "suggestions.jsonl"),
    }
    migrate = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "storage", "upgrade", cwd=ROOT, env={**os.environ, **app_env}
    )
    if await migrate.wait() != 0:
        raise SystemExit("python -m storage upgrade failed")
    fake = [PYTHON, "-m", "tests.helpers.fake_connector", "--port", str(connector_port)]
    connector = Server("connector", fake, connector_port, "/_fake/counts")
    echo = Server("echo", [PYTHON, "bench/echo_bot.py", "--port", str(echo_port)], echo_port, "/api/messages")
    port = free_port()
    apps = [Server("ours", [PYTHON, "-m", "bot"], port, "/healthz", env={**app_env, "PORT": str(port)})]
    if args.also_stock_adapter:
        port = free_port()
        env = {**app_env, "PORT": str(port)}
        apps.append(Server("ours-stock", [PYTHON, "-c", STOCK_ADAPTER_RUNNER], port, "/healthz", env=env))
    measured = [echo, *apps]
    limits = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=limits, timeout=aiohttp.ClientTimeout(total=60)) as session:
        try:
            for server in (connector, *measured):
                await server.start(session)
            await check_script(session, apps[0], service_url)
            for server in measured:  # warm-up, not measured
                await run_round(session, server, service_url, 5, f"warm-{server.name}", args.seconds)
            rounds: dict[str, list[Round]] = {server.name: [] for server in measured}
            for n in range(args.rounds):
                for server in measured:
                    label = f"r{n}-{server.name}"
                    result = await run_round(session, server, service_url, args.users, label, args.seconds)
                    rounds[server.name].append(result)
                    rate = result.turns / result.seconds
                    cpu = result.cpu_seconds / result.turns * 1000
                    print(f"round {n + 1} {server.name:10}: {result.turns} turns in {result.seconds:.1f} s "
                          f"= {rate:.0f} turns/s, {cpu:.1f} ms CPU/turn, {result.errors} errors", flush=True)
            results = {s.name: figures(rounds[s.name], s.peak_rss_kib()) for s in measured}
            async with session.get(connector.url + "/_fake/counts") as response:
                delivered = await response.json()
        finally:
            for server in (*measured, connector):
                await server.stop()
    # measured users, warm-up users (per app), the script check
    expected_responses = len(apps) * (args.users * args.rounds + 5) + 1
    print()
    turns = len(SCRIPT) + 1
    print(f"{args.users} concurrent users, {turns} turns each, {args.rounds} interleaved rounds per server")
    print_figures(results)
    print(f"replies received by the fake connector: {delivered}")
    stored = await stored_responses(database_url)
    print(f"responses stored by our app: {stored} (expected {expected_responses})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent simulated users per round")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per server")
    parser.add_argument("--seconds", type=float, default=120.0, help="time bound of one round")
    parser.add_argument(
        "--also-stock-adapter",
        action="store_true",
        help="also measure our app on the stock CloudAdapter, to see what bot.adapter's reuse buys",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
