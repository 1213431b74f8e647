"""`python -m storage audit`: read the database as an auditor would and report what could identify someone.

Every table and column is read from the database itself (not from the
models), so a column added by a migration and forgotten here is audited too.
A finding names the table, the column and the kind of problem, and how many
rows, never the value. What it looks for:

- ids of people (Teams/AAD ids, ``msteams:`` keys) and the display names the bot
  knows, anywhere but the tables that exist to reach people
  (conversation_references, invitations);
- exact dates or times (finer than the month) outside the few columns whose
  purpose needs a day (a wave's dates, a state row's hour, a route's expiry);
- free text that still holds personal detail (redaction would change it);
- survey documents stored unsealed, or sealed under a key that no longer exists;
- on PostgreSQL, tokens and responses whose transaction ids (xmin) are not
  those of whole batches written together; waves closed with their key left;
- on SQLite, person ids or names left in free pages.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy import types as sa_types
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.survey_state import SURVEY_PREFIX
from storage.texts import strings
from surveys.redaction import redact

# Tables that exist to reach people: ids and names are their purpose (with a retention period).
REACHING = {"conversation_references", "invitations"}
# Columns whose purpose needs a day or an hour (see docs/anonymity.md).
DATED = {
    ("waves", "opens"),
    ("waves", "closes"),
    ("bot_state", "updated_at"),
    ("expert_routes", "expires"),
    ("processed_activities", "expires_on"),  # a day, beside a keyed hash that names nobody
    # reminders: the round, the day one went and the day a survey was paused, beside a hash under the wave key
    ("reminders", "due"),
    ("reminders", "sent_on"),
    ("reminders", "quiet_on"),
}
# Agencies' own self-assessment returns: statements of an organisation, not of a person, with the
# round's deadlines and actions' due dates (docs/anonymity.md).
AGENCY_LEVEL = {"assessment_rounds", "assessment_returns", "assessment_entries", "agency_summaries"}
# What the scheduled tick did once (waves' reports, deadline reminders): keys of waves, rounds,
# agencies, standards and their due dates, never a person (docs/anonymity.md).
AGENCY_LEVEL |= {"tick_jobs"}
# Columns of free text people wrote (already redacted when stored).
FREE_TEXT = {("answers", "value"), ("guidance_log", "question"), ("expert_questions", "question")}
RESPONSE_SIDE = ("responses", "answers", "submission_tokens")
SEALED_KEYS = {"wave", "pending", "sealed", "quarantined"}

PERSON_ID = re.compile(
    r"msteams:|\b29:[\w-]{8,}|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
)
EXACT_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}(:\d{2})?\b")
SURVEY_KEY = re.compile(re.escape(SURVEY_PREFIX) + r"\d+/[0-9a-f]{64}")


@dataclass(frozen=True)
class Finding:
    """One kind of problem in one place: never the value itself."""

    table: str
    column: str
    problem: str
    rows: int = 1

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: {self.problem} ({self.rows} row(s))"


def _json(value: Any) -> Any:
    """JSON columns come back as text from a plain SELECT on SQLite: read them as JSON."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _names(references: Iterable[dict[str, Any]]) -> set[str]:
    """Display names and user ids the bot holds for reaching people, to look for elsewhere."""
    found = set()
    for reference in references:
        user = reference.get("user") if isinstance(reference, dict) else None
        if isinstance(user, dict):
            found |= {str(user[k]) for k in ("name", "id", "aadObjectId") if user.get(k)}
    return {name for name in found if len(name) >= 4}


async def _read_all(db: Database) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    def describe(sync: Any) -> dict[str, dict[str, Any]]:
        inspector = inspect(sync)
        return {
            table: {column["name"]: column["type"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }

    async with db.engine.connect() as connection:
        shape = await connection.run_sync(describe)
        rows = {}
        for table in shape:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - inspected names
            rows[table] = [{k: _json(v) for k, v in row._mapping.items()} for row in result]
    return shape, rows


def _column_findings(shape: dict[str, dict[str, Any]]) -> Iterator[Finding]:
    for table, columns in shape.items():
        for column, kind in columns.items():
            dated = isinstance(kind, sa_types.DateTime | sa_types.Date | sa_types.Time)
            if dated and (table, column) not in DATED and table not in AGENCY_LEVEL:
                yield Finding(table, column, "a column of exact dates or times", 0)


def _value_findings(
    rows: dict[str, list[dict[str, Any]]], known: set[str], keyed_waves: set[int]
) -> Iterator[Finding]:
    for table, table_rows in rows.items():
        counts: Counter[tuple[str, str]] = Counter()
        for row in table_rows:
            for column, value in row.items():
                if table == "bot_state" and column == "key" and str(value).startswith(SURVEY_PREFIX):
                    if not SURVEY_KEY.fullmatch(str(value)):
                        counts[(column, "a survey document not under a keyed hash")] += 1
                    elif int(str(value).split("/")[1]) not in keyed_waves:
                        counts[(column, "a survey document of a wave whose key is gone")] += 1
                    document = row.get("document")
                    if not isinstance(document, dict) or not set(document) <= SEALED_KEYS:
                        counts[("document", "a survey document not sealed")] += 1
                if table in REACHING:
                    continue
                texts = list(strings(value))
                if any(PERSON_ID.search(one) for one in texts) or any(
                    n in one for one in texts for n in known
                ):
                    counts[(column, "an id or name of a person")] += 1
                timed = (table, column) not in DATED and table not in AGENCY_LEVEL
                timed = timed and not isinstance(value, int | float)
                if timed and any(EXACT_TIME.search(one) for one in texts):
                    counts[(column, "an exact date or time")] += 1
                if (table, column) in FREE_TEXT and isinstance(value, str) and redact(value) != value:
                    counts[(column, "free text with personal detail not redacted")] += 1
        for (column, problem), number in sorted(counts.items()):
            yield Finding(table, column, problem, number)


async def _xmin_findings(db: Database, batch: int) -> list[Finding]:
    """PostgreSQL: tokens must share transaction ids with responses, only in whole batches."""
    groups: dict[str, Counter[int]] = {}
    async with db.transaction(read_only=True) as session:
        for table in ("submission_tokens", "responses"):
            rows = await session.execute(text(f'SELECT xmin::text::bigint FROM "{table}"'))  # noqa: S608
            groups[table] = Counter(xmin for (xmin,) in rows)
        closed = set(await session.scalars(text("SELECT id FROM waves WHERE closed")))
        open_tokens = await session.execute(text("SELECT xmin::text::bigint, wave_id FROM submission_tokens"))
        token_waves: dict[int, set[int]] = defaultdict(set)
        for xmin, wave in open_tokens:
            token_waves[xmin].add(wave)
    findings = []
    tokens, responses = groups["submission_tokens"], groups["responses"]
    apart = [x for x in tokens if responses.get(x) != tokens[x]]
    if apart:
        count = sum(tokens[x] for x in apart)
        findings.append(
            Finding("submission_tokens", "xmin", "tokens not written with their batch of responses", count)
        )
    adjacent = [x for x in tokens if x not in responses and (x - 1 in responses or x + 1 in responses)]
    if adjacent:
        findings.append(
            Finding(
                "submission_tokens", "xmin", "tokens in a transaction next to a response's", len(adjacent)
            )
        )
    small = [x for x, n in tokens.items() if n < batch and not token_waves[x] & closed]
    if small:
        findings.append(
            Finding("submission_tokens", "xmin", f"batches smaller than RESPONSE_BATCH ({batch})", len(small))
        )
    return findings


def _sqlite_free_pages(path: Path) -> Iterator[bytes]:
    """The bytes of every page on SQLite's free list (deleted content may linger there)."""
    data = path.read_bytes()
    if len(data) < 100:
        return
    page_size = struct.unpack(">H", data[16:18])[0] or 65536
    trunk = struct.unpack(">I", data[32:36])[0]
    seen = set()
    while trunk and trunk not in seen:
        seen.add(trunk)
        page = data[(trunk - 1) * page_size : trunk * page_size]
        yield page
        count = struct.unpack(">I", page[4:8])[0]
        for n in range(min(count, (page_size - 8) // 4)):
            leaf = struct.unpack(">I", page[8 + 4 * n : 12 + 4 * n])[0]
            yield data[(leaf - 1) * page_size : leaf * page_size]
        trunk = struct.unpack(">I", page[:4])[0]


def _free_pages_of(path: Path) -> list[bytes]:
    return list(_sqlite_free_pages(path)) if path.is_file() else []


async def audit(db: Database, batch: int) -> list[Finding]:
    """Every finding in the database at ``db`` (empty when nothing could identify anyone).

    ``batch`` is RESPONSE_BATCH, the smallest anonymity set tokens may be written in.
    """
    shape, rows = await _read_all(db)
    known = _names(row["reference"] for row in rows.get("conversation_references", []))
    keyed = {int(row["wave_id"]) for row in rows.get("wave_keys", [])}
    findings = list(_column_findings(shape))
    findings += _value_findings(rows, known, keyed)
    closed_keyed = {int(r["id"]) for r in rows.get("waves", []) if r["closed"]} & keyed
    if closed_keyed:
        findings.append(
            Finding("wave_keys", "wave_id", "a closed wave whose key was not destroyed", len(closed_keyed))
        )
    if db.dialect == "postgresql":
        findings += await _xmin_findings(db, batch)
    elif db.dialect == "sqlite":
        pages = await asyncio.to_thread(_free_pages_of, Path(make_url(db.url).database or ""))
        for page in pages:
            readable = page.decode("latin-1")
            if PERSON_ID.search(readable) or any(name in readable for name in known):
                findings.append(Finding("(free pages)", "-", "an id or name of a person left in a free page"))
                break
    return findings
