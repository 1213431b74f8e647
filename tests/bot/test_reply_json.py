"""Replies are written as the same JSON msrest writes, without msrest's per-value copies."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from botframework.connector import models
from msrest.serialization import Model, Serializer

from bot import cards
from bot.reply_json import ReplySerializer
from tests.bot.test_cards import PROMPTS

DEPENDENCIES = {name: kind for name, kind in vars(models).items() if isinstance(kind, type)}
REFERENCE = ConversationReference().deserialize(
    {
        "activityId": "1",
        "user": {"id": "29:user", "name": "A User"},
        "bot": {"id": "28:bot", "name": "Bot"},
        "conversation": {"id": "a:conversation-1", "conversationType": "personal", "tenantId": "t"},
        "channelId": "msteams",
        "serviceUrl": "https://smba.example/amer/",
    }
)


def as_sent(activity: Activity) -> Activity:
    """The activity as the SDK hands it to the connector client (copied, conversation applied)."""
    sent = TurnContext.apply_conversation_reference(copy.deepcopy(activity), REFERENCE)
    sent.input_hint = "acceptingInput"
    return sent


def written(serializer: Serializer, activity: Model) -> str:
    return json.dumps(serializer.body(activity, "Activity"))


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: f"{p.kind}-{p.item_id or p.text[:20]}")
def test_every_survey_reply_is_written_as_msrest_writes_it_with_the_card_itself(prompt: Any) -> None:
    activity = as_sent(cards.prompt_activity(prompt))
    ours = ReplySerializer(DEPENDENCIES)
    assert written(ours, activity) == written(Serializer(DEPENDENCIES), activity)
    if activity.attachments:  # written directly: the card is passed, not rebuilt value by value
        body = ours.body(activity, "Activity")
        assert body["attachments"][0]["content"] is activity.attachments[0].content


@pytest.mark.parametrize(
    "unusual",
    [
        {"channel_data": {"sent": datetime(2026, 5, 1, 9, 30, tzinfo=UTC)}},  # not plain JSON
        {"value": {"choices": ("a", "b")}},  # a tuple inside an object
        {"timestamp": datetime(2026, 5, 1, 9, 30, tzinfo=UTC)},  # a date
        {"text_format": 7},  # not a string where msrest expects one
    ],
)
def test_anything_unusual_is_still_written_by_msrest(unusual: dict[str, Any]) -> None:
    activity = as_sent(cards.text_activity("hello"))
    for attr, value in unusual.items():
        setattr(activity, attr, value)
    assert written(ReplySerializer(DEPENDENCIES), activity) == written(Serializer(DEPENDENCIES), activity)


def test_a_copied_card_activity_shares_its_card_but_not_its_attachment() -> None:
    activity = cards.card_activity(cards.card([{"type": "TextBlock", "text": "Hi"}], "Hi"))
    copied = copy.deepcopy(activity)
    assert copied.attachments[0] is not activity.attachments[0]
    assert copied.attachments[0].content is activity.attachments[0].content
    copied.attachments[0].content_type = "changed"
    assert activity.attachments[0].content_type == cards.ADAPTIVE_CARD
