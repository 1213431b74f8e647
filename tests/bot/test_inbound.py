"""The edge's reading of an activity: storable strings, a depth bound, a text cap, a declared schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.inbound import (
    MAX_DEPTH,
    MAX_TEXT,
    MalformedActivity,
    normalised,
    read_activity,
    storable,
    was_cut,
)
from tests.helpers.shared import SHARED, shared_path

ACTIVITIES = sorted((SHARED / "teams" / "activities").glob("*.json"))


def _raw(activity: dict[str, Any]) -> bytes:
    return json.dumps(activity).encode()


def _message(**changes: Any) -> dict[str, Any]:
    path = shared_path("teams", "activities", "17_personal_message_plain_2026.json")
    return {**json.loads(path.read_text(encoding="utf-8")), **changes}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("plain words", "plain words"),
        ("abc\ud800def", "abc\ufffddef"),
        ("tail \udfff", "tail \ufffd"),
        ("a\x00b\x07c", "abc"),
        ("tab\tnew\nline\r", "tab\tnew\nline\r"),
        ("emoji 😀 and é", "emoji 😀 and é"),
    ],
)
def test_storable_replaces_lone_surrogates_and_drops_control_characters(text: str, kept: str) -> None:
    assert storable(text) == kept
    kept.encode("utf-8")  # storable as UTF-8 (SQLite, PostgreSQL) ...
    assert "\x00" not in kept  # ... and as PostgreSQL text


def test_every_string_is_made_storable_keys_included_and_long_ones_are_cut() -> None:
    body, cut = normalised({"text": "x" * (MAX_TEXT + 5), "value": {"k\x00ey": ["\ud800"]}, "n": 3})
    assert body == {"text": "x" * MAX_TEXT, "value": {"key": ["\ufffd"]}, "n": 3}
    assert cut == ["text"]


def test_nesting_deeper_than_the_bound_is_refused_without_recursion() -> None:
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH * 100):
        deep = [deep]
    with pytest.raises(MalformedActivity, match="nested"):
        normalised({"channelData": deep})


def test_a_long_message_is_cut_and_the_turn_can_tell() -> None:
    _, activity = read_activity(_raw(_message(text="word " * 2000)))
    assert len(activity.text) == MAX_TEXT
    assert was_cut(activity)
    _, short = read_activity(_raw(_message(text="hello")))
    assert not was_cut(short)


def test_a_reason_names_the_field_never_its_value() -> None:
    secret = "Jo Bloggs " * 50
    with pytest.raises(MalformedActivity) as refused:
        read_activity(_raw(_message(**{"from": {"id": "29:x", "aadObjectId": secret}})))
    assert "from.aadObjectId" in refused.value.reason
    assert "Bloggs" not in refused.value.reason


@pytest.mark.skipif(not ACTIVITIES, reason="../shared/teams/activities is not present beside the project")
@pytest.mark.parametrize("path", ACTIVITIES, ids=lambda p: p.stem)
def test_every_real_teams_payload_with_a_service_url_is_read(path: Any) -> None:
    activity = json.loads(path.read_text(encoding="utf-8"))
    if "serviceUrl" not in activity:  # the SDK's typing fixture: not a deliverable activity
        with pytest.raises(MalformedActivity, match="serviceUrl"):
            read_activity(_raw(activity))
        return
    body, read = read_activity(_raw(activity))
    assert read.type == activity["type"]
    assert body["conversation"]["id"] == activity["conversation"]["id"]
