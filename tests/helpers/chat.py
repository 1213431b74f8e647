"""Talk to the bot over HTTP the way Teams does, and read its replies: ``await chat.say("2")``.

Activities are built from real Teams payloads in ../shared/teams/activities
(read at test time, never copied): a personal-chat message (17), a personal
install (09), and card submissions shaped as Teams sends an Action.Submit
(no text, ``value`` = the button's data merged with the card's inputs,
``replyToId`` = the card's message, as in 15). Every request asks for
``deliveryMode: expectReplies`` so the replies come back in the response.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aiohttp.test_utils import TestClient

from tests.helpers.fake_connector import pointed_at
from tests.helpers.shared import shared_path

PERSONAL_MESSAGE = "17_personal_message_plain_2026.json"
PERSONAL_INSTALL = "09_personal_conversationUpdate_botAdded.json"
CHANNEL_SUBMIT = "15_channel_message_adaptivecard_action_submit_value.json"
CARD_INVOKE = "13_personal_invoke_adaptiveCard_action_execute.json"
CARD = "application/vnd.microsoft.card.adaptive"

_ids = itertools.count(1)


@cache
def _payload(name: str) -> dict[str, Any]:
    return json.loads(shared_path("teams", "activities", name).read_text(encoding="utf-8"))


def teams_activity(name: str) -> dict[str, Any]:
    """A fresh copy of one shared Teams activity (the test skips when ../shared is absent)."""
    return copy.deepcopy(_payload(name))


# -- reading replies -------------------------------------------------------------------------


def cards_of(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in activity.get("attachments") or () if a.get("contentType") == CARD]


def _walk(element: Any) -> Iterator[dict[str, Any]]:
    if isinstance(element, dict):
        yield element
        for value in element.values():
            yield from _walk(value)
    elif isinstance(element, list):
        for value in element:
            yield from _walk(value)


def text_of(activity: dict[str, Any]) -> str:
    """Everything a person would read in one reply: its text and every TextBlock and fact of its cards."""
    parts = [activity.get("text") or ""]
    for card in cards_of(activity):
        for element in _walk(card.get("body", [])):
            if element.get("type") == "TextBlock":
                parts.append(element.get("text", ""))
            elif element.get("type") == "FactSet":
                parts.extend(f"{f['title']}: {f['value']}" for f in element.get("facts", ()))
    return "\n".join(part for part in parts if part)


def texts(replies: Iterable[dict[str, Any]]) -> str:
    return "\n".join(text_of(activity) for activity in replies)


def buttons(activity: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit on an activity's cards."""
    return [
        element
        for card in cards_of(activity)
        for element in _walk(card.get("body", []))
        if element.get("type") == "Action.Submit"
    ]


_NUMBERED = re.compile(r"^(✓ )?\d+\. ")


def label_of(title: str) -> str:
    """A choice's label without the number shown before it on a card ("4. Disagree" -> "Disagree")."""
    return _NUMBERED.sub(lambda found: found.group(1) or "", title)


def titles(replies: Iterable[dict[str, Any]]) -> list[str]:
    return [button["title"] for activity in replies for button in buttons(activity)]


def choice_sets(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for card in cards_of(activity)
        for element in _walk(card.get("body", []))
        if element.get("type") == "Input.ChoiceSet"
    ]


def expected_answers(expect: dict[str, Any]) -> dict[str, Any]:
    """A transcript's expected row as stored answers read back: only given values, lists as tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in expect.items() if v is not None}


# -- talking ---------------------------------------------------------------------------------


class Chat:
    """One person in one personal chat with the bot, over the app's real /api/messages."""

    def __init__(
        self,
        client: TestClient,
        *,
        user: str | None = None,
        tenant: str | None = None,
        connector: str | None = None,
        expect_replies: bool = True,
    ) -> None:
        """``connector``: a fake Bot Connector's URL to put in serviceUrl (for proactive replies later);
        with ``expect_replies=False`` the replies go there too, as in Teams, not into the response."""
        self.client = client
        self.user = user or str(uuid.uuid4())
        self.tenant = tenant
        self.connector = connector
        self.expect_replies = expect_replies
        self.log: list[dict[str, Any]] = []  # every reply, updates applied in place
        self.by_id: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []  # every card replacement the bot sent

    # activities

    def _envelope(self, base: dict[str, Any]) -> dict[str, Any]:
        activity = copy.deepcopy(base)
        activity["id"] = f"f:{next(_ids)}"
        activity["timestamp"] = datetime.now(UTC).isoformat()
        activity["from"]["id"] = f"29:{self.user}"
        activity["from"]["aadObjectId"] = self.user
        activity["conversation"]["id"] = f"a:{self.user}"
        if self.tenant:
            activity["conversation"]["tenantId"] = self.tenant
            activity.setdefault("channelData", {})["tenant"] = {"id": self.tenant}
        if self.connector:
            activity = pointed_at(activity, self.connector)
        if self.expect_replies:
            activity["deliveryMode"] = "expectReplies"
        return activity

    def message(self, text: str) -> dict[str, Any]:
        """A typed personal-chat message, as in the shared Teams payload 17."""
        activity = self._envelope(teams_activity(PERSONAL_MESSAGE))
        activity["text"] = text
        return activity

    def submission(self, value: dict[str, Any], reply_to: str | None) -> dict[str, Any]:
        """An Action.Submit as Teams posts it (15): no text, the data as value, the card's id to reply to."""
        activity = self._envelope(teams_activity(PERSONAL_MESSAGE))
        activity.pop("text", None)
        activity.pop("textFormat", None)
        activity["value"] = value
        activity["channelData"]["source"] = {"name": "message"}
        if reply_to:
            activity["replyToId"] = reply_to
            activity["channelData"]["legacy"] = {"replyToId": reply_to}
        return activity

    def install(self) -> dict[str, Any]:
        """The personal-scope install (09): the bot in membersAdded."""
        activity = self._envelope(teams_activity(PERSONAL_INSTALL))
        activity["membersAdded"] = [{"id": activity["recipient"]["id"]}]
        return activity

    # requests

    async def post(self, activity: dict[str, Any], *, status: int = 200) -> list[dict[str, Any]]:
        """Post one activity; checks the status and returns the new replies (updates applied to the log)."""
        response = await self.client.post("/api/messages", json=activity)
        body = await response.text()
        assert response.status == status, f"{response.status}: {body}"
        if not body:
            return []
        replies = json.loads(body).get("activities", []) if status == 200 and self.expect_replies else []
        new = []
        for reply in replies:
            if reply.get("type") == "messageUpdate":
                self.updates.append(reply)
                if reply["id"] in self.by_id:
                    self.by_id[reply["id"]].update(attachments=reply["attachments"])
                continue
            self.log.append(reply)
            if reply.get("id"):
                self.by_id[reply["id"]] = reply
            new.append(reply)
        return new

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.post(self.message(text))

    async def click(self, value: dict[str, Any], *, on: str | None = None) -> list[dict[str, Any]]:
        """Submit a card's data as Teams does; ``on`` is the card message's id."""
        return await self.post(self.submission(value, on))

    def _latest_with(self, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
        for activity in reversed(self.log):
            for button in buttons(activity):
                if title in (button["title"], label_of(button["title"])):
                    return activity, button
        raise AssertionError(f"no button {title!r} in {[titles([a]) for a in self.log[-3:]]}")

    async def press(self, title: str, **inputs: Any) -> list[dict[str, Any]]:
        """Press the most recent button with this title; ``inputs`` are the card's input values."""
        activity, button = self._latest_with(title)
        return await self.click({**button["data"], **inputs}, on=activity.get("id"))

    async def choose(self, *labels: str) -> list[dict[str, Any]]:
        """Pick labels in the latest choice set and press its button (a multi-select sends "a,b")."""
        for activity in reversed(self.log):
            sets = choice_sets(activity)
            if sets:
                options = {label_of(c["title"]): c["value"] for c in sets[0]["choices"]}
                value = ",".join(options[label] for label in labels)
                submit = buttons(activity)[0]
                return await self.click({**submit["data"], sets[0]["id"]: value}, on=activity.get("id"))
        raise AssertionError("no choice set in the conversation")

    def current_card(self) -> dict[str, Any]:
        """The latest reply that carries a card."""
        for activity in reversed(self.log):
            if cards_of(activity):
                return activity
        raise AssertionError("no card in the conversation")
