"""Load benchmark: simulated practitioners through /api/messages, against the framework's floor.

Processes on 127.0.0.1: a fake Bot Connector (tests.helpers.fake_connector, to
which every reply is posted, as Teams receives them) and three bots:

- ``echo-stock``  Microsoft's echo bot sample on the stock CloudAdapter;
- ``echo-ours``   the same echo bot on the project's adapter: the floor a turn
                  of ours can reach on this framework (the targets are against it);
- ``survey``      our bot (``python -m bot``) on a fresh database (SQLite, or a
                  new PostgreSQL database with ``--database postgres``), every
                  turn durable before its reply. The same process also serves the
                  ``guidance`` series: users asking guidance questions.

Each simulated user installs the bot, then sends its script one turn after the
other (normal deliveryMode: the bot answers once its replies have reached the
connector); the users of a round run concurrently. Series are interleaved
within every round (echo-stock, echo-ours, survey, guidance, then again), so
all see the same machine; a round is bounded by --seconds. Where the machine
has two or more cores, the load generator and the connector run on one core
and the bots on another, so the client's work is not billed to the server.

Printed per round and series: turns/s, p99 latency, the server's CPU time per
turn and replies per turn; then per series the median over rounds with its
min-max; then the ratios against echo-ours, each the median of the per-round
ratios (pairs measured side by side) with its min-max, and the targets:
survey throughput >= 0.5x, CPU/turn <= 2.5x, p99 <= 3x, guidance CPU/question
<= 2x. Finally every survey user's response is checked to be stored.

    .venv/bin/python -m bench.load_bench [--users 50,200] [--rounds 3] [--seconds 120]
                                         [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TENANT = "bench-tenant"
# One practitioner's whole questionnaire, typed (typed answers are always accepted):
# children's services, no concern raised (so two items are skipped), the last text skipped.
SURVEY = (
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
# Questions staff ask, in their words: answered topics, a glossary term and one the bot is unsure of.
GUIDANCE = (
    "how do i make a referral to childrens social care",
    "what is early help",
    "who do I talk to if I disagree with a social worker's decision",
    "what does LADO mean",
    "a parent told me they're worried about an elderly neighbour who isn't eating",
    "can i share information without consent",
    "what is the threshold for a section 47",
    "how do i record a concern properly",
    "where can I find safeguarding training",
    "what do I do if a colleague behaves inappropriately with a child",
)
SERIES = ("echo-stock", "echo-ours", "survey", "guidance")
TARGETS = {  # series: (figure, limit, direction) against echo-ours
    "survey": (("throughput", 0.5, ">="), ("cpu", 2.5, "<="), ("p99", 3.0, "<=")),
    "guidance": (("cpu", 2.0, "<="),),
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cores() -> tuple[set[int], set[int]] | None:
    """(client cores, server cores), or None where there are too few cores to separate them."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return {available[0]}, set(available[1:])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants alive now (from /proc)."""
    tree, index = [pid], 0
    while index < len(tree):
        for children in Path(f"/proc/{tree[index]}/task").glob("*/children"):
            with contextlib.suppress(FileNotFoundError):  # the thread or process has just ended
                tree.extend(int(child) for child in children.read_text().split())
        index += 1
    return tree


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


@dataclass
class Server:
    """A server subprocess; ``peak_rss_kib`` reads its high-water mark of resident memory."""

    name: str
    command: list[str]
    port: int
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    cores: set[int] | None = None
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, session: aiohttp.ClientSession, within: float = 60.0) -> None:
        env = {**os.environ, **self.env}
        cores = self.cores
        pin: Callable[[], None] | None = (lambda: os.sched_setaffinity(0, cores)) if cores else None
        self.process = await asyncio.create_subprocess_exec(*self.command, cwd=ROOT, env=env, preexec_fn=pin)
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
        """User + system CPU time the server process and its live child processes have used so far.

        Children count too: a server may hand work to worker processes (the bot's TURN_WORKERS).
        """
        assert self.process is not None
        return sum(_cpu_ticks(pid) for pid in process_tree(self.process.pid)) / os.sysconf("SC_CLK_TCK")

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
    """A Teams personal-chat activity from ``user`` (shaped as Teams sends them; ``sent`` stamps it)."""
    return {
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{user}", "name": "Practitioner", "aadObjectId": user},
        "recipient": {"id": "28:bench-bot", "name": "Safeguarding"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        **fields,
    }


def sent(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` stamped now, as the channel stamps an activity when it is sent: an answer stamped
    before the question it answers appeared would be taken for a stale one (and not applied)."""
    return {**body, "timestamp": datetime.now(UTC).isoformat()}


def turns_of(service_url: str, user: str, script: Sequence[str]) -> list[dict[str, Any]]:
    """The install, then every line of the script as a message."""
    install = activity(service_url, user, type="conversationUpdate", membersAdded=[{"id": "28:bench-bot"}])
    return [install] + [activity(service_url, user, type="message", text=text) for text in script]


@dataclass
class Round:
    series: str
    users: int
    turns: int = 0
    errors: int = 0
    finished: int = 0  # users who sent their whole script, every turn answered 2xx
    replies: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the server process's CPU time during the round
    latencies: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds

    @property
    def cpu(self) -> float:
        """CPU milliseconds per turn."""
        return self.cpu_seconds / self.turns * 1000

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99) * 1000


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def replies_so_far(session: aiohttp.ClientSession, connector: Server) -> int:
    async with session.get(connector.url + "/_fake/counts") as response:
        return sum((await response.json()).values())


async def run_round(
    session: aiohttp.ClientSession,
    server: Server,
    connector: Server,
    series: str,
    users: int,
    label: str,
    seconds: float,
) -> Round:
    result = Round(series, users)
    deadline = time.monotonic() + seconds
    service_url = f"{connector.url}/amer/"
    script = GUIDANCE if series == "guidance" else SURVEY

    async def practitioner(n: int) -> None:
        failed = False
        for body in turns_of(service_url, f"{label}-{n}", script):
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            async with session.post(server.url + "/api/messages", json=sent(body)) as response:
                await response.read()
                ok = response.status < 300
            result.latencies.append(time.perf_counter() - started)
            result.turns += 1
            if not ok:
                failed = True
                result.errors += 1
                if result.errors <= 3:
                    print(f"  {series}: HTTP {response.status} on {body.get('text')!r}", file=sys.stderr)
        result.finished += not failed

    replies, cpu = await replies_so_far(session, connector), server.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(practitioner(n) for n in range(users)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = server.cpu_seconds() - cpu
    result.replies = await replies_so_far(session, connector) - replies
    return result


async def check_script(session: aiohttp.ClientSession, survey: Server, service_url: str) -> None:
    """One user with expectReplies first: the script must end with the survey submitted."""
    replies: list[dict[str, Any]] = []
    for body in turns_of(service_url, "script-check", SURVEY):
        body = {**sent(body), "deliveryMode": "expectReplies"}
        async with session.post(survey.url + "/api/messages", json=body) as r:
            replies = (await r.json()).get("activities", []) if r.status == 200 else []
    said = " ".join(str(a.get("text") or a.get("attachments")) for a in replies)
    if "submitted anonymously" not in said:
        raise SystemExit(f"the script no longer completes the questionnaire; last replies: {said[:300]}")


def spread(values: list[float], digits: int = 1) -> str:
    """Median with its min-max, e.g. '98.1 (95.0-101.2)'."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(users: int, rounds: list[Round]) -> list[str]:
    """Print the medians and the paired ratios for one level of concurrency; return unmet targets."""
    by_series = {name: [r for r in rounds if r.series == name] for name in SERIES}
    print(f"\n{users} concurrent users: median over {len(by_series['survey'])} rounds (min-max)")
    header = ("turns/s", "p99 ms", "CPU ms/turn", "replies/turn", "errors")
    print(f"{'':12}" + "".join(f"{h:>22}" for h in header))
    for name, series_rounds in by_series.items():
        cells = (
            spread([r.throughput for r in series_rounds]),
            spread([r.p99 for r in series_rounds]),
            spread([r.cpu for r in series_rounds], 2),
            spread([r.replies / r.turns for r in series_rounds], 2),
            str(sum(r.errors for r in series_rounds)),
        )
        print(f"{name:12}" + "".join(f"{c:>22}" for c in cells))
    floor = by_series["echo-ours"]
    ratio_of = {
        "throughput": lambda a, b: a.throughput / b.throughput,
        "cpu": lambda a, b: a.cpu / b.cpu,
        "p99": lambda a, b: a.p99 / b.p99,
    }
    unmet: list[str] = []
    for name in ("echo-stock", "survey", "guidance"):
        pairs = list(zip(by_series[name], floor, strict=True))
        cells = []
        for figure, ratio in ratio_of.items():
            values = [ratio(a, b) for a, b in pairs]
            cells.append(f"{figure} {spread(values, 2)}x")
            for target, limit, direction in TARGETS.get(name, ()):
                if target == figure:
                    met = (
                        statistics.median(values) >= limit
                        if direction == ">="
                        else (statistics.median(values) <= limit)
                    )
                    verdict = "met" if met else "NOT met"
                    cells[-1] += f" [target {direction} {limit}x: {verdict}]"
                    if not met:
                        unmet.append(f"{users} users {name} {figure}")
        print(f"ratio {name}/echo-ours: " + ", ".join(cells))
    return unmet


async def fresh_postgres(base: str) -> tuple[str, Callable[[], Any]]:
    """A new, empty database on the server of TEST_DATABASE_URL, and how to drop it afterwards."""
    url = make_url(base)
    name = f"load_bench_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    await admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return url.set(database=name).render_as_string(hide_password=False), lambda: admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


async def run_storage(command: list[str], env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "storage", *command, cwd=ROOT, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"python -m storage {' '.join(command)} failed")
    return out.decode()


def stored_responses(check_output: str) -> int:
    """Rows of the response table, from ``python -m storage check``."""
    for line in check_output.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "responses":
            return int(words[1])
    raise SystemExit("python -m storage check did not list the responses table")


async def main_async(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    drop = None
    if args.database == "postgres":
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            raise SystemExit("--database postgres needs TEST_DATABASE_URL")
        database_url, drop = await fresh_postgres(base)
    else:
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    cores = _cores()
    client_cores, server_cores = cores if cores else (None, None)
    if client_cores:
        os.sched_setaffinity(0, client_cores)
    print(
        f"load generator and connector on cores {sorted(client_cores)}, bots on {sorted(server_cores)}"
        if client_cores and server_cores
        else "one core: load generator and bots share it"
    )
    app_env = {
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "SECRET_KEY": "load-bench-secret-" + secrets.token_hex(16),
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "REPORT_DIR": str(workdir / "reports"),
        "CONTENT_SUGGESTIONS_FILE": str(workdir / "suggestions.jsonl"),
    }
    try:
        await run_storage(["upgrade"], app_env)
        connector_port = free_port()
        fake = [PYTHON, "-m", "tests.helpers.fake_connector", "--port", str(connector_port)]
        connector = Server("connector", fake, connector_port, "/_fake/counts", cores=client_cores)
        ports = {name: free_port() for name in ("echo-stock", "echo-ours", "survey")}
        echo = [PYTHON, "-m", "bench.echo_bot", "--port"]
        servers = {
            "echo-stock": Server(
                "echo-stock",
                [*echo, str(ports["echo-stock"])],
                ports["echo-stock"],
                "/api/messages",
                cores=server_cores,
            ),
            "echo-ours": Server(
                "echo-ours",
                [*echo, str(ports["echo-ours"]), "--adapter", "ours"],
                ports["echo-ours"],
                "/api/messages",
                env=app_env,
                cores=server_cores,
            ),
            "survey": Server(
                "survey",
                [PYTHON, "-m", "bot"],
                ports["survey"],
                "/healthz",
                env={**app_env, "PORT": str(ports["survey"])},
                cores=server_cores,
            ),
        }
        serves = {name: name for name in servers} | {"guidance": "survey"}
        levels = [int(n) for n in args.users.split(",")]
        completed = 0
        unmet: list[str] = []
        limits = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=limits, timeout=timeout) as session:
            try:
                for server in (connector, *servers.values()):
                    await server.start(session)
                await check_script(session, servers["survey"], f"{connector.url}/amer/")
                completed += 1
                for name in SERIES:  # warm-up, not measured
                    server = servers[serves[name]]
                    warm = await run_round(session, server, connector, name, 5, f"warm-{name}", args.seconds)
                    completed += warm.finished if name == "survey" else 0
                for users in levels:
                    rounds: list[Round] = []
                    for n in range(args.rounds):
                        for name in SERIES:
                            label = f"u{users}-r{n}-{name}"
                            server = servers[serves[name]]
                            result = await run_round(
                                session, server, connector, name, users, label, args.seconds
                            )
                            rounds.append(result)
                            completed += result.finished if name == "survey" else 0
                            print(
                                f"{users} users, round {n + 1}, {name:10}: {result.turns} turns in "
                                f"{result.seconds:.1f} s = {result.throughput:.0f} turns/s, p99 "
                                f"{result.p99:.0f} ms, {result.cpu:.2f} ms CPU/turn, "
                                f"{result.replies / result.turns:.2f} replies/turn, {result.errors} errors",
                                flush=True,
                            )
                    unmet += report(users, rounds)
                print(
                    "\npeak RSS MiB: "
                    + ", ".join(f"{name} {s.peak_rss_kib() / 1024:.0f}" for name, s in servers.items())
                )
            finally:
                for server in (*servers.values(), connector):
                    await server.stop()
        await run_storage(["flush", "--all"], app_env)
        stored = stored_responses(await run_storage(["check"], app_env))
        print(f"responses stored: {stored} (every survey user who finished in time: {completed})")
        if stored != completed:
            unmet.append(f"stored {stored} responses, expected {completed}")
        print("targets: all met" if not unmet else "targets NOT met: " + "; ".join(unmet))
    finally:
        if drop is not None:
            await drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,200", help="levels of concurrent users, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per level")
    parser.add_argument("--seconds", type=float, default=120.0, help="time bound of one round")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
