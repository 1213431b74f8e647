"""A self-assessment round end to end: one agency in chat over HTTP, another by workbook, the board's report.

The app runs on a real SQLite file with a partnership file naming the chat
user as Children's Social Care's lead; the commands run as `python -m
assessments` would (its ``main``, in a thread, with the same environment).
"""

from __future__ import annotations

import asyncio
import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from assessments.cli import main
from assessments.loader import load_standard_sets
from bot.app import create_app
from common.partnership import load_partnership
from storage import assessments as store
from storage.database import Database
from storage.responses import add_responses
from storage.waves import latest_wave
from surveys.turns import Submission
from tests.assessments.workbooks import fill, green_everywhere
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import Chat, buttons, text_of, texts, titles

ROOT = Path(__file__).resolve().parents[2]
LEAD = "6f1c2d3e-0000-4000-8000-00000000c5c0"  # the CSC lead's AAD object id
STANDARDS = load_standard_sets()["section11-adults-2018"]
FULL_1A = "Our director is the named lead; safeguarding is in the strategic plan; policies are reviewed."


@pytest.fixture
def partnership_file(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "config" / "partnership.example.yaml").read_text(encoding="utf-8"))
    data["agency_leads"] = [
        {"agency": "CSC", "teams_user": LEAD},
        {"agency": "TVP", "email": "tvp@example.org"},
    ]
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
async def app_client(
    aiohttp_client: AiohttpClient, sqlite_url: str, tmp_path: Path, partnership_file: Path, bot_host: str
) -> TestClient:
    settings = e2e_settings(sqlite_url, tmp_path, partnership_file=partnership_file, bot_host=bot_host)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, partnership_file: Path, bot_host: str) -> None:
    monkeypatch.setenv("BOT_HOST", bot_host)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PARTNERSHIP_FILE", str(partnership_file))
    monkeypatch.setenv("SECRET_KEY", "e2e-test-secret")


async def cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


def card_inputs(**values: str) -> dict[str, str]:
    """What Teams sends for the standard card's inputs (every input, empty ones as "")."""
    return {"how_met": "", "impact": "", "actions": "", "lead": "", "due": "", **values}


async def rate(chat: Chat, rating: str, **values: str) -> list[dict[str, Any]]:
    title = next(t for t in titles([chat.current_card()]) if t.removeprefix("✓ ").startswith(f"{rating}:"))
    return await chat.press(title, **card_inputs(**values))


async def test_one_agency_in_chat_another_by_workbook_then_the_boards_report(
    app_client: TestClient, database: Database, cli_env: None, tmp_path: Path, partnership_file: Path
) -> None:
    today = date.today()
    # The bot opened the practitioner wave at start-up: CSC has 50 of 450 (11%), TVP 10 of 1200.
    await app_client.post("/api/messages", json={})  # the app has started once this answers
    wave = await latest_wave(database, "practitioner")
    assert wave is not None
    rows = [
        (Submission("practitioner", 1, c, {}), f"{today:%Y-%m}")
        for c, n in (("CSC", 50), ("TVP", 10))
        for _ in range(n)
    ]
    await add_responses(database, wave.id, rows)
    returns_by = today + timedelta(days=14)
    assert await cli("round", "open", "--title", "2026-27", "--returns-by", returns_by.isoformat()) == 0

    # Someone who is not an agency lead is told who completes it.
    stranger = Chat(app_client)
    assert "completed by each agency's lead" in texts(await stranger.say("assessment"))

    # CSC's lead, in chat, one standard per card.
    chat = Chat(app_client, user=LEAD)
    first = await chat.say("self-assessment")
    assert "Standard 1 of 10" in texts(first)
    assert "1a Senior management commitment to safeguarding" in texts(first)
    assert [t.split(":")[0] for t in titles(first)][:4] == ["Blue", "Green", "Amber", "Red"]
    assert "50 responses from a frontline headcount of 450 (11.1%" in texts(first)

    second = await rate(chat, "Blue", how_met=FULL_1A, impact="Audits show improved outcomes.")
    assert "Standard 2 of 10" in texts(second)
    assert "will stand as" not in texts(second)
    answered = chat.by_id[first[0]["id"]]  # the pressed card now shows what was saved, with nothing to press
    assert buttons(answered) == []
    assert "✓ Blue (saved)" in text_of(answered)

    # 1b: type half of it, pause, come back later: it is all still there.
    paused = await chat.press("Pause", **card_inputs(how_met="Clear lines of accountability to the board"))
    assert "Paused with 1 of 10 standards rated" in texts(paused)
    resumed = await chat.say("assessment")
    assert "Standard 2 of 10" in texts(resumed)
    how_met = next(
        e for e in chat.current_card()["attachments"][0]["content"]["body"] if e.get("id") == "how_met"
    )
    assert how_met["value"] == "Clear lines of accountability to the board"

    answers = green_everywhere(STANDARDS)
    for standard in STANDARDS.standards[1:]:
        values = {k: v for k, v in answers[standard.id].items() if k != "rating"}
        if standard.id == "2a":  # a service user named in the text is redacted before it is kept
            values["how_met"] = "Family views shaped the service; Jane Smith on 07700 900123 told us."
        if standard.id == "2c":
            refused = await rate(chat, "Amber", **values)
            assert (
                "2c: Amber needs actions to raise it to Green or Blue, with a lead and a timescale"
                in texts(refused)
            )
            assert "Standard 6 of 10" in texts(refused)  # still on 2c
            await rate(
                chat,
                "Amber",
                actions="Add safeguarding clauses to every contract",
                lead="Head of Commissioning",
                due=(today + timedelta(days=30)).isoformat(),
            )
            continue
        if standard.id == "3a":
            note = await rate(chat, "Green", how_met="", impact="")
            assert "Amber (rated Green" in texts(note)
            await rate(chat, "Green", **values)
            continue
        last = await rate(chat, "Green", **values)
    assert "Your self-assessment" in texts(last)
    assert "1a: Senior management commitment to safeguarding: Blue" in texts(last)
    assert "Still to do" not in texts(last)
    submitted = await chat.press("Submit to the board", alternative="", target="1a")
    assert "has gone to the board" in texts(submitted)

    (csc,) = await store.read_returns(database, 1, ["CSC"])
    by_standard = {e.standard: e for e in csc.entries}
    assert (csc.source, by_standard["1a"].rating, by_standard["2c"].rating) == ("chat", "blue", "amber")
    assert by_standard["2a"].how_met == "Family views shaped the service; [name] on [phone] told us."

    # The lead updates an action's status in chat.
    action_cards = await chat.say("my actions")
    assert "2c · Amber: Add safeguarding clauses to every contract" in text_of(action_cards[0])
    updated = await chat.press("Update status", status="in progress")
    assert "The action for 2c is now “in progress”." in texts(updated)

    # TVP by workbook: Blue on 1a, but 10 of 1200 responses is not enough evidence.
    workbook = tmp_path / "TVP.xlsx"
    assert await cli("template", "--agency", "TVP", "--out", str(workbook)) == 0
    tvp = green_everywhere(STANDARDS)
    tvp["1a"] = {"rating": "Blue", "how_met": FULL_1A, "impact": "Fewer delays, improved outcomes."}
    tvp["3b"] = {
        "rating": "Red",
        "actions": "Re-check DBS renewals",
        "lead": "HR",
        "due": today + timedelta(days=5),
    }
    await asyncio.to_thread(fill, workbook, tvp)
    assert await cli("import", str(workbook)) == 0

    # The board's report, as of a day after TVP's action fell due.
    out = tmp_path / "board"
    assert await cli("--today", (today + timedelta(days=6)).isoformat(), "report", "--out", str(out)) == 0
    with (out / "matrix.csv").open(encoding="utf-8-sig") as handle:
        matrix = {(r["agency"], r["standard"]): r for r in csv.DictReader(handle)}
    assert [matrix["CSC", "1a"][k] for k in ("self_rating", "standing")] == ["Blue", "Blue"]
    assert [matrix["CSC", "2c"][k] for k in ("self_rating", "standing")] == ["Amber", "Amber"]
    assert [matrix["TVP", "1a"][k] for k in ("self_rating", "standing")] == ["Blue", "Green"]
    assert matrix["TVP", "1a"]["reasons"] == (
        "Blue needs questionnaire evidence: 10 responses from a frontline headcount of 1200 "
        "(0.8%; the target is 10%, 120 responses)"
    )
    assert matrix["OUH", "1a"]["standing"] == "no return"
    with (out / "actions.csv").open(encoding="utf-8-sig") as handle:
        tracker = [(r["agency"], r["standard"], r["status"], r["overdue"]) for r in csv.DictReader(handle)]
    assert tracker == [("TVP", "3b", "not started", "yes"), ("CSC", "2c", "in progress", "")]
    html = (out / "self-assessment.html").read_text(encoding="utf-8")
    assert "2 of 16 agencies have returned" in html
    assert load_partnership(partnership_file).agency_leads[0].teams_user == LEAD


async def test_the_word_assessment_mid_survey_is_a_survey_answer_not_a_detour(app_client: TestClient) -> None:
    chat = Chat(app_client, user=LEAD)
    await chat.post(chat.install())
    assert "Question 1 ·" in texts(await chat.press("Start the survey"))
    replies = await chat.say("assessment")
    assert "Standard 1 of" not in texts(replies)
    assert "Question 1 ·" in texts(replies)


async def test_a_double_tap_on_a_rating_is_saved_once_and_moves_on_once(
    app_client: TestClient, database: Database
) -> None:
    await store.create_round(
        database, title="2026-27", standards=STANDARDS.id, opens=date.today(), returns_by=date.today()
    )
    chat = Chat(app_client, user=LEAD)
    await chat.say("assessment")
    card = chat.current_card()
    title = next(t for t in titles([card]) if t.startswith("Green:"))
    data = next(b["data"] for b in buttons(card) if b["title"] == title)
    press = chat.submission(
        {**data, **card_inputs(how_met="Named lead", impact="Improved outcomes")}, card["id"]
    )
    first, second = await asyncio.gather(chat.post(press), chat.post({**press, "id": "f:again"}))
    assert "Sorry" not in texts(first + second)
    assert {"Standard 2 of 10" in texts(replies) for replies in (first, second)} == {True}
    now = await chat.say("assessment")
    assert "Standard 2 of 10" in texts(now)  # not pushed on to 1c by the second tap
