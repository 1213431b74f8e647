"""Audit of the real database after a full round of use: no identity joinable to a response.

Every table and column is read back from the database itself (SQLAlchemy
inspection and SELECT *), not from the models, so a column added by a
migration and forgotten here is audited too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy import types as sa_types

from common.settings import Settings
from storage import (
    agency_summaries,
    assessments,
    conversations,
    experts,
    guidance_log,
    invitations,
    jobs,
    lease,
    reminders,
)
from storage.audit import audit
from storage.database import Database
from storage.processed import activity_key, claim
from storage.submissions import submit
from storage.waves import Wave, create_wave
from tests.storage.survey_docs import keep, survey_document
from tests.storage.test_migrations import run_cli

# The anonymous side: responses, their answers, responses waiting to be moved, and tokens.
RESPONSE_SIDE = {"responses", "answers", "submission_tokens"}
# Tables that exist to identify people (so the bot can message them) and hold nothing else.
IDENTITY_TABLES = {"conversation_references", "invitations"}
IDENTIFYING_NAME = re.compile(
    r"user|person|name|aad|tenant|conversation|ip_?addr|email|phone|time|date|created|updated|_at$|_on$|key|state"
)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}")


def person(n: int) -> dict[str, str]:
    """Everything Teams tells the bot about one practitioner."""
    aad = f"7c1f2a9e-0b4d-4e55-9a61-00000000{n:04d}"
    return {
        "person_id": f"msteams:{aad}",
        "aad": aad,
        "from_id": f"29:1Hx-practitioner-{n}-Fq0",
        "name": f"Alex Practitioner{n}",
        "conversation": f"a:1conv-{n}-Z9Yx",
        "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "ip": f"10.20.30.{n}",
    }


def reference(who: dict[str, str]) -> dict[str, Any]:
    return {
        "user": {"id": who["from_id"], "name": who["name"], "aadObjectId": who["aad"]},
        "conversation": {
            "id": who["conversation"],
            "tenantId": who["tenant"],
            "conversationType": "personal",
        },
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "channelId": "msteams",
    }


async def dump(db: Database) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, list[str]]]]:
    """Rows of every table (values as strings) and each table's columns, types and foreign keys."""

    def describe(sync: Any) -> dict[str, dict[str, list[str]]]:
        inspector = inspect(sync)
        shape = {}
        for table in inspector.get_table_names():
            columns = inspector.get_columns(table)
            shape[table] = {
                "columns": [c["name"] for c in columns],
                "types": [c["type"] for c in columns],
                "fks": [fk["referred_table"] for fk in inspector.get_foreign_keys(table)],
            }
        return shape

    async with db.engine.connect() as connection:
        shape = await connection.run_sync(describe)
        rows = {}
        for table in shape:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 - names from the inspector
            rows[table] = [
                {k: ("" if v is None else str(v)) for k, v in row._mapping.items()} for row in result
            ]
    return rows, shape


def where(rows: dict[str, list[dict[str, str]]], needle: str) -> set[tuple[str, str]]:
    """Every (table, column) holding ``needle`` anywhere in a value."""
    return {
        (table, column)
        for table, table_rows in rows.items()
        for row in table_rows
        for column, value in row.items()
        if needle in value
    }


@pytest.fixture
async def used(db: Database, wave: Wave, settings: Settings) -> dict[str, Any]:
    """Six practitioners submit (one batch moved, one response still staged), a seventh is mid-survey;
    references, invitations, guidance questions and an expert question are stored too."""
    people = [person(n) for n in range(8)]
    response_ids = []
    for who in people[:6]:
        document = survey_document(who["person_id"], wave.id)
        response_ids.append(document["progress"]["response_id"])
        key = await keep(db, settings, document)
        assert (await submit(db, key, settings)).kind == "stored"
    in_progress = people[6]
    await keep(db, settings, survey_document(in_progress["person_id"], wave.id, status="in_progress"))
    # the turn that wrote it, recorded so a second delivery changes nothing
    conversation = f"msteams:{in_progress['conversation']}"
    await claim(db, activity_key(settings.secret_bytes(), conversation, "1:1Hx-a6"))
    for who in people:
        key = f"msteams:{who['from_id']}"
        await conversations.save_reference(db, key, reference(who), "personal", who["aad"])
        await invitations.mark(db, wave.id, key, "sent")
    await guidance_log.record_question(db, "does [name removed] meet threshold?", None, 0.2, answered=False)
    await guidance_log.record_feedback(db, "escalation", helpful=False, question_redacted="how do I escalate")
    await experts.ask(db, "who is the LADO?", reference(people[7]), settings.secret_bytes(), keep_days=60)
    # An agency's self-assessment return (its own words, no person): rounds, returns and entries.
    round_ = await assessments.create_round(
        db, title="2026-27", standards="s", opens=wave.opens, returns_by=wave.closes, wave_id=wave.id
    )
    entry = assessments.EntryRecord("1a", "green", "A named lead", "Improved", "", "", None, "not started")
    await assessments.save_return(
        db, assessments.ReturnRecord(round_.id, "CSC", "submitted", "chat", wave.opens, None, None, (entry,))
    )
    # The scheduled tick: its lease, a job it did once, a wave's reminder days, reminders to two people.
    assert await lease.acquire(db, "tick", lease.new_holder(), 60)
    assert await jobs.claim(db, f"assessment-action/{round_.id}/CSC/1a/{wave.closes}/0a1b2c3d4e5f")
    await jobs.finish(
        db, f"assessment-action/{round_.id}/CSC/1a/{wave.closes}/0a1b2c3d4e5f", "done", "", wave.opens
    )
    await reminders.set_days(db, wave.id, [7, 2])
    hashed = await reminders.hasher(db, wave.id, settings.secret_bytes())
    assert await reminders.claim(db, wave.id, hashed(people[7]["person_id"]), wave.closes, wave.closes)
    await reminders.finish(db, wave.id, hashed(people[7]["person_id"]), True, wave.closes)
    await reminders.note_quiet(db, wave.id, hashed(in_progress["person_id"]), wave.opens)
    # A wave's board, and an agency's own summary of its findings sent back to the board.
    await create_wave(db, "impact-assessment", 1, wave.opens, wave.closes, [], boards=["children"])
    await agency_summaries.save_summary(db, wave.id, "CSC", "Training reached most of our staff.", "2026-12")
    return {
        "people": people,
        "submitted": people[:6],
        "in_progress": in_progress,
        "response_ids": response_ids,
    }


async def test_every_table_is_in_use_so_the_audit_sees_real_rows(db: Database, used: dict[str, Any]) -> None:
    rows, _ = await dump(db)
    empty = sorted(table for table, table_rows in rows.items() if not table_rows)
    assert empty == []
    assert len(rows["responses"]) == 5
    assert len(rows["submission_tokens"]) == 5  # written only with their batch


async def test_no_identity_appears_anywhere_but_the_tables_that_exist_to_hold_it(
    db: Database, used: dict[str, Any]
) -> None:
    rows, _ = await dump(db)
    for who in used["people"]:
        for kind, value in who.items():
            if kind == "ip":
                assert where(rows, value) == set(), "the bot never needs an address"
                continue
            found = {table for table, _ in where(rows, value)}
            assert found <= IDENTITY_TABLES, (kind, found)
    # Nobody is in the state table in the clear: documents are sealed, under keyed hashes.
    for who in used["people"]:
        assert not {t for t, _ in where(rows, who["person_id"])} & {"bot_state", "expert_questions"}


async def test_a_response_id_appears_only_with_its_own_answers(db: Database, used: dict[str, Any]) -> None:
    rows, _ = await dump(db)
    for response_id in used["response_ids"]:
        found = where(rows, response_id)
        stored = {("responses", "id"), ("answers", "response_id")}
        assert found in (stored, set()), found  # stored, or still sealed in its pending document


async def test_the_response_side_has_no_identifying_column_time_or_link(
    db: Database, used: dict[str, Any]
) -> None:
    rows, shape = await dump(db)
    for table in RESPONSE_SIDE:
        columns = shape[table]["columns"]
        if table == "submission_tokens":
            assert columns == ["token", "wave_id"]
        else:
            assert not [c for c in columns if IDENTIFYING_NAME.search(c)], (table, columns)
        clocks = [
            t
            for t in shape[table]["types"]
            if isinstance(t, sa_types.DateTime | sa_types.Date | sa_types.Time)
        ]
        assert clocks == [], table
        assert set(shape[table]["fks"]) <= {"waves", "responses"}, table
        for row in rows[table]:
            for column, value in row.items():
                if column == "submitted_month":
                    assert re.fullmatch(r"\d{4}-\d{2}", value)
                elif column == "payload":
                    assert not TIMESTAMP.search(re.sub(r'"month": "\d{4}-\d{2}"', "", value)), value
                else:
                    assert not TIMESTAMP.search(value), (table, column, value)
    # Nothing but a response's own answers points at a response; no token points anywhere but its wave.
    pointing_at_responses = {t for t, s in shape.items() if "responses" in s["fks"]}
    assert pointing_at_responses == {"answers"}
    assert shape["submission_tokens"]["fks"] == ["waves"]


async def test_tokens_and_keys_reveal_nothing_without_the_secret(db: Database, used: dict[str, Any]) -> None:
    rows, _ = await dump(db)
    tokens = [row["token"] for row in rows["submission_tokens"]]
    assert len(tokens) == 5
    assert all(re.fullmatch(r"[0-9a-f]{64}", token) for token in tokens)
    [sealed] = [row["sealed"] for row in rows["wave_keys"]]
    assert sealed.startswith("gAAAA")  # a Fernet token: the wave key is never stored in the clear


async def test_sqlite_keeps_no_hidden_insertion_order_on_the_response_side(
    db: Database, used: dict[str, Any]
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("rowid is SQLite's")
    async with db.engine.connect() as connection:
        for table in RESPONSE_SIDE:
            with pytest.raises(Exception, match="no such column"):
                await connection.execute(text(f'SELECT rowid FROM "{table}"'))  # noqa: S608 - fixed names


# --- python -m storage audit -------------------------------------------------------------


async def test_the_audit_finds_nothing_after_a_round_of_use(
    db: Database, used: dict[str, Any], settings: Settings
) -> None:
    assert [str(f) for f in await audit(db, settings.response_batch)] == []


PLANTED = {
    "an id in the guidance log": "INSERT INTO guidance_log (kind, question, month) VALUES "
    "('question', 'ask msteams:7c1f2a9e-0b4d-4e55-9a61-000000000003 about it', '2026-11')",
    "a display name in an answer": "UPDATE answers SET value = 'Alex Practitioner2 said so' "
    "WHERE item_id = 'one_change'",
    "an exact date in the guidance log": "INSERT INTO guidance_log (kind, question, month) VALUES "
    "('question', 'what happened on 2026-11-23?', '2026-11')",
    "an unsealed survey": "INSERT INTO bot_state (key, document, e_tag, updated_at) VALUES "
    "('survey/msteams:someone', '{\"person\": \"x\"}', 'e', '2026-11-23 10:00:00+00:00')",
    "unredacted free text": "INSERT INTO guidance_log (kind, question, month) VALUES "
    "('question', 'call her on 07700 900123', '2026-11')",
}


@pytest.mark.parametrize("planted", sorted(PLANTED))
async def test_the_audit_exits_non_zero_on_a_planted_identifier(
    db: Database,
    used: dict[str, Any],
    database_url: str,
    planted: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (await run_cli(monkeypatch, capsys, database_url, "audit"))[0] == 0
    async with db.transaction() as session:
        await session.execute(text(PLANTED[planted]))
    code, out, err = await run_cli(monkeypatch, capsys, database_url, "audit")
    assert code == 1, (planted, out)
    assert "found what could identify someone" in err
    assert "7c1f2a9e" not in err
    assert "Alex" not in err
    assert "07700" not in err


@pytest.mark.postgres
async def test_the_audit_sees_tokens_written_apart_from_their_responses(
    db: Database, used: dict[str, Any], wave: Wave, settings: Settings
) -> None:
    """The shape of issue 10's finding: a token in its own transaction, next to its response's."""
    if db.dialect != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO responses (id, wave_id, agency, submitted_month)"
                " VALUES ('planted-response-id', :w, 'CSC', '2026-11')"
            ),
            {"w": wave.id},
        )
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO submission_tokens (token, wave_id) VALUES (:t, :w)"),
            {"t": "f" * 64, "w": wave.id},
        )
    problems = {f.problem for f in await audit(db, settings.response_batch)}
    assert "tokens not written with their batch of responses" in problems
    assert "tokens in a transaction next to a response's" in problems
