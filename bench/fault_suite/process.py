"""The bot as a real process (``python -m bot``) on a free loopback port, and the storage commands.

Everything a fault needs from the outside of the product: start, wait for
/readyz, ``kill -9``, restart, read the process's resident memory, count
tracebacks in its log, and run ``python -m storage ...`` as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from common.settings import ROOT

PYTHON = sys.executable
TRACEBACK = "Traceback (most recent call last)"
SECRET = "fault-suite-secret-3f9c1e7a5b2d4c6e8f0a1b3c5d7e9f11"  # noqa: S105 - a throwaway test database's


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot or storage command on ``database_url``, its files under ``workdir``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MicrosoftAppId", "MicrosoftAppPassword", "DATABASE_URL", "PORT", "HOST"}
    }
    env.update(
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        SECRET_KEY=SECRET,
        LOG_LEVEL="INFO",
        REPORT_DIR=str(workdir / "reports"),
        CONTENT_SUGGESTIONS_FILE=str(workdir / "suggestions.jsonl"),
        THEME_OVERRIDES_FILE=str(workdir / "theme-overrides.csv"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class CommandResult:
    command: str
    returncode: int
    output: str


async def storage_command(env: dict[str, str], *args: str, within: float = 300) -> CommandResult:
    """Run ``python -m storage ARGS`` as an operator would; its exit status and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "storage",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
        return CommandResult(" ".join(args), -1, out.decode(errors="replace") + "\n(timed out)")
    return CommandResult(" ".join(args), process.returncode or 0, out.decode(errors="replace"))


@dataclass
class BotProcess:
    """One ``python -m bot`` server; its log (all restarts appended) is ``workdir/<name>.log``."""

    name: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    peak_rss_mib: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, within: float = 90.0) -> None:
        """Start the server and return once /readyz answers 200 (SystemExit if it does not)."""
        env = {**self.env, "PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                PYTHON, "-m", "bot", cwd=ROOT, env=env, stdout=log, stderr=log
            )
        self.starts += 1
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    tail = self.log_path.read_text(errors="replace")[-2000:]
                    raise SystemExit(f"{self.name} exited at start ({self.process.returncode}):\n{tail}")
                try:
                    async with session.get(self.url + "/readyz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise SystemExit(f"{self.name} was not ready within {within:.0f} s; log: {self.log_path}")

    async def kill9(self) -> None:
        """``kill -9``: no clean-up, no goodbye, whatever the server was doing."""
        if self.alive:
            assert self.process is not None
            self.note_rss()
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.note_rss()
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def rss_mib(self) -> float | None:
        """Resident memory now (VmRSS), or None when the process is gone."""
        if not self.alive:
            return None
        assert self.process is not None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def note_rss(self) -> None:
        rss = self.rss_mib()
        if rss is not None:
            self.peak_rss_mib = max(self.peak_rss_mib, rss)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []

    def tracebacks(self) -> int:
        """Tracebacks in the log; a chain of exceptions ("direct cause", "during handling") counts once."""
        lines = self.log_lines()
        chained = ("The above exception was the direct cause", "During handling of the above exception")
        return sum(
            1
            for n, line in enumerate(lines)
            if line.startswith(TRACEBACK) and not any(c in "".join(lines[max(0, n - 2) : n]) for c in chained)
        )

    async def healthy(self) -> bool:
        """Whether /healthz answers 200 within 10 s."""
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.get(self.url + "/healthz") as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
