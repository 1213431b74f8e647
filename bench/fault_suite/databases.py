"""Fresh databases for each fault: an SQLite file, a new database on TEST_DATABASE_URL's server,
or a private PostgreSQL cluster the suite starts and stops itself (never the shared server)."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.fault_suite.process import free_port
from storage.migrate import upgrade_async


async def _admin(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
    )


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path, name: str) -> AsyncIterator[str]:
    """An empty database upgraded with ``python -m storage upgrade``; dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'{name}.db'}"
        await _upgrade(url)
        yield url
        return
    base = os.environ["TEST_DATABASE_URL"]
    database = f"faults_{name}_{secrets.token_hex(4)}".replace("-", "_")
    admin = await _admin(base)
    try:
        await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE template0')
    finally:
        await admin.close()
    url = make_url(base).set(database=database).render_as_string(hide_password=False)
    try:
        await _upgrade(url)
        yield url
    finally:
        admin = await _admin(base)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


async def _upgrade(url: str) -> None:
    """What ``python -m storage upgrade`` does, without starting another interpreter for it."""
    await upgrade_async(url)


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin that has initdb and pg_ctl, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    """A PostgreSQL cluster of the suite's own, in a temporary directory, on a free port.

    Run as the ``postgres`` user when the suite runs as root (initdb refuses
    root). ``stop()`` / ``start()`` are the outage; ``close()`` removes it all.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="fault-suite-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self._as_user, *command], check=True, capture_output=True, cwd=self.root, timeout=120
        )

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                  "-l", str(self.root / "server.log"), "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)

    async def database(self, name: str) -> str:
        admin = await _admin(self.url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def private_cluster() -> AsyncIterator[PrivateCluster | str]:
    """A started private cluster, or the reason there cannot be one here."""
    bindir = postgres_bin()
    if bindir is None:
        yield "no initdb under /usr/lib/postgresql/*/bin"
        return
    cluster = PrivateCluster(bindir)
    try:
        await asyncio.to_thread(cluster.init)
        await asyncio.to_thread(cluster.start)
    except (subprocess.CalledProcessError, OSError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        cluster.close()
        yield f"the private cluster did not start: {exc} {stderr.decode(errors='replace')[-300:]}"
        return
    try:
        yield cluster
    finally:
        await asyncio.to_thread(cluster.close)
