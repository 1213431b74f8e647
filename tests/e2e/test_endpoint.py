"""The HTTP endpoint itself: bad requests, authentication, tenants, Teams events, health and start-up."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS

from bench.fault_suite.tokens import KEY_ID, KeyServer
from bot import inbound
from bot.app import SERVICES, create_app
from bot.hosts import create_host
from bot.hosts.adapter import create_adapter
from common.errors import ContentError, SettingsError
from common.settings import ROOT, Secret, Settings
from guidance.emergency import EmergencyRules
from storage import conversations
from storage.database import Database
from storage.errors import SchemaBehindError
from storage.migrate import upgrade_async
from storage.responses import read_responses
from surveys import engine
from tests.e2e.conftest import AiohttpClient, e2e_settings
from tests.helpers.chat import CARD_INVOKE, Chat, teams_activity, text_of, texts, titles
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.shared import SHARED, shared_path

ACTIVITIES = sorted((SHARED / "teams" / "activities").glob("*.json"))
APP_ID = "11111111-2222-3333-4444-555555555555"
STRONG_SECRET = Secret("k3Jd9-QpL2x_Vb7Zr0Tn4Ws8Ya1Uc6Me5")


def expecting_replies(name: str) -> dict[str, Any]:
    activity = teams_activity(name)
    activity["deliveryMode"] = "expectReplies"
    return activity


# -- malformed requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"{}", "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (b'{"type": 7, "channelId": "msteams"}', "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
        (b"type=message", "application/x-www-form-urlencoded", 415),
    ],
    ids=[
        "broken-json",
        "not-utf8",
        "array",
        "string",
        "empty",
        "no-fields",
        "type-not-text",
        "text-plain",
        "form",
    ],
)
async def test_malformed_requests_get_a_4xx(
    client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    response = await client.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == status
    assert "error" in await response.json()


async def test_an_oversized_body_gets_413(client: TestClient, settings: Settings) -> None:
    activity = Chat(client).message("x" * (settings.max_body_bytes + 10))
    response = await client.post("/api/messages", json=activity)
    assert response.status == 413


async def test_an_oversized_body_without_a_length_header_gets_413(
    client: TestClient, settings: Settings
) -> None:
    payload = json.dumps(Chat(client).message("x" * (settings.max_body_bytes + 10))).encode()

    async def chunks() -> Any:
        for start in range(0, len(payload), 4096):
            yield payload[start : start + 4096]

    response = await client.post("/api/messages", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status == 413


async def test_get_on_the_endpoint_is_not_allowed(client: TestClient) -> None:
    assert (await client.get("/api/messages")).status == 405


@pytest.mark.skipif(not ACTIVITIES, reason="../shared/teams/activities is not present beside the project")
async def test_every_shared_teams_payload_gets_an_answer_not_a_500(client: TestClient) -> None:
    for path in ACTIVITIES:  # one app for all of them: starting one per payload would be slow
        activity = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        activity["deliveryMode"] = "expectReplies"
        response = await client.post("/api/messages", json=activity)
        # The typing fixture has no serviceUrl: not a usable activity, so 400; everything else is taken.
        expected = (200, 202) if "serviceUrl" in activity else (400,)
        assert response.status in expected, (path.name, response.status, await response.text())


@pytest.mark.skipif(not ACTIVITIES, reason="../shared/teams/activities is not present beside the project")
async def test_payloads_with_a_field_missing_or_mangled_never_get_a_500(client: TestClient) -> None:
    for path in ACTIVITIES[::3]:
        original = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        for key in list(original):
            for broken in (None, 12, "", [], {"x": 1}):
                activity = {**original, key: broken, "deliveryMode": "expectReplies"}
                response = await client.post("/api/messages", json=activity)
                assert response.status < 500, (path.name, key, broken, await response.text())


async def test_unknown_activity_types_are_ignored_politely(client: TestClient) -> None:
    reaction = expecting_replies("16_channel_messageReaction_added_like_2026.json")
    response = await client.post("/api/messages", json=reaction)
    assert response.status == 200
    assert (await response.json())["activities"] == []
    made_up = {**expecting_replies("17_personal_message_plain_2026.json"), "type": "somethingNew"}
    response = await client.post("/api/messages", json=made_up)
    assert response.status == 200


# -- authentication and tenants ----------------------------------------------------------------------


async def test_with_an_app_id_unauthenticated_requests_get_401(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(
        create_app(
            settings.model_copy(update=dict(app_id=APP_ID, app_type="MultiTenant", secret_key=STRONG_SECRET))
        )
    )
    activity = expecting_replies("17_personal_message_plain_2026.json")
    assert (await client.post("/api/messages", json=activity)).status == 401
    forged = {"Authorization": "Bearer not.a.token"}
    assert (await client.post("/api/messages", json=activity, headers=forged)).status == 401
    assert (await client.get("/")).status == 404  # the unsigned chat page is for open local use only


async def test_tenants_not_on_the_allow_list_are_refused(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(
        create_app(settings.model_copy(update=dict(allowed_tenants=("allowed-tenant",))))
    )
    outsider = Chat(client, tenant="another-tenant")
    await outsider.post(outsider.message("hello"), status=403)
    member = Chat(client, tenant="allowed-tenant")
    assert await member.say("hello")


# -- Teams events ------------------------------------------------------------------------------------


async def test_personal_install_greets_and_remembers_the_conversation(chat: Chat, database: Database) -> None:
    replies = await chat.post(chat.install())
    assert "999" in texts(replies)
    assert titles(replies) == ["Start the survey", "Ask a question"]
    stored = await conversations.installed_personal(database)
    assert [s.key for s in stored] == [f"msteams:a:{chat.user}"]
    assert stored[0].reference["serviceUrl"].startswith("http://127.0.0.1:3980/")


async def test_added_to_a_team_greets_the_team_and_removal_forgets_it(
    client: TestClient, database: Database
) -> None:
    added = await Chat(client).post(expecting_replies("10_team_conversationUpdate_botAdded.json"))
    assert "private chat" in texts(added)
    key = "msteams:" + teams_activity("10_team_conversationUpdate_botAdded.json")["conversation"]["id"]
    assert (await conversations.get_reference(database, key)).kind == "channel"
    await Chat(client).post(expecting_replies("11_team_conversationUpdate_botRemoved.json"))
    assert await conversations.get_reference(database, key) is None


async def test_installation_update_is_remembered_without_a_second_greeting(
    client: TestClient, database: Database
) -> None:
    replies = await Chat(client).post(expecting_replies("18_team_installationUpdate_add_2025.json"))
    assert replies == []
    conversation = teams_activity("18_team_installationUpdate_add_2025.json")["conversation"]["id"]
    assert await conversations.get_reference(database, f"msteams:{conversation}") is not None


async def test_a_mention_in_a_channel_gets_guidance_but_never_the_survey(client: TestClient) -> None:
    mention = expecting_replies("20_channel_message_mention_toplevel_2025.json")
    mention["text"] = "<at>Chat SDK Demo</at> start survey"
    replies = await Chat(client).post(mention)
    assert "private chat" in texts(replies)
    mention["text"] = "<at>Chat SDK Demo</at> what is the MASH?"
    replies = await Chat(client).post(mention)
    assert "Multi-Agency Safeguarding Hub" in texts(replies)


async def test_a_universal_action_invoke_is_answered_with_an_invoke_response(client: TestClient) -> None:
    invoke = teams_activity(CARD_INVOKE)  # data {"feedback": ...}: not one of ours
    invoke["deliveryMode"] = "expectReplies"
    replies = await Chat(client).post(invoke)
    [response] = [r for r in replies if r["type"] == "invokeResponse"]
    assert response["value"]["status"] == 200
    invoke["value"]["action"]["data"] = {"action": "topic", "topic": "out-of-hours"}
    replies = await Chat(client).post(invoke)
    assert "out of hours" in texts(replies).lower()


async def test_an_invoke_teams_sends_without_expect_replies_gets_200_not_501(client: TestClient) -> None:
    for name in (CARD_INVOKE, "23_personal_invoke_fileConsent_accept_COMPOSITE.json"):
        response = await client.post("/api/messages", json=teams_activity(name))  # as Teams posts it
        assert response.status == 200, name
        assert (await response.json())["statusCode"] == 200


async def test_in_teams_a_pressed_card_is_updated_in_place_and_replies_go_to_the_connector(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    async with FakeConnector() as teams:
        client = await aiohttp_client(create_app(settings))
        person = Chat(client, connector=teams.url, expect_replies=False)
        await person.post(person.message("start survey"), status=202)
        sent = teams.sent(f"a:{person.user}")
        assert "Which organisation do you work for?" in json.dumps(sent)
        card_id = "1:the-question-card"  # Teams quotes the card's message id as replyToId
        await person.post(person.submission({"item": "agency", "answer": "CSC"}, card_id), status=202)
        [update] = teams.of_kind("update")
        assert update.activity_id == card_id
        assert "Children's Social Care" in json.dumps(update.body)
        assert "Action.Submit" not in json.dumps(update.body)


# -- failures ------------------------------------------------------------------------------------------


async def test_a_failed_turn_apologises_once_and_nobody_is_stuck(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.say("start survey")
    await chat.say("Other")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug")

    with monkeypatch.context() as patch:
        patch.setattr(engine, "advance", broken)
        replies = await chat.say("Both")
    assert len(replies) == 1
    assert "Sorry, something went wrong" in text_of(replies[0])
    again = await chat.say("resume")
    assert "Who do you mainly work with?" in texts(again)


async def start(app: web.Application) -> None:
    """Start an app as ``python -m bot`` does (web.run_app runs the same start-up), then stop it."""
    runner = web.AppRunner(app)
    try:
        await runner.setup()
    finally:
        await runner.cleanup()


async def test_start_up_refuses_a_database_whose_schema_is_behind(tmp_path: Path) -> None:
    empty = e2e_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", tmp_path)
    with pytest.raises(SchemaBehindError, match="python -m storage upgrade"):
        await start(create_app(empty))


async def test_start_up_refuses_an_app_id_without_a_strong_secret(settings: Settings) -> None:
    secured = settings.model_copy(update=dict(app_id=APP_ID, app_type="MultiTenant"))
    for weak in (Secret(""), Secret("e2e-test-secret")):
        with pytest.raises(SettingsError, match=r"secrets\.token_urlsafe"):
            await start(create_app(secured.model_copy(update=dict(secret_key=weak))))
    await start(create_app(secured.model_copy(update=dict(secret_key=STRONG_SECRET))))


async def test_start_up_names_the_file_and_line_of_broken_content(settings: Settings, tmp_path: Path) -> None:
    text = await asyncio.to_thread((ROOT / "config" / "partnership.example.yaml").read_text, encoding="utf-8")
    broken = tmp_path / "partnership.yaml"
    await asyncio.to_thread(
        broken.write_text, text.replace("headcount: 1200", "headcount: lots"), encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"partnership\.yaml:\d+"):
        await start(create_app(settings.model_copy(update=dict(partnership_file=broken))))


# -- health and the chat page ------------------------------------------------------------------------


async def test_health_and_readiness(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    body = await ready.json()
    assert body["status"] == "ready"
    assert "topics" in body["content"]


async def test_readiness_fails_when_the_schema_is_no_longer_current(
    client: TestClient, sqlite_url: str
) -> None:
    await client.app[SERVICES].db.engine.dispose()
    await asyncio.to_thread(Path(sqlite_url.removeprefix("sqlite+aiosqlite:///")).unlink)  # an empty database
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "python -m storage upgrade" in (await ready.json())["database"]


async def test_the_local_chat_page_and_its_assets_are_served(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert "/static/adaptivecards.js" in html
    assert "/static/chat.js" in html
    script = await client.get("/static/chat.js")
    assert "expectReplies" in await script.text()
    renderer = await client.get("/static/adaptivecards.js")
    if not (ROOT / "node_modules" / "adaptivecards").exists():
        assert renderer.status == 404
        pytest.skip("node_modules is not installed (make run does `npm ci`)")
    assert renderer.status == 200
    assert (await client.get("/static/../app.py")).status == 404


# -- signed report links -------------------------------------------------------------------------------


async def test_a_signed_link_serves_only_its_own_agencys_report(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    from analysis.links import sign_report_path
    from analysis.reports import report_dir

    now = datetime.now(UTC)
    for agency in ("CSC", "TVP"):
        folder = report_dir(settings.report_dir, 1, agency)
        await asyncio.to_thread(folder.mkdir, parents=True)
        await asyncio.to_thread((folder / "report.html").write_text, f"<h1>{agency}</h1>", encoding="utf-8")
    client = await aiohttp_client(create_app(settings))
    path = sign_report_path(settings, 1, "CSC", now)
    own = await client.get(f"/reports/{path}/report.html")
    assert own.status == 200
    assert "CSC" in await own.text()
    other = path.replace("/CSC/", "/TVP/")
    assert (await client.get(f"/reports/{other}/report.html")).status == 403
    assert (await client.get(f"/reports/{path}/../../TVP/report.html")).status in (403, 404)
    later = await aiohttp_client(create_app(settings, clock=lambda: now + timedelta(days=60)))
    assert (await later.get(f"/reports/{path}/report.html")).status == 410


async def test_a_report_link_is_served_only_in_its_one_canonical_spelling(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    from analysis.links import sign_report_path
    from analysis.reports import report_dir

    now = datetime.now(UTC)
    folder = report_dir(settings.report_dir, 1, "CSC")
    await asyncio.to_thread(folder.mkdir, parents=True)
    await asyncio.to_thread((folder / "report.html").write_text, "<h1>CSC</h1>", encoding="utf-8")
    client = await aiohttp_client(create_app(settings))
    wave, agency, expires, signature = sign_report_path(settings, 1, "CSC", now).split("/")
    assert (await client.get(f"/reports/{wave}/{agency}/{expires}/{signature}/report.html")).status == 200
    for spelling in (
        f"0{wave}/{agency}/{expires}/{signature}/report.html",
        f"{wave}/{agency}/00{expires}/{signature}/report.html",
        f"%3{wave}/{agency}/{expires}/{signature}/report.html",  # a percent-encoded digit
        f"{wave}/{agency}/{expires}/{signature}/report%2Ehtml",
        f"{wave}/{agency}//{expires}/{signature}/report.html",
        f"{wave}/{agency}/{expires}/{signature}/./report.html",
        f"{wave}/{agency}/{expires}/{signature}/report.html/",
    ):
        # Sent as written: the client must not tidy a percent-encoding or a dot segment away.
        url = client.make_url("/").with_path(f"/reports/{spelling}", encoded=True)
        async with client.session.get(url, allow_redirects=False) as response:
            assert response.status in (403, 404), spelling


# -- hostile and malformed activities (validated at the edge: a 400 with a reason, never a traceback) --


def _message_with(**changes: Any) -> dict[str, Any]:
    activity = expecting_replies("17_personal_message_plain_2026.json")
    activity.update(changes)
    return activity


def _mention(**mention: Any) -> dict[str, Any]:
    activity = expecting_replies("20_channel_message_mention_toplevel_2025.json")
    activity["entities"] = [{"type": "mention", **mention}]
    return activity


def _from(**fields: Any) -> dict[str, Any]:
    activity = expecting_replies("17_personal_message_plain_2026.json")
    activity["from"] = {**activity["from"], **fields}
    return activity


MALFORMED: dict[str, Any] = {
    "mention without name or text": lambda: _mention(mentioned={"id": "28:bot"}),
    "mention without whom": lambda: _mention(text="<at>Bot</at>"),
    "entity type not text": lambda: _message_with(entities=[{"type": 7}]),
    "entity not an object": lambda: _message_with(entities=["mention"]),
    "from is a string": lambda: _message_with(**{"from": "29:someone"}),
    "no recipient": lambda: _message_with(recipient=None),
    "from without id": lambda: _from(id=None),
    "conversation id a number": lambda: _message_with(conversation={"id": 12345}),
    "text a number": lambda: _message_with(text=42),
    "text an object": lambda: _message_with(text={"a": 1}),
    "aadObjectId over 400 characters": lambda: _from(aadObjectId="a" * 401),
    "aadObjectId a list": lambda: _from(aadObjectId=["x"]),
    "member not an object": lambda: _message_with(type="conversationUpdate", membersAdded=[None]),
    "member without id": lambda: _message_with(type="conversationUpdate", membersAdded=[{"name": "x"}]),
    "isGroup a word": lambda: _message_with(conversation={"id": "a:1", "isGroup": "perhaps"}),
    "channelData a list": lambda: _message_with(channelData=[1, 2]),
    "tenant id a number": lambda: _message_with(channelData={"tenant": {"id": 5}}),
    "legacy replyToId an object": lambda: _message_with(channelData={"legacy": {"replyToId": {}}}),
    "value a number": lambda: _message_with(value=3),
    "service url not http": lambda: _message_with(serviceUrl="file:///etc/passwd"),
    "timestamp not a date": lambda: _message_with(timestamp="yesterday-ish"),
    "NUL in an id": lambda: _from(id="29:a\x00b"),
    "lone surrogate in an id": lambda: _message_with(conversation={"id": "a:\ud800"}),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_activity_gets_400_with_a_reason_and_one_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    activity = MALFORMED[case]()
    with caplog.at_level("DEBUG"):
        response = await client.post("/api/messages", json=activity)
        reason = (await response.json()).get("error", "")
    assert response.status == 400, (case, response.status, reason)
    assert 0 < len(reason) < 200
    records = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("bot")]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert not any(r.exc_info for r in caplog.records)
    assert "refused a malformed activity" in records[0].getMessage()


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
async def test_json_nested_deeper_than_anyone_sends_gets_400_not_500(
    client: TestClient, caplog: pytest.LogCaptureFixture, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    body = json.dumps(_message_with(channelData={"x": None})).replace("null", nested, 1).encode()
    with caplog.at_level("DEBUG"):
        response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status in (400, 413)
    assert not any(r.exc_info for r in caplog.records)


async def test_odd_but_valid_activities_are_answered(client: TestClient) -> None:
    # A mention carrying its text but not the name, with an unknown entity and fields the bot never reads.
    mention = _mention(
        text="<at>Chat SDK Demo</at>", mentioned={"id": "28:11111111-2222-3333-4444-555555555555"}
    )
    mention["entities"].append({"type": "clientInfo", "locale": "en-GB", "platform": 7})
    mention["text"] = "<at>Chat SDK Demo</at> what is a LADO?"
    mention["somethingNew"] = {"nested": [1, {"deeper": True}]}
    response = await client.post("/api/messages", json=mention)
    assert response.status == 200
    assert "Local Authority Designated Officer" in texts((await response.json())["activities"])
    # A mention of someone else, with no text in the message at all.
    other = _mention(text="<at>Sam</at>", mentioned={"id": "29:someone-else", "name": "Sam"})
    other.pop("text", None)
    assert (await client.post("/api/messages", json=other)).status == 200


async def test_unstorable_characters_in_what_people_write_are_made_storable(
    aiohttp_client: AiohttpClient, database_url: str, tmp_path: Path, bot_host: str
) -> None:
    """A lone surrogate (SQLite and PostgreSQL) or a NUL (PostgreSQL) in a free-text answer or a
    question used to be accepted and then break every later submission; now each is normalised."""
    await upgrade_async(database_url)
    client = await aiohttp_client(create_app(e2e_settings(database_url, tmp_path, bot_host=bot_host)))
    transcript = json.loads(
        await asyncio.to_thread(
            shared_path("samples", "transcripts", "01_buttons_children_raised_yes.json").read_text,
            encoding="utf-8",
        )
    )
    chat = Chat(client)
    written = transcript["expect"]["one_change"]
    for turn in transcript["turns"]:
        said = f"more\ud800 time\x00 {turn}" if turn == written else turn
        assert await chat.say(said), turn
    question = chat.message("what is a LADO?\ud800\x00")
    question["from"]["name"] = "Sam \ud83d\x00Smith"
    assert "LADO" in texts(await chat.post(question))
    db = await Database.open(database_url, secret=b"unused")
    try:
        stored = await read_responses(db)
    finally:
        await db.close()
    assert len(stored) == 1
    assert stored[0].answers["one_change"] == f"more\ufffd time {written}"


async def test_forged_tokens_get_401_and_only_a_sound_token_without_keys_gets_503(
    aiohttp_client: AiohttpClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where each SDK fetches the channel's signing keys: nowhere that answers.
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    monkeypatch.setitem(BOTFRAMEWORK_JWKS_URIS, "https://api.botframework.com", "http://127.0.0.1:9/keys")
    client = await aiohttp_client(create_app(_secured(settings, "http://127.0.0.1:9/nothing-here")))
    activity = expecting_replies("17_personal_message_plain_2026.json")
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "serviceurl": activity["serviceUrl"],
        "nbf": now - 10,
        "exp": now + 600,
    }
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {
        "alg none": jwt.encode(claims, None, algorithm="none", headers={"kid": "k"}),
        "HS256": jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": "k"}),
        "expired": jwt.encode({**claims, "exp": now - 3600}, key, algorithm="RS256", headers={"kid": "k"}),
        "wrong audience": jwt.encode({**claims, "aud": "x"}, key, algorithm="RS256", headers={"kid": "k"}),
        "no key id": jwt.encode(claims, key, algorithm="RS256"),  # the Agents SDK alone: a KeyError, a 500
    }
    for case, encoded in forged.items():
        response = await client.post(
            "/api/messages", json=activity, headers={"Authorization": f"Bearer {encoded}"}
        )
        assert response.status == 401, case
    sound = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k"})
    response = await client.post("/api/messages", json=activity, headers={"Authorization": f"Bearer {sound}"})
    assert response.status == 503


def _secured(settings: Settings, metadata_url: str) -> Settings:
    """With an app id, checking tokens against the keys named by the OpenID metadata at ``metadata_url``.

    Only the Bot Framework host reads that setting (the Agents SDK host refuses it); on that host
    the tests point the SDK's own key addresses (BOTFRAMEWORK_JWKS_URIS) instead.
    """
    secured = settings.model_copy(
        update=dict(app_id=APP_ID, app_type="MultiTenant", secret_key=STRONG_SECRET)
    )
    if settings.bot_host != "botbuilder":
        return secured
    return secured.model_copy(update=dict(openid_metadata_url=metadata_url))


async def test_a_token_signed_with_the_keys_the_metadata_names_is_accepted_and_others_refused(
    aiohttp_client: AiohttpClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BotOpenIdMetadata points the bot at a local key server; its key signs a sound token (200)."""
    if settings.bot_host == "agents":
        with pytest.raises(SettingsError, match="BotOpenIdMetadata applies only to BOT_HOST=botbuilder"):
            create_host(
                settings.model_copy(
                    update=dict(app_id=APP_ID, openid_metadata_url="http://127.0.0.1:9/metadata")
                )
            )
        return
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", {})
    async with KeyServer() as keys:
        client = await aiohttp_client(create_app(_secured(settings, keys.metadata_url)))
        activity = expecting_replies("17_personal_message_plain_2026.json")
        now = int(time.time())
        claims = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "serviceurl": activity["serviceUrl"],
            "nbf": now - 10,
            "exp": now + 600,
        }
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cases = {
            "sound": (keys.sign(claims), 200),
            "wrong audience": (keys.sign({**claims, "aud": "another-bot"}), 401),
            "expired": (keys.sign({**claims, "exp": now - 3600, "nbf": now - 7200}), 401),
            "key not published": (keys.sign(claims, kid="another-key"), 401),
            "signed by another key": (
                jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": KEY_ID}),
                401,
            ),
        }
        for case, (token, status) in cases.items():
            response = await client.post(
                "/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status == status, case
            if status == 200:
                assert texts((await response.json())["activities"])


def test_signing_keys_are_fetched_over_https_only_but_from_the_loopback_address() -> None:
    for unsafe in ("http://keys.example.org/v1/.well-known/openidconfiguration", "file:///etc/keys", ""):
        with pytest.raises(SettingsError, match="BotOpenIdMetadata"):
            create_adapter(
                Settings.from_env({}).model_copy(update=dict(app_id=APP_ID, openid_metadata_url=unsafe))
            )
    assert Settings.from_env({}).openid_metadata_url.startswith("https://login.botframework.com/")


# -- logs hold nothing people wrote and nobody's identity ----------------------------------------------


def _everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


async def test_no_log_line_holds_what_people_wrote_or_who_they_are_even_when_the_database_fails(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    person = "aad-QUOKKA-0001"
    chat = Chat(client, user=person)
    named = chat.message("hello")
    named["from"]["name"] = "Wilhelmina Quokkason"
    caplog.set_level(logging.DEBUG)
    await chat.post(named)
    for said in ("start survey", "Other", "Both", "Frontline practitioner"):
        await chat.say(said)
    await chat.say("what is a LADO? ask about QUOKKAQUESTION please")
    # The database fails under two turns: the guidance log, then the survey state, are gone.
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql("DROP TABLE guidance_log")
    failed = await chat.say("how do I escalate a QUOKKAESCALATION concern?")
    assert "Sorry, something went wrong" in texts(failed)
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql("DROP TABLE bot_state")
    failed = await chat.say("QUOKKAANSWER is my answer")
    assert "Sorry, something went wrong" in texts(failed)
    logged = _everything_logged(caplog.records)
    assert "turn failed" in logged  # the failures were logged, with their tracebacks...
    for secret in (person, "Wilhelmina", "Quokkason", "QUOKKAQUESTION", "QUOKKAESCALATION", "QUOKKAANSWER"):
        assert secret not in logged, secret  # ...but nothing anyone wrote, and nobody's id or name


# -- long messages: capped first, emergency detection once per turn ----------------------------------


@pytest.fixture
def detections(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every text emergency detection runs on (every path goes through ``signs``)."""
    seen: list[int] = []
    real = EmergencyRules.signs

    def counted(self: EmergencyRules, text: str) -> Any:
        seen.append(len(text))
        return real(self, text)

    monkeypatch.setattr(EmergencyRules, "signs", counted)
    return seen


async def test_emergency_detection_runs_once_per_turn(chat: Chat, detections: list[int]) -> None:
    turns = {
        "a guidance question": "what is a LADO?",
        "an emergency": "he has a knife and is threatening to kill her now",
        "start": "start survey",
        "a survey answer": "Other",
        "text mid-survey answered as a question": "how do I escalate a disagreement with another agency?",
    }
    for what, said in turns.items():
        detections.clear()
        assert await chat.say(said), what
        assert len(detections) == 1, (what, detections)


async def test_a_very_long_message_is_cut_first_and_the_person_is_told(
    chat: Chat, settings: Settings, detections: list[int]
) -> None:
    text = "what is a LADO? " + "and more words " * ((settings.max_body_bytes - 4096) // 15)
    replies = await chat.say(text)
    assert inbound.CUT_NOTE in texts(replies)
    assert "Local Authority Designated Officer" in texts(replies)
    assert detections
    assert max(detections) <= inbound.MAX_TEXT
