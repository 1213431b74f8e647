"""Incoming activities are read into the same objects msrest makes of them, without msrest's passes."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot import activity_json, inbound
from bot.activity_json import read_activity_model
from bot.inbound import MalformedActivity, normalised, read_activity, was_cut
from tests.helpers.shared import SHARED, shared_path

ACTIVITIES = sorted((SHARED / "teams" / "activities").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def same(ours: Any, theirs: Any, where: str = "activity") -> None:
    """Assert two read values are the same objects: same types, attributes, keys, order and values."""
    assert type(ours) is type(theirs), where
    if isinstance(ours, Model):
        assert list(vars(ours)) == list(vars(theirs)), where
        for name in vars(theirs):
            same(getattr(ours, name), getattr(theirs, name), f"{where}.{name}")
    elif isinstance(ours, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), where
        for n, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            same(mine, other, f"{where}[{n}]")
    elif isinstance(ours, float) and math.isnan(theirs):
        assert math.isnan(ours), where
    elif isinstance(ours, datetime):
        assert ours == theirs, where
        assert type(ours.tzinfo) is type(theirs.tzinfo), where
        assert (ours.utcoffset(), ours.tzname()) == (theirs.utcoffset(), theirs.tzname()), where
    else:
        assert ours == theirs, where


def outcome(read: Any, body: Any) -> tuple[str, Any]:
    """What reading ``body`` gives: ("read", the activity) or ("raised", the exception's type)."""
    try:
        return "read", read(body)
    except Exception as exc:
        return "raised", type(exc)


def msrest(body: Any) -> Activity:
    return Activity().deserialize(body)


def direct(body: Any) -> Activity:
    """Only the direct path (no fallback to msrest): _Unusual when it would hand over."""
    return activity_json._model(Activity, body)


def assert_read_as_msrest_reads(body: Any) -> None:
    ours, theirs = outcome(read_activity_model, body), outcome(msrest, body)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "read":
        same(ours[1], theirs[1])
    else:
        assert ours[1] is theirs[1]


# --- real Teams activities -------------------------------------------------------------------------

# Sent by a test of another project with the string "True" where Teams sends a boolean: msrest reads it.
HANDED_TO_MSREST = {"12_team_installationUpdate_add_2024"}


@pytest.mark.skipif(not ACTIVITIES, reason="../shared/teams/activities is not present beside the project")
@pytest.mark.parametrize("path", ACTIVITIES, ids=lambda p: p.stem)
def test_every_real_teams_activity_is_read_into_what_msrest_makes_of_it(path: Path) -> None:
    body = _load(path)
    assert_read_as_msrest_reads(body)
    assert_read_as_msrest_reads(normalised(body)[0])  # as the edge hands it over
    if path.stem in HANDED_TO_MSREST:
        with pytest.raises(activity_json._Unusual):
            direct(body)
    else:  # read directly, not merely handed to msrest
        same(direct(body), msrest(body))


@pytest.mark.skipif(not ACTIVITIES, reason="../shared/teams/activities is not present beside the project")
def test_a_card_value_is_a_copy_and_unknown_fields_are_kept_as_msrest_keeps_them() -> None:
    body = _load(shared_path("teams", "activities", "13_personal_invoke_adaptiveCard_action_execute.json"))
    read = read_activity_model(body)
    assert read.value == body["value"]
    assert read.value is not body["value"]
    assert read.channel_data is not body["channelData"]
    mine = read_activity_model({**body, "notInTheSchema": {"a": [1]}, "from": {**body["from"], "extra": 2}})
    assert mine.additional_properties == {"notInTheSchema": {"a": [1]}}
    assert mine.from_property.additional_properties == {"extra": 2}


def test_the_edge_reads_the_same_activity_msrest_would() -> None:
    body = {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.example/amer/",
        "from": {"id": "29:a", "name": "A", "aadObjectId": "aad"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}},
        "locale": "en-GB",
        "text": "Agree",
        "timestamp": "2026-05-01T09:30:00.1234567Z",
        "value": {"item": "q1", "answer": "x\ud800\x00y"},
    }
    checked, read = read_activity(json.dumps(body).encode())
    assert not was_cut(read)
    delattr(read, inbound._CUT_FLAG)  # the edge's own note, beside msrest's attributes
    same(read, msrest(checked))
    same(direct(checked), msrest(checked))  # the usual turn takes the direct path


# --- hostile and odd activities --------------------------------------------------------------------

BASE: dict[str, Any] = {
    "type": "message",
    "id": "1",
    "channelId": "msteams",
    "serviceUrl": "https://smba.example/amer/",
    "from": {"id": "29:a"},
    "recipient": {"id": "28:bot"},
    "conversation": {"id": "a:1"},
    "text": "hi",
}

HOSTILE: dict[str, dict[str, Any]] = {
    "number as text": {"text": 12},
    "float as text": {"text": 1.5},
    "bool as text": {"text": False},
    "dict as text": {"text": {"a": 1}},
    "list as text": {"text": ["a"]},
    "string as boolean": {"historyDisclosed": "true"},
    "odd string as boolean": {"historyDisclosed": "maybe"},
    "number as boolean": {"historyDisclosed": 1},
    "string as isGroup": {"conversation": {"id": "a:1", "isGroup": "True"}},
    "string as model": {"from": "29:a"},
    "list as model": {"recipient": [{"id": "28:bot"}]},
    "number as model": {"conversation": 7},
    "dict as list": {"membersAdded": {"id": "29:b"}},
    "string as list": {"entities": "mention"},
    "None in a list": {"membersAdded": [None, {"id": "29:b"}]},
    "string in a model list": {"attachments": ["card"]},
    "list of lists": {"entities": [[{"type": "mention"}]]},
    "bad timestamp": {"timestamp": "yesterday"},
    "empty timestamp": {"timestamp": ""},
    "long fraction": {"timestamp": "2026-05-01T09:30:00.123456789+01:00"},
    "timestamp out of range": {"timestamp": "99999-01-01T00:00:00Z"},
    "number as timestamp": {"timestamp": 1714555800},
    "offset timestamp": {"localTimestamp": "2026-05-01T10:30:00.5+01:00"},
    "huge integer in value": {"value": {"n": 10**200}},
    "huge float in value": {"value": {"n": 1e308, "m": -1e308}},
    "infinity and NaN in value": {"value": [math.inf, -math.inf, math.nan]},
    "deep value": {"value": json.loads("[" * 30 + "]" * 30)},
    "scalar value": {"value": "just text"},
    "null value items": {"value": {"a": None, "b": [None]}},
    "NUL and control characters": {"text": "a\x00b\x07c", "from": {"id": "29:\x00"}},
    "lone surrogates": {"text": "\ud800x\udfff", "value": {"\udc00": "\ud83d"}},
    "huge text": {"text": "x" * 1_000_000},
    "many entities": {"entities": [{"type": "clientInfo", "locale": "en"}] * 1000},
    "unknown fields": {"notInTheSchema": {"deep": [1]}, "from": {"id": "29:a", "extra": True}},
    "unknown field holding None": {"nothing": None},
    "dotted unknown key": {"from.id": "29:z", "a.b": {"c": 1}},
    "empty key": {"": "empty"},
    "suggested actions": {
        "suggestedActions": {"to": ["29:a"], "actions": [{"type": "imBack", "title": "Yes", "value": "yes"}]}
    },
    "semantic action entities map": {
        "semanticAction": {"id": "s", "entities": {"one": {"type": "x"}, "two": None}, "state": "start"}
    },
    "semantic action entities as list": {
        "semanticAction": {"id": "s", "entities": [{"key": "k", "value": {}}]}
    },
    "reactions and highlights": {
        "reactionsAdded": [{"type": "like"}],
        "textHighlights": [{"text": "hi", "occurrence": 1}],
        "relatesTo": {"activityId": "0", "conversation": {"id": "a:0"}, "channelId": "msteams"},
    },
    "number where an int is a string": {"textHighlights": [{"text": "hi", "occurrence": "1"}]},
    "float where an int is declared": {"textHighlights": [{"text": "hi", "occurrence": 1.0}]},
    "bool where an int is declared": {"textHighlights": [{"text": "hi", "occurrence": True}]},
    "everything None": {key: None for key in ("text", "value", "from", "entities", "timestamp")},
}


@pytest.mark.parametrize("changes", HOSTILE.values(), ids=list(HOSTILE))
def test_odd_and_hostile_activities_get_exactly_what_msrest_gives(changes: dict[str, Any]) -> None:
    assert_read_as_msrest_reads({**BASE, **changes})


@pytest.mark.parametrize("body", [None, [], "message", 3, [BASE]], ids=repr)
def test_a_body_that_is_not_an_object_gets_what_msrest_gives(body: Any) -> None:
    assert_read_as_msrest_reads(body)


def test_an_integer_longer_than_python_reads_is_refused_as_malformed() -> None:
    raw = b'{"type": "message", "value": {"n": ' + b"9" * 5000 + b"}}"
    with pytest.raises(MalformedActivity, match="number too long"):
        read_activity(raw)
