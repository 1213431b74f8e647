"""Boards: a wave of the children's board reaches that board's leads and report recipients, not the
adults'; a lead sends the agency's summary from the results card and it appears in the partnership report.

The app runs over HTTP on a real SQLite file; everyone installs the bot from
Teams (so the bot keeps where to reach them: a local fake Bot Connector);
``python -m programme waves close --reports`` and ``python -m analysis report``
run as commands (their ``main``, in a thread) on the same database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from analysis.cli import main as analysis
from analysis.frame import submissions
from analysis.synthetic import generate
from common.partnership import load_partnership
from programme.__main__ import main as programme
from storage.agency_summaries import read_summaries
from storage.database import Database
from storage.responses import add_responses
from storage.waves import Wave, create_wave, get_wave
from surveys.loader import load_definitions
from tests.helpers.chat import Chat, texts
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.partnership import (
    ADULTS_CHAIR,
    ASC_LEAD,
    CHILDREN_CHAIR,
    CSC_LEAD,
    POLICE_LEAD,
    TWO_BOARDS,
    write_partnership,
)

SECRET = "e2e-test-secret"
SUMMARY = (
    "Training reached most of our frontline staff.\n"
    "We will brief every team on escalation; ask Jane Smith on 07700 900123 for the plan."
)


@pytest.fixture
async def fake() -> Any:
    async with FakeConnector() as connector:
        yield connector


@pytest.fixture
def partnership_file(tmp_path: Path) -> Path:
    """The example file's contacts and settings, with three agencies, their leads and two boards."""
    return write_partnership(tmp_path, **TWO_BOARDS)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, partnership_file: Path, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PARTNERSHIP_FILE", str(partnership_file))
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


@pytest.fixture
async def children_wave(partnership_client: TestClient, database: Database, partnership_file: Path) -> Wave:
    """Last term's practitioner wave of the children's board, with 120 synthetic responses in it."""
    partnership = load_partnership(partnership_file)
    definition = load_definitions(partnership)["practitioner"]
    today = datetime.now(UTC).date()
    opens, closes = today - timedelta(days=90), today - timedelta(days=50)
    agencies = [partnership.agency("CSC"), partnership.agency("TVP")]
    wave = await create_wave(database, "practitioner", 1, opens, closes, agencies, boards=["children"])
    frame = generate(definition, [("CSC", 300), ("TVP", 600)], 120, wave=wave.id, months=[f"{opens:%Y-%m}"])
    await add_responses(database, wave.id, list(submissions(frame, definition, ["CSC", "TVP"])))
    return wave


async def installed(client: TestClient, fake: FakeConnector, user: str) -> Chat:
    chat = Chat(client, user=user, connector=fake.url)
    await chat.post(chat.install())
    return chat


def sent_to(fake: FakeConnector) -> dict[str, dict[str, Any]]:
    """The card each conversation was sent, by the user it belongs to ("a:<user>")."""
    return {
        call.conversation_id.removeprefix("a:"): call.body["attachments"][0]["content"]
        for call in fake.calls
        if call.kind == "send" and call.conversation_id
    }


def submit_button(card: dict[str, Any]) -> dict[str, Any]:
    (button,) = [a for a in card["actions"] if a["type"] == "Action.Submit"]
    return button


async def test_a_boards_wave_is_routed_to_its_own_leads_and_recipients_and_summaries_reach_its_report(
    partnership_client: TestClient,
    fake: FakeConnector,
    database: Database,
    children_wave: Wave,
    cli_env: Path,
) -> None:
    client = partnership_client
    people = {user: await installed(client, fake, user) for user in (CSC_LEAD, ASC_LEAD, POLICE_LEAD)}
    for chair in (CHILDREN_CHAIR, ADULTS_CHAIR):
        await installed(client, fake, chair)

    # the business manager closes the wave and has its reports built and sent
    code = await asyncio.to_thread(programme, ["waves", "close", str(children_wave.id), "--reports"])
    assert code == 0
    assert (await get_wave(database, children_wave.id)).closed  # type: ignore[union-attr]
    cards = sent_to(fake)
    # the children's board: its CSC lead, the police lead (named for every board) and its chair
    assert set(cards) == {CSC_LEAD, POLICE_LEAD, CHILDREN_CHAIR}
    assert "Children's Social Care" in cards[CSC_LEAD]["body"][0]["text"]
    assert "Children's Safeguarding Partnership" in cards[CHILDREN_CHAIR]["body"][0]["text"]
    # each lead is asked for the agency's summary; the board's reader is not
    assert submit_button(cards[CSC_LEAD])["data"] == {
        "action": "agency_summary",
        "wave": children_wave.id,
        "agency": "CSC",
    }
    assert [a["type"] for a in cards[CHILDREN_CHAIR]["actions"]] == ["Action.OpenUrl"]
    assert (cli_env / str(children_wave.id) / "partnership" / "report.html").is_file()

    # someone who is not CSC's lead cannot send CSC's summary, even with the card's data
    button = submit_button(cards[CSC_LEAD])
    refused = await people[ASC_LEAD].click({**button["data"], "agency_summary": "Not ours to say."})
    assert "Only the agency's lead" in texts(refused)
    empty = await people[CSC_LEAD].click({**button["data"], "agency_summary": "   "})
    assert "Please write" in texts(empty)
    thanks = await people[CSC_LEAD].click({**button["data"], "agency_summary": SUMMARY})
    assert "Children's Social Care's summary of the findings is with the board" in texts(thanks)
    kept = await read_summaries(database, children_wave.id)
    assert list(kept) == ["CSC"]
    assert "07700" not in kept["CSC"]  # screened like the agency's self-assessment

    out = cli_env.parent / "out"
    code = await asyncio.to_thread(analysis, ["report", "--wave", str(children_wave.id), "--out", str(out)])
    assert code == 0
    page = (out / str(children_wave.id) / "partnership" / "report.html").read_text(encoding="utf-8")
    assert "Agencies' own summaries of their findings" in page
    assert "Training reached most of our frontline staff." in page
    assert "Jane Smith" not in page
    police = (out / str(children_wave.id) / "TVP" / "report.html").read_text(encoding="utf-8")
    assert "Training reached most" not in police  # an agency's report shows only its own summary
