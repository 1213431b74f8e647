"""Reading an incoming activity at the edge: parsed, made storable, capped and checked, once.

Everything ``/api/messages`` receives passes through :func:`read_activity`
before any other code looks at it, so the rest of the bot can assume:

- the body is a JSON object nested at most ``MAX_DEPTH`` deep (deeper is a
  400, never a RecursionError somewhere downstream);
- every string in it, keys included, can be stored by SQLite and PostgreSQL:
  identifiers (a key named ``id`` or ending in ``Id``) holding a NUL, another
  control character or a lone surrogate are refused with a 400, because an id
  is made by a machine and quietly changing one could merge two people; in
  everything else (what people wrote, names, card values) a lone surrogate
  becomes U+FFFD and control characters other than tab and newlines are
  dropped, because the person cannot see or fix them and refusing would lose
  their whole message for a character that carried no meaning;
- every string is at most ``MAX_TEXT`` characters: the start is kept, and
  :func:`was_cut` tells the turn that what the person wrote was shortened, so
  they can be told; this bounds the CPU work of every later step (emergency
  detection, retrieval, redaction) whatever the body size;
- the fields the bot reads have the types and lengths the Bot Framework
  schema gives them (:class:`ActivityBody`, a declared pydantic schema);
  identifiers fit the database columns they end up in. Fields the bot does
  not read are passed through unchecked: odd but valid activities work.

Anything else is :class:`MalformedActivity`: a 400 with a short reason that
names the field, never the value.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]  # msrest re-exports it from azure.core undeclared
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from bot.activity_json import read_activity_model
from common.errors import SafeguardingBotError

#: Deepest nesting of objects and arrays accepted; real Teams activities are at most 4 deep.
MAX_DEPTH = 32
#: Longest string kept; longer ones are cut to their start (the survey asks for at most 2,000).
MAX_TEXT = 4000
#: What a person is told when what they wrote was cut.
CUT_NOTE = f"That was a long message, so I have read only its first {MAX_TEXT:,} characters."

# Lone surrogates (not storable as UTF-8) and C0 controls other than tab, newline and return
# (NUL is refused by PostgreSQL; the rest carry no meaning in chat text).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_CUT_FLAG = "_safeguarding_text_cut"


class MalformedActivity(SafeguardingBotError):
    """A body that is not a usable activity; ``reason`` is short and holds no value from the body."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_identifier(key: object) -> bool:
    return isinstance(key, str) and (key == "id" or key.endswith("Id"))


def storable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD and control characters (but tab/newlines) dropped."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", text)


def _clean(text: str, key: object, path: str, cut: list[str]) -> str:
    if _is_identifier(key) and _UNSTORABLE.search(text):
        raise MalformedActivity(f"'{path}' holds a character an identifier cannot have")
    text = storable(text)
    if len(text) > MAX_TEXT:
        cut.append(path)
        text = text[:MAX_TEXT]
    return text


def _label(parent: str, key: object) -> str:
    """A path for messages: field names as they are, anything else (array indexes, odd keys) as []."""
    name = key if isinstance(key, str) and key.isidentifier() and len(key) <= 40 else "[]"
    return f"{parent}.{name}" if parent else name


def normalised(body: Any) -> tuple[Any, list[str]]:
    """A copy of parsed JSON with every string made storable and capped; also the paths that were cut.

    Walks iteratively (no recursion, whatever the depth) and refuses nesting
    deeper than ``MAX_DEPTH``.
    """
    cut: list[str] = []
    root: list[Any] = [None]
    # (source container, target container, key in target, path, depth)
    stack: list[tuple[Any, Any, Any, str, int]] = [(body, root, 0, "", 0)]
    while stack:
        value, target, key, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth >= MAX_DEPTH:
                raise MalformedActivity(f"the body is nested more than {MAX_DEPTH} deep")
            copy: dict[str, Any] = {}
            target[key] = copy
            for name, item in value.items():
                child = _label(path, name)
                clean_name = _clean(name, None, child, cut)
                stack.append((item, copy, clean_name, child, depth + 1))
        elif isinstance(value, list):
            if depth >= MAX_DEPTH:
                raise MalformedActivity(f"the body is nested more than {MAX_DEPTH} deep")
            items: list[Any] = [None] * len(value)
            target[key] = items
            stack.extend((item, items, i, _label(path, i), depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            target[key] = _clean(value, key, path, cut)
        else:
            target[key] = value
    return root[0], cut


# --- the schema of what the bot reads -------------------------------------------------------------
#
# Lengths follow the columns identifiers end up in: a person is "<channelId>:<aadObjectId or
# from.id>" (user_id, 200 characters), a conversation "<channelId>:<conversation.id>" and a
# state key "survey/<person>" (400).

Str = Annotated[str, Field(strict=True)]
ChannelId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=32)]
AccountId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=160)]
ObjectId = Annotated[str, StringConstraints(strict=True, max_length=128)]
ConversationId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=320)]
ActivityId = Annotated[str, StringConstraints(strict=True, max_length=256)]
Name = Annotated[str, StringConstraints(strict=True, max_length=512)]
Url = Annotated[str, StringConstraints(strict=True, max_length=2048, pattern=r"^https?://[^\s]+$")]


class _Part(BaseModel):
    """A part of an activity: the declared fields are checked, any others pass through."""

    model_config = ConfigDict(extra="allow", strict=True)


class Account(_Part):
    id: AccountId
    name: Name | None = None
    aadObjectId: ObjectId | None = None
    role: Name | None = None


class Conversation(_Part):
    id: ConversationId
    name: Name | None = None
    conversationType: Name | None = None
    # A boolean; one real installationUpdate sends the string "True", which msrest reads as true.
    isGroup: bool | Literal["True", "true", "False", "false"] | None = None
    tenantId: ObjectId | None = None


class MentionedAccount(_Part):
    id: AccountId
    name: Name | None = None


class Entity(_Part):
    type: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128)]
    mentioned: MentionedAccount | None = None
    text: Str | None = None

    @model_validator(mode="after")
    def _a_mention_names_someone(self) -> Entity:
        if self.type.lower() == "mention":
            if self.mentioned is None:
                raise ValueError("a mention must say who is mentioned")
            if not (self.text or self.mentioned.name):
                raise ValueError("a mention must carry its text or the mentioned name")
        return self


class Tenant(_Part):
    id: ObjectId | None = None


class Legacy(_Part):
    replyToId: ActivityId | None = None


class ChannelData(_Part):
    tenant: Tenant | None = None
    legacy: Legacy | None = None


class Attachment(_Part):
    contentType: Name | None = None
    contentUrl: Str | None = None
    name: Name | None = None


class ActivityBody(_Part):
    """The fields of a Bot Framework activity this bot reads, with their types and lengths."""

    type: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
    id: ActivityId | None = None
    channelId: ChannelId
    serviceUrl: Url
    from_: Account = Field(alias="from")
    recipient: Account  # the bot: the schema requires it, and a mention is removed by its id
    conversation: Conversation
    text: Str | None = None
    textFormat: Name | None = None
    locale: Name | None = None
    timestamp: Name | None = None
    localTimestamp: Name | None = None
    replyToId: ActivityId | None = None
    name: Name | None = None
    action: Name | None = None
    deliveryMode: Name | None = None
    value: dict[str, Any] | list[Any] | Str | None = None
    entities: list[Entity] | None = None
    attachments: list[Attachment] | None = None
    membersAdded: list[Account] | None = None
    membersRemoved: list[Account] | None = None
    channelData: ChannelData | None = None


def _reason(error: ValidationError) -> str:
    """The first problem, as "'field.path': what is wrong" (pydantic's words, never the value)."""
    first = error.errors(include_input=False, include_url=False)[0]
    where = ".".join("[]" if isinstance(part, int) else str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"'{where}': {message}" if where else message


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw``; MalformedActivity when it is not UTF-8 JSON or is not an object."""
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise MalformedActivity(f"the body is nested more than {MAX_DEPTH} deep") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedActivity("the body is not valid JSON") from exc
    except ValueError as exc:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise MalformedActivity("the body holds a number too long to read") from exc
    if not isinstance(body, dict):
        raise MalformedActivity("the body must be a JSON object (an activity)")
    return body


def read_activity(raw: bytes) -> tuple[dict[str, Any], Activity]:
    """The normalised body and the Activity built from it; MalformedActivity with a reason otherwise.

    CPU work grows with the body only in the JSON parse and one walk over it;
    call it off the event loop (bot.workers: a worker process for large
    bodies; both results can be pickled, with every string capped).
    """
    body, cut = normalised(parse_body(raw))
    try:
        ActivityBody.model_validate(body)
    except ValidationError as exc:
        raise MalformedActivity(_reason(exc)) from exc
    if body.get("text") is None and body.get("entities"):
        body["text"] = ""  # the SDK's mention removal needs a string to remove the mention from
    try:
        activity = read_activity_model(body)  # msrest's Activity, built directly (bot.activity_json)
    except (DeserializationError, ValueError, TypeError, AttributeError) as exc:
        raise MalformedActivity("the activity could not be read") from exc
    written = any(path == "text" or path.startswith("value") for path in cut)
    setattr(activity, _CUT_FLAG, written)
    return body, activity


def was_cut(activity: Activity) -> bool:
    """True when what the person wrote (text, or a card's values) was longer than MAX_TEXT and was cut."""
    return bool(getattr(activity, _CUT_FLAG, False))
