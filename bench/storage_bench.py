"""Storage benchmark: submissions/s and state read+write/s, beside the same SQL on the raw driver.

Runs on SQLite (a temporary file) always, and on PostgreSQL when
TEST_DATABASE_URL or --pg-url is given (in a scratch database it creates and
drops). Each figure is measured in the same run as its raw-SQL baseline
(aiosqlite / asyncpg issuing the same statements in the same transactions),
and the ratio storage/raw is printed. Bounded by --submissions, --state-ops
and --seconds per measurement.

    .venv/bin/python -m bench.storage_bench [--pg-url URL] [--submissions N] [--state-ops N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy.engine import make_url

from common.partnership import Agency
from common.settings import Secret, Settings
from storage.database import Database
from storage.migrate import upgrade_async
from storage.responses import new_response_id, payload_for, rows_for
from storage.state import StateItem, StateStore
from storage.submissions import submit, to_submission
from storage.survey_state import sealed_survey
from storage.waves import create_wave
from surveys.turns import Progress

AGENCIES = (Agency("CSC", "Children's Social Care", 450), Agency("TVP", "Police", 1200))
ANSWERS: dict[str, Any] = {
    "agency": "CSC",
    "works_with": "Children and families",
    "role_level": "Frontline practitioner",
    "training_recency": "In the last 6 months",
    "training_applied": "Agree",
    "knowledge_sufficient": "Agree",
    "know_where_info": "Strongly agree",
    "thresholds_children": "Agree",
    "raised_concern": "Yes",
    "referral_feedback": "Agree",
    "know_how_escalate": "Agree",
    "escalated": "No",
    "discuss_safeguarding": "Agree",
    "supported_concern": "Agree",
    "reflective_supervision": "Disagree",
    "able_raise_concerns": "Agree",
    "tools_used": ["Threshold of Needs", "Signs of Safety"],
    "info_sharing_confident": "Agree",
    "joint_working": "Neither agree nor disagree",
    "one_change": "More joint training across agencies",
    "anything_else": "No",
}


def document(person: str, wave_id: int) -> dict[str, Any]:
    progress = Progress("practitioner", 1, "submitting", answers=ANSWERS, response_id=new_response_id())
    return {"person": person, "wave": wave_id, "progress": progress.to_json()}


async def timed_pair(
    count: int,
    seconds: float,
    ours: Callable[[int], Awaitable[None]],
    raw: Callable[[int], Awaitable[None]],
    chunk: int = 10,
) -> tuple[float, float, int]:
    """Run ``ours(i)`` and ``raw(i)`` alternately in chunks (so both meet the same machine load),
    up to ``count`` each or until ``seconds`` of the two together; (ours/s, raw/s, done each)."""
    spent = {"ours": 0.0, "raw": 0.0}
    done = 0
    while done < count and sum(spent.values()) < seconds:
        size = min(chunk, count - done)
        for name, one in (("ours", ours), ("raw", raw)):
            start = time.perf_counter()
            for i in range(done, done + size):
                await one(i)
            spent[name] += time.perf_counter() - start
        done += size
    return done / spent["ours"], done / spent["raw"], done


# --- the raw-driver baselines: the same statements, in the same transactions ------------------


class Raw:
    """Just enough of a driver to run the same SQL on aiosqlite or asyncpg."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.pg = self.url.get_backend_name() == "postgresql"
        self.conn: Any = None

    async def open(self) -> None:
        if self.pg:
            u = self.url
            self.conn = await asyncpg.connect(
                host=u.host, port=u.port or 5432, user=u.username, database=u.database
            )
        else:
            self.conn = await aiosqlite.connect(self.url.database, isolation_level=None)
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000"):
                await self.conn.execute(f"PRAGMA {pragma}")

    def sql(self, statement: str) -> str:
        if not self.pg:
            return statement
        n = 0

        def number(_: Any) -> str:
            nonlocal n
            n += 1
            return f"${n}"

        return re.sub(r"\?", number, statement)

    async def begin(self) -> None:
        await self.conn.execute("BEGIN" if self.pg else "BEGIN IMMEDIATE")

    async def commit(self) -> None:
        await self.conn.execute("COMMIT")

    async def fetch(self, statement: str, *args: Any) -> list[tuple]:
        if self.pg:
            return [tuple(r) for r in await self.conn.fetch(self.sql(statement), *args)]
        async with self.conn.execute(statement, args) as cursor:
            return list(await cursor.fetchall())

    async def run(self, statement: str, *args: Any) -> None:
        if self.pg:
            await self.conn.execute(self.sql(statement), *args)
        else:
            await self.conn.execute(statement, args)

    async def many(self, statement: str, rows: list[tuple]) -> None:
        if rows:
            if self.pg:
                await self.conn.executemany(self.sql(statement), rows)
            else:
                await self.conn.executemany(statement, rows)

    async def close(self) -> None:
        await self.conn.close()


async def raw_submit(raw: Raw, key: str, wave_id: int, wave_key: bytes, batch: int) -> None:
    """What storage.submissions.submit does, as hand-written SQL (without the sealing's crypto)."""
    await raw.begin()
    [(doc, tag)] = await raw.fetch("SELECT document, e_tag FROM bot_state WHERE key = ?", key)
    await raw.commit()
    doc = json.loads(doc)
    Progress.from_json(doc["progress"])  # as submit reads it
    await raw.begin()
    await raw.fetch("SELECT closed FROM waves WHERE id = ?", wave_id)
    await raw.fetch("SELECT sealed FROM wave_keys WHERE wave_id = ?", wave_id)
    await raw.commit()
    token = hmac.new(wave_key, f"{wave_id}\n{doc['person']}".encode(), hashlib.sha256).hexdigest()
    await raw.begin()
    await raw.fetch("SELECT token FROM submission_tokens WHERE token = ?", token)
    await raw.commit()
    doc.update(month=datetime.now(UTC).strftime("%Y-%m"), pending=True)
    stamp = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    await raw.begin()
    await raw.run(
        "UPDATE bot_state SET document = ?, e_tag = ?, updated_at = ? WHERE key = ? AND e_tag = ?",
        json.dumps(doc),
        secrets.token_hex(8),
        stamp if raw.pg else stamp.isoformat(sep=" "),
        key,
        tag,
    )
    await raw.commit()
    prefix = key.rsplit("/", 1)[0] + "/%"
    await raw.begin()
    waiting = await raw.fetch("SELECT document FROM bot_state WHERE key LIKE ?", prefix)
    await raw.commit()
    if sum(json.loads(d).get("pending", False) for (d,) in waiting) < batch:
        return
    await raw.begin()
    await raw.fetch("SELECT wave_id, sealed FROM wave_keys WHERE wave_id = ?", wave_id)
    await raw.commit()
    await raw.begin()
    lock = " FOR UPDATE" if raw.pg else ""
    rows = await raw.fetch(f"SELECT key, document FROM bot_state WHERE key LIKE ?{lock}", prefix)  # noqa: S608
    ready = [(k, json.loads(d)) for k, d in rows if json.loads(d).get("pending")]
    chosen = random.sample(ready, len(ready) - len(ready) % batch)
    tokens, responses, cells = [], [], []
    for _key, body in chosen:
        one = Progress.from_json(body["progress"])
        tokens.append(
            (hmac.new(wave_key, f"{wave_id}\n{body['person']}".encode(), hashlib.sha256).hexdigest(), wave_id)
        )
        response, answer_cells = rows_for(
            one.response_id or "", wave_id, payload_for(to_submission(one), body["month"])
        )
        responses.append(
            tuple(
                response[c]
                for c in ("id", "wave_id", "agency", "works_with", "role_level", "submitted_month")
            )
        )
        cells.extend(
            tuple(c[k] for k in ("response_id", "item_id", "ordinal", "value", "number"))
            for c in answer_cells
        )
    random.shuffle(tokens)
    random.shuffle(responses)
    await raw.many(
        "INSERT INTO submission_tokens (token, wave_id) VALUES (?, ?) ON CONFLICT DO NOTHING", tokens
    )
    await raw.many(
        "INSERT INTO responses (id, wave_id, agency, works_with, role_level, submitted_month)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        responses,
    )
    await raw.many(
        "INSERT INTO answers (response_id, item_id, ordinal, value, number) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        cells,
    )
    for state_key, _ in chosen:
        await raw.run("DELETE FROM bot_state WHERE key = ?", state_key)
    await raw.commit()


async def raw_state_round(raw: Raw, key: str) -> None:
    """One turn's state traffic: read the item, write it back conditionally on its e_tag."""
    await raw.begin()
    [(doc, tag)] = await raw.fetch("SELECT document, e_tag FROM bot_state WHERE key = ?", key)
    await raw.commit()
    body = json.loads(doc)
    body["turn"] = body.get("turn", 0) + 1
    stamp = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    await raw.begin()
    await raw.run(
        "UPDATE bot_state SET document = ?, e_tag = ?, updated_at = ? WHERE key = ? AND e_tag = ?",
        json.dumps(body),
        secrets.token_hex(8),
        stamp if raw.pg else stamp.isoformat(sep=" "),
        key,
        tag,
    )
    await raw.commit()


# --- one backend ------------------------------------------------------------------------------


async def bench_backend(
    label: str, url: str, args: argparse.Namespace
) -> list[tuple[str, str, float, float]]:
    await upgrade_async(url)
    settings = Settings.from_env({}, database_url=url, secret_key=Secret("bench-secret"))
    settings = settings.model_copy(update=dict(response_batch=5))
    db = await Database.open(url)
    store = StateStore(db)
    raw = Raw(url)
    await raw.open()
    try:
        orm_wave = await create_wave(db, "practitioner", 1, date(2026, 1, 1), date(2026, 12, 31), AGENCIES)
        raw_wave = await create_wave(db, "practitioner", 1, date(2027, 1, 1), date(2027, 12, 31), AGENCIES)
        n = args.submissions
        secret = settings.secret_bytes()
        raw_prefix = f"survey/{raw_wave.id}/"
        wave_key = secrets.token_bytes(32)

        async def orm_one(i: int) -> None:
            # The Submit press: the bot saves the confirmed (sealed) survey, then submits it.
            key, body = await sealed_survey(
                db, secret, orm_wave.id, f"orm-{i}", document(f"orm-{i}", orm_wave.id)
            )
            await store.write({key: StateItem(body)})
            outcome = await submit(db, key, settings)
            assert outcome.kind == "stored", outcome

        async def raw_one(i: int) -> None:
            key = f"{raw_prefix}raw-{i}"
            stamp = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            await raw.begin()
            await raw.run(
                "INSERT INTO bot_state (key, document, e_tag, updated_at) VALUES (?, ?, ?, ?)",
                key,
                json.dumps({**document(f"raw-{i}", raw_wave.id), "pending": True}),
                secrets.token_hex(8),
                stamp if raw.pg else stamp.isoformat(sep=" "),
            )
            await raw.commit()
            await raw_submit(raw, key, raw_wave.id, wave_key, settings.response_batch)

        ours, baseline, done = await timed_pair(n, args.seconds, orm_one, raw_one)
        results = [(label, f"submissions (x{done})", ours, baseline)]

        await store.write({"bench/state": StateItem({"turn": 0, "progress": document("x", 1)["progress"]})})

        async def orm_state(_: int) -> None:
            item = (await store.read(["bench/state"]))["bench/state"]
            body = {**item.document, "turn": item.document["turn"] + 1}
            await store.write({"bench/state": StateItem(body, item.e_tag)})

        async def raw_state(_: int) -> None:
            await raw_state_round(raw, "bench/state")

        ours, baseline, done = await timed_pair(args.state_ops, args.seconds, orm_state, raw_state)
        results.append((label, f"state read+write (x{done})", ours, baseline))
        return results
    finally:
        await raw.close()
        await db.close()


async def scratch_pg(base: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    u = make_url(base)
    name = f"bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return u.set(database=name).render_as_string(hide_password=False), drop


async def main(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += await bench_backend("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)
    pg = args.pg_url or os.environ.get("TEST_DATABASE_URL")
    if pg:
        url, drop = await scratch_pg(pg)
        try:
            rows += await bench_backend("postgresql", url, args)
        finally:
            await drop()
    else:
        print("PostgreSQL skipped: set TEST_DATABASE_URL or pass --pg-url")
    print(f"{'backend':<11} {'measure (rounds each)':<34} {'storage/s':>10} {'raw SQL/s':>10} {'ratio':>6}")
    for backend, measure, ours, baseline in rows:
        print(f"{backend:<11} {measure:<34} {ours:>10.1f} {baseline:>10.1f} {ours / baseline:>6.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is made on it)")
    parser.add_argument("--submissions", type=int, default=200, help="submissions per side (default 200)")
    parser.add_argument(
        "--state-ops", type=int, default=500, help="state read+write rounds per side (default 500)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="time limit per measurement, both sides together (default 20)",
    )
    asyncio.run(main(parser.parse_args()))
