"""A small, quick subset of the fault suite (bench/fault_suite), against real ``python -m bot`` processes.

Each test runs one fault of the suite with small bounds on a fresh SQLite file
and asserts what the suite's table would show: nothing lost, duplicated or
wrong, no HTTP 5xx (but the documented ones), no traceback or personal data
in the bot's log, the process alive. Each test names the issue 9 item it
reproduced before that item was fixed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bench.fault_suite.client import Exchange, Person, acknowledges_submission, complete
from bench.fault_suite.context import Bounds, Fault, Run
from bench.fault_suite.databases import fresh_database, postgres_bin
from bench.fault_suite.hostile import (
    INJECTIONS,
    ODD_TEXT,
    UNICODE_EDGES,
    Case,
    hostile_fault,
)
from bench.fault_suite.process import BotProcess, bot_environment
from bench.fault_suite.results import Result, table
from bench.fault_suite.suite import run_faults
from bench.fault_suite.survey_faults import crash, duplicates, outage, replicas
from bench.fault_suite.tokens import forged_tokens
from common.settings import ROOT
from tests.helpers.fake_connector import FakeConnector

pytestmark = pytest.mark.slow

SMALL = Bounds(
    surveys=2,
    kill_every=20,
    duplicate_surveys=2,
    replica_surveys=2,
    outage_surveys=3,
    outage_seconds=2.0,
    hostile_requests=0,
    forged_each=1,
    concurrency=3,
    fault_seconds=240.0,
)
# A few fields of every kind: the message, a name, the person's id, the conversation's id, a card's answer.
FIELDS = ("text", "from.name", "from.aadObjectId", "conversation.id", "value.answer", "channelId")


async def one(fault: Fault, tmp_path: Path, backend: str = "sqlite") -> Result:
    [result] = await run_faults({"fault": fault}, [backend], SMALL, seed=9, workdir=tmp_path, report=False)
    return result


def explain(result: Result) -> str:
    return table([result]) + "\n" + "\n".join(result.examples[:20])


def assert_clean(result: Result, *, except_for: str | None = None) -> None:
    """The fault's table row is clean (every failed unit's reason naming ``except_for`` aside)."""
    assert result.tried > 0
    excused = sum(n for reason, n in result.reasons.items() if except_for and except_for in reason)
    assert result.failed == excused, explain(result)
    checks = (result.lost, result.duplicated, result.wrong, result.server_errors, result.tracebacks)
    assert checks == (0, 0, 0, 0, 0), explain(result)
    assert (result.leaks, result.alive) == (0, True), explain(result)


# -- whole surveys ----------------------------------------------------------------------------------


async def test_a_bot_killed_at_random_turns_stores_every_confirmed_survey_once(tmp_path: Path) -> None:
    result = await one(crash, tmp_path)
    assert any(note.split()[0] != "0" and "kills" in note for note in result.notes), result.notes
    # A repeated "submit" after a lost reply (item 3) may or may not happen in a run this small;
    # test_a_repeated_submit_is_told_the_answers_are_in reproduces it every time.
    assert_clean(result, except_for="item 3")


async def test_every_activity_delivered_twice_changes_nothing(tmp_path: Path) -> None:
    assert_clean(await one(duplicates, tmp_path))


async def test_two_replicas_answering_alternate_turns_store_every_survey(tmp_path: Path) -> None:
    assert_clean(await one(replicas, tmp_path))


async def test_a_locked_sqlite_file_mid_wave_loses_nothing(tmp_path: Path) -> None:
    assert_clean(await one(outage, tmp_path))


async def test_a_repeated_submit_is_told_the_answers_are_in(tmp_path: Path) -> None:
    """Someone who has submitted says "submit" again (as after a lost reply): not a guidance question."""
    async with (
        FakeConnector(record=False) as connector,
        aiohttp.ClientSession() as session,
        fresh_database("sqlite", tmp_path, "resubmit") as url,
    ):
        bot = BotProcess("resubmit", bot_environment(url, tmp_path), tmp_path)
        await bot.start()
        try:
            run = Run("sqlite", tmp_path, SMALL, f"{connector.url}/amer/", random.Random(3), session)
            [person] = run.people(1, "resubmit")

            async def send(who: Person, body: dict) -> Exchange:
                return await who.post(session, bot.url, body)

            async def wait(who: Person, body: dict) -> None:
                raise AssertionError("no reply is lost here")

            await complete(person, send, wait)
            assert person.finished
            again = await person.post(session, bot.url, person.message("submit"))
        finally:
            await bot.stop()
    assert again.status == 200
    assert acknowledges_submission(again.replies), again.replies


# -- the hostile corpus, by kind ----------------------------------------------------------------------


def _fields(case: Case) -> bool:
    return case.detail.split("=", 1)[0] in FIELDS


def _valued(values: tuple[str, ...]) -> Callable[[Case], bool]:
    shown = {json.dumps(v, ensure_ascii=True) for v in values}
    return lambda case: case.kind == "odd text in a field" and _fields(case) and (
        case.detail.split("=", 1)[1] in shown
    )


def _kinds(*kinds: str) -> Callable[[Case], bool]:
    return lambda case: case.kind in kinds


def _wrong_types(case: Case) -> bool:
    wrong = {"recipient", "entities.0", "from", "conversation", "value", "text", "channelData"}
    return case.kind == "wrong field type" and case.detail.split("=")[0] in wrong


def _every(n: int, select: Callable[[Case], bool]) -> Callable[[Case], bool]:
    """Every ``n``th case ``select`` keeps (the corpus is generated in a fixed order)."""
    seen = [0]

    def keep(case: Case) -> bool:
        if not select(case):
            return False
        seen[0] += 1
        return seen[0] % n == 1 or n == 1

    return keep


def _any(*selects: Callable[[Case], bool]) -> Callable[[Case], bool]:
    return lambda case: any(select(case) for select in selects)


async def test_odd_but_valid_and_refusable_requests_get_a_2xx_or_a_4xx(tmp_path: Path) -> None:
    """Unicode edge cases and injection strings in many fields, oversize ids, bodies that are not
    JSON activities, huge bodies, wrong content types: a 2xx or a 4xx, never a failed turn."""
    select = _any(
        _valued(UNICODE_EDGES[:12] + INJECTIONS[:12]),
        _every(3, _kinds("oversize id")),
        _kinds("not a JSON activity", "wrong content type", "huge body"),
    )
    assert_clean(await one(hostile_fault(select, odd_text=False), tmp_path))


async def test_malformed_activities_get_a_4xx_and_no_traceback(tmp_path: Path) -> None:
    """Mentions without names, fields of the wrong type, JSON nested deep, odd activity types."""
    select = _any(
        _every(3, lambda c: c.kind == "mention without a name" or c.detail.startswith("entities.")),
        _every(2, _wrong_types),
        _kinds("deep JSON"),
        _every(3, _kinds("unusual activity type")),
    )
    assert_clean(await one(hostile_fault(select, odd_text=False), tmp_path))


async def test_odd_text_in_any_field_is_refused_or_stored_and_never_blocks_anyone(tmp_path: Path) -> None:
    """Lone surrogates and NULs in many fields; then surveys with them in their free text beside
    plain ones: every plain one stored, flush --all and close-wave succeed, the wave key gone."""
    assert_clean(await one(hostile_fault(_valued(ODD_TEXT), plain_surveys=3), tmp_path))


# -- forged tokens --------------------------------------------------------------------------------------


async def test_forged_tokens_get_401_before_any_key_is_fetched(
    tmp_path: Path, bot_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_HOST", bot_host)  # the bot process takes its settings from the environment
    assert_clean(await one(forged_tokens, tmp_path))


async def test_tokens_refused_today_stay_refused_and_nothing_fails_open(tmp_path: Path) -> None:
    result = await one(forged_tokens, tmp_path)
    refused = ("no Authorization header", "not a bearer token", "bearer that is not a JWT", "wrong issuer")
    assert not [reason for reason in result.reasons if reason.startswith(refused)], explain(result)
    assert not [reason for reason in result.reasons if "HTTP 200" in reason], explain(result)
    assert (result.server_errors, result.tracebacks, result.alive) == (0, 0, True), explain(result)


def test_the_suite_runs_from_its_documented_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.fault_suite", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--faults" in done.stdout


# -- PostgreSQL stopped and started mid-wave (a private cluster, never the shared server) ------------------


def _private_postgres() -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL fault tests run with the PostgreSQL tests (TEST_DATABASE_URL)")
    if postgres_bin() is None:
        pytest.skip("no initdb under /usr/lib/postgresql/*/bin for a private cluster")


@pytest.mark.postgres
async def test_a_postgresql_restart_mid_wave_loses_nothing(tmp_path: Path) -> None:
    """Stored exactly once, no 5xx, alive, and the turns that fail while the server is down log one
    line each, not a traceback (regression: 552 tracebacks in one run)."""
    _private_postgres()
    result = await one(outage, tmp_path, "postgres")
    assert result.tried > 0, result.notes
    assert_clean(result)

