"""Talking to the bot over HTTP as Teams does, with ``deliveryMode: expectReplies``, and reading its screens.

A ``Person`` answers whatever item the bot is showing (read from the card's
buttons, which carry the item id), so lost or repeated turns never make the
driver itself answer the wrong question: whatever goes wrong is the bot's.
After a lost reply it asks "start survey", which shows where the survey is
(or says it is already submitted), exactly as a person would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bench.fault_suite.people import Plan, Turn
from tests.helpers.chat import buttons, texts

TENANT = "fault-suite-tenant"
BOT_ID = "28:fault-suite-bot"
DONE_WORDS = ("submitted anonymously", "sent anonymously", "already completed this questionnaire")
# A guidance answer, which a repeated "submit" must not get (issue 9 item 3).
NOT_SURE = "not sure I have a good answer"
ACKNOWLEDGING = ("submitted", "sent", "already", "answers are in", "received", "completed", "thank")
APOLOGY_WORDS = "something went wrong on my side"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=90)


def activity(service_url: str, user: str, **fields: Any) -> dict[str, Any]:
    """A Teams personal-chat activity from ``user`` asking for its replies in the response."""
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{user}", "name": "Practitioner", "aadObjectId": user},
        "recipient": {"id": BOT_ID, "name": "Safeguarding"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        "deliveryMode": "expectReplies",
        **fields,
    }


@dataclass(frozen=True)
class Screen:
    """What the person sees after a turn: an item (its id), the summary, done, or something else."""

    kind: str  # "item", "summary", "done", "apology" or "other"
    item: str | None = None


def read_screen(replies: Sequence[dict[str, Any]]) -> Screen:
    said = texts(replies)
    if any(words in said for words in DONE_WORDS):
        return Screen("done")
    for reply in reversed(replies):
        data = [button.get("data") or {} for button in buttons(reply)]
        items = {d["item"] for d in data if d.get("item") and "command" not in d}
        if items:
            return Screen("item", items.pop())
        if any(d.get("command") == "submit" for d in data):
            return Screen("summary")
    if APOLOGY_WORDS in said:
        return Screen("apology")
    return Screen("other")


def acknowledges_submission(replies: Sequence[dict[str, Any]]) -> bool:
    """Whether the replies speak of the answers being in, rather than answering a guidance question."""
    said = texts(replies)
    return NOT_SURE not in said and any(word in said.lower() for word in ACKNOWLEDGING)


class Lost(Exception):
    """The turn's reply never came (connection refused or dropped, or a time-out)."""


@dataclass
class Exchange:
    status: int
    replies: list[dict[str, Any]]


@dataclass
class Person:
    """One practitioner in their personal chat, following ``plan``; ``statuses`` counts HTTP answers."""

    user: str
    plan: Plan
    service_url: str
    statuses: dict[int, int] = field(default_factory=dict)
    turns: int = 0
    finished: bool = False
    notes: list[str] = field(default_factory=list)
    # Answers to give instead when the bot refuses one with a 4xx (odd characters a person retypes).
    fallbacks: dict[str, Turn] = field(default_factory=dict)
    last_item: str | None = None

    def message(self, text: str | None = None, value: Any = None) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if text is not None:
            fields["text"] = text
        if value is not None:
            fields["value"] = value
        return activity(self.service_url, self.user, **fields)

    async def post(self, session: aiohttp.ClientSession, base: str, body: dict[str, Any]) -> Exchange:
        """Post one activity; Lost when no HTTP answer came back."""
        self.turns += 1
        try:
            async with session.post(base + "/api/messages", json=body, timeout=REQUEST_TIMEOUT) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Lost(type(exc).__name__) from exc
        self.statuses[status] = self.statuses.get(status, 0) + 1
        replies: list[dict[str, Any]] = []
        if status == 200 and raw:
            try:
                replies = json.loads(raw).get("activities", []) or []
            except ValueError:
                replies = []
        return Exchange(status, replies)

    def answer_for(self, screen: Screen) -> dict[str, Any]:
        """The activity that answers what is on screen (``start survey`` when it is not a question)."""
        self.last_item = None
        if screen.kind == "item" and screen.item in self.plan.turns:
            turn = self.plan.turns[screen.item]
            self.last_item = screen.item
            return self.message(turn.text, dict(turn.value) if turn.value else None)
        if screen.kind == "summary":
            return self.message("submit")
        return self.message("start survey")


# Sends one activity for a person and returns the exchange (a fault decides where and how often).
Send = Callable[[Person, dict[str, Any]], Awaitable[Exchange]]
# Called after a lost reply, before the person tries again (waits for the bot to be back).
Recover = Callable[[Person, dict[str, Any]], Awaitable[None]]


async def complete(person: Person, send: Send, recover: Recover, *, max_turns: int = 120) -> None:
    """Drive ``person`` from "start survey" to the bot saying the answers are in (or give up).

    A lost reply is followed by ``recover``; a lost "submit" is said again (as
    someone who saw nothing happen would) and then the survey is looked at with
    "start survey". ``person.finished`` tells whether the bot confirmed the submission.
    """
    body = person.message("start survey")
    while person.turns < max_turns:
        try:
            exchange = await send(person, body)
        except Lost:
            await recover(person, body)
            if body.get("text") == "submit":
                await _resubmit(person, send, recover)
            body = person.message("start survey")
            continue
        if exchange.status >= 500:
            await recover(person, body)
            body = person.message("start survey")
            continue
        if exchange.status >= 400 and person.last_item in person.fallbacks:
            person.plan.turns[person.last_item] = person.fallbacks.pop(person.last_item)
            body = person.answer_for(Screen("item", person.last_item))
            continue
        screen = read_screen(exchange.replies)
        if screen.kind == "done":
            person.finished = True
            return
        if screen.kind == "apology":  # the turn failed: wait a moment, as a person would
            await recover(person, body)
        body = person.answer_for(screen)
    person.notes.append("unfinished")


async def _resubmit(person: Person, send: Send, recover: Recover) -> None:
    """Say "submit" again after its reply was lost; anything but the submission's answer is noted."""
    try:
        exchange = await send(person, person.message("submit"))
    except Lost:
        await recover(person, {})
        return
    if exchange.status == 200 and read_screen(exchange.replies).kind not in {"done", "summary"} and not (
        acknowledges_submission(exchange.replies)
    ):
        person.notes.append("repeated submit not recognised as the submission (issue 9 item 3)")
