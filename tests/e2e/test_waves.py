"""Several questionnaires open at once, over HTTP: who is offered what, choosing, pausing one for another.

The app opens the practitioner wave on start; the test opens an impact-assessment
wave beside it. The partnership file names the chat user LEAD as Children's
Social Care's lead, so LEAD is offered both and everyone else only the first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from common.partnership import load_partnership
from storage.database import Database
from storage.responses import read_responses
from storage.waves import Wave, create_wave
from tests.helpers.chat import Chat, texts, titles
from tests.helpers.partnership import write_partnership

LEAD = "6f1c2d3e-0000-4000-8000-00000000c5c0"
PRACTITIONER = "Safeguarding practitioner questionnaire"
IMPACT = "Safeguarding impact assessment (agency return)"


@pytest.fixture
def partnership_file(tmp_path: Path) -> Path:
    return write_partnership(tmp_path, agency_leads=[{"agency": "CSC", "teams_user": LEAD}])


@pytest.fixture
def client(partnership_client: TestClient) -> TestClient:
    return partnership_client  # the app opened the practitioner wave when it started


@pytest.fixture
async def impact_wave(client: TestClient, database: Database, partnership_file: Path) -> Wave:
    """The impact-assessment wave, opened beside the practitioner wave the app opened."""
    today = datetime.now(UTC).date()
    agencies = load_partnership(partnership_file).agencies
    return await create_wave(database, "impact-assessment", 1, today, today + timedelta(days=30), agencies)


async def test_a_lead_is_asked_which_and_a_practitioner_is_not_offered_the_agency_return(
    client: TestClient, impact_wave: Wave
) -> None:
    lead = Chat(client, user=LEAD)
    which = await lead.say("start survey")
    assert titles(which) == [f"Start: {PRACTITIONER}", f"Start: {IMPACT}"]
    assert f"1. {PRACTITIONER}" in texts(which)
    assert f"2. {IMPACT}" in texts(which)
    started = await lead.say("impact assessment")  # typed: its name
    assert f"Starting the {IMPACT}." in texts(started)
    assert "Which agency is this return for?" in texts(started)

    practitioner = Chat(client)
    started = await practitioner.say("start survey")
    assert f"Starting the {PRACTITIONER}." in texts(started)
    assert "Question 1 · up to 21 more" in texts(started)
    assert IMPACT not in texts(practitioner.log)
    # nor by asking for it by name: it is not on offer to them
    await practitioner.say("pause")
    asked = await practitioner.say("impact assessment")
    assert "Starting" not in texts(asked)


async def test_pause_one_start_the_other_resume_the_first_and_each_keeps_its_answers(
    client: TestClient, impact_wave: Wave, database: Database
) -> None:
    lead = Chat(client, user=LEAD)
    await lead.say("start survey")
    await lead.press(f"Start: {IMPACT}")
    await lead.say("Children's Social Care")
    await lead.say("Budget cuts to early help")
    assert "Paused" in texts(await lead.say("pause"))

    which = await lead.say("start survey")
    assert {f"Resume: {IMPACT}", f"Start: {PRACTITIONER}"} <= set(titles(which))
    assert f"2. {IMPACT} (open until" in texts(which)
    started = await lead.say("1")  # typed: its number
    assert f"Starting the {PRACTITIONER}." in texts(started)
    await lead.say("Thames Valley Police")
    assert "Who do you mainly work with?" in texts(lead.log[-1:])

    # a button of the earlier list switches back: the practitioner questionnaire is paused on the way
    back = await lead.press(f"Resume: {IMPACT}")
    assert f"Back to the {IMPACT}." in texts(back)
    assert "Question 2 · up to" in texts(back)
    await lead.say("done")  # accepted: the issue given before pausing is kept (the question needs one)
    assert "performance data" in texts(lead.log[-1:])  # impact_q2

    await lead.say("pause")
    which = await lead.say("resume")  # two started: which one?
    assert {f"Resume: {IMPACT}", f"Resume: {PRACTITIONER}"} <= set(titles(which))
    back = await lead.press(f"Resume: {PRACTITIONER}")
    assert "Who do you mainly work with?" in texts(back)
    assert "Question 2 · up to" in texts(back)

    # finish the impact return from its own button; nothing is stored for the practitioner wave
    await lead.say("pause")
    await lead.say("start survey")
    await lead.press(f"Resume: {IMPACT}")
    for issue in ("Backlog at the front door", "Audit of strategy meetings", "Partners hold more risk"):
        await lead.say(issue)
        await lead.say("done")
    for issue in ("Joint commissioning", "More children come into care"):
        await lead.say(issue)
        await lead.say("done")
    done = await lead.say("submit")
    assert "return has been submitted" in texts(done)
    (stored,) = await read_responses(database)
    assert (stored.wave_id, stored.agency) == (impact_wave.id, "CSC")

    # with one questionnaire left, "start survey" goes straight back to it
    again = await lead.say("start survey")
    assert "Which would you like" not in texts(again)
    assert "Who do you mainly work with?" in texts(again)
