"""`python -m storage`: upgrade, check, recover, flush, close-wave, purge-stale, audit.

Every command reads the settings from the environment (and .env). All but
`upgrade` and `check` refuse to touch a database whose schema is behind.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from sqlalchemy import func, select

from common.settings import Settings, settings_from_environment
from storage.audit import audit
from storage.database import Database
from storage.errors import SchemaBehindError, StorageError
from storage.migrate import head_revision, upgrade_async
from storage.models import Base
from storage.retention import Retention, enforce
from storage.submissions import CloseResult, FlushResult, close_wave, flush, recover


async def table_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the schema, by table name."""
    async with db.transaction(read_only=True) as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


async def _upgrade(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    before = await upgrade_async(db.url)
    if before == head_revision():
        return f"schema is already current ({before})"
    return f"schema upgraded from {before or 'empty'} to {head_revision()}"


async def _check(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    await db.require_current_schema()
    counts = await table_counts(db)
    width = max(map(len, counts))
    lines = [f"schema is current ({head_revision()})"]
    lines += [f"  {name:<{width}}  {count}" for name, count in counts.items()]
    return "\n".join(lines)


def _flushed(result: FlushResult) -> list[str]:
    lines = [f"moved {result.moved} confirmed response(s) into the response table"]
    return lines + [f"  {problem}" for problem in result.quarantined]


async def _recover(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    return "\n".join(_flushed(await recover(db, settings)))


async def _flush(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    result = await flush(db, settings.response_batch, everything=args.all, secret=settings.secret_bytes())
    return "\n".join(_flushed(result))


def describe_close(wave_id: int, closed: CloseResult) -> str:
    """What closing a wave did, as printed by every command that closes one."""
    lines = [f"wave {wave_id} closed", *_flushed(closed.flushed)]
    lines.append(f"wave key and tokens destroyed, {closed.shredded} unstored survey document(s) with them")
    return "\n".join(lines)


async def _close_wave(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    return describe_close(args.wave_id, await close_wave(db, args.wave_id, secret=settings.secret_bytes()))


async def _purge_stale(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    retention = Retention.from_settings(settings)
    if args.days is not None:
        retention = replace(retention, state_days=args.days)
    deleted = await enforce(db, retention)
    return "deleted past their retention period: " + ", ".join(f"{t} {n}" for t, n in deleted.items())


async def _audit(db: Database, settings: Settings, args: argparse.Namespace) -> str:
    findings = await audit(db, settings.response_batch)
    if findings:
        raise AuditFailed("\n".join(["found what could identify someone:", *(f"  {f}" for f in findings)]))
    return "audit: nothing found that could identify a person or link a response to one"


class AuditFailed(StorageError):
    """The audit found something (the message lists it, without values)."""


Command = Callable[[Database, Settings, argparse.Namespace], Awaitable[str]]
# Commands that may run whatever the schema's revision is.
_ANY_SCHEMA = {"upgrade", "check"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    upgrade = commands.add_parser("upgrade", help="bring the schema at DATABASE_URL up to date")
    upgrade.set_defaults(run=_upgrade)
    commands.add_parser("check", help="is the schema current? rows per table").set_defaults(run=_check)
    commands.add_parser("recover", help="flush every whole batch waiting").set_defaults(run=_recover)
    flush_cmd = commands.add_parser("flush", help="move confirmed responses, shuffled, in whole batches")
    flush_cmd.add_argument("--all", action="store_true", help="move every confirmed response (end of a wave)")
    flush_cmd.set_defaults(run=_flush)
    close = commands.add_parser("close-wave", help="flush everything, then destroy the wave's key")
    close.add_argument("wave_id", type=int, metavar="ID")
    close.set_defaults(run=_close_wave)
    purge = commands.add_parser("purge-stale", help="delete whatever is past its retention period")
    purge.add_argument("--days", type=int, help="override STATE_TTL_DAYS")
    purge.set_defaults(run=_purge_stale)
    commands.add_parser(
        "audit", help="report anything that could identify a person; exit 1 if found"
    ).set_defaults(run=_audit)
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> str:
    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    try:
        if args.command not in _ANY_SCHEMA:
            await db.require_current_schema()
        run: Command = args.run
        return await run(db, settings, args)
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 with a one-line reason on stderr otherwise."""
    args = _parser().parse_args(argv)
    try:
        settings = settings_from_environment()
        print(asyncio.run(_run(args, settings)))
    except (SchemaBehindError, StorageError) as exc:
        print(f"python -m storage {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0
