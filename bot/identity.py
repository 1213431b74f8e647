"""Who and where an activity comes from, as the stable keys the bot stores things under.

A person is keyed by channel and Azure AD object id when Teams gives one (the
same person on desktop and phone), else by the channel's user id. These keys
stay in bot state and conversation references only: nothing here is ever
stored with a survey response.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ConversationReference

PERSONAL = "personal"
TEAMS = "msteams"


def channel_key(channel: str, ident: str) -> str:
    """How people and conversations are keyed: "<channel>:<id>", e.g. "msteams:<aadObjectId>"."""
    return f"{channel}:{ident}"


def person_id(activity: Activity) -> str:
    """The stable id of the sender, e.g. "msteams:<aadObjectId>" or "webchat:<browser id>"."""
    sender = activity.from_property
    who = (getattr(sender, "aad_object_id", None) or sender.id) if sender else "unknown"
    return channel_key(activity.channel_id, who)


def conversation_kind(activity: Activity) -> str:
    """ "personal" for a one-to-one chat, else "channel" (team channels and group chats)."""
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    if kind:
        return PERSONAL if kind == PERSONAL else "channel"
    is_group = getattr(conversation, "is_group", None) if conversation else None
    return "channel" if is_group in (True, "True", "true") else PERSONAL


def conversation_id(activity: Activity) -> str:
    """The conversation id without a channel thread's ";messageid=..." suffix."""
    raw = activity.conversation.id if activity.conversation else ""
    return raw.split(";messageid=", 1)[0]


def reference_key(activity: Activity) -> str:
    """Where proactive messages for this conversation are filed: "<channel>:<conversation id>"."""
    return channel_key(activity.channel_id, conversation_id(activity))


def reference(activity: Activity) -> dict[str, Any]:
    """The conversation reference (as JSON) to reach this conversation later, outside a turn."""
    ref: dict[str, Any] = ConversationReference(
        user=activity.from_property,
        bot=activity.recipient,
        conversation=activity.conversation,
        channel_id=activity.channel_id,
        locale=activity.locale,
        service_url=activity.service_url,
    ).serialize()
    if isinstance(ref.get("conversation"), dict):
        ref["conversation"]["id"] = conversation_id(activity)
    return ref


def without_mention(activity: Activity) -> str:
    """What was written, without the @mention of the bot that Teams puts in a channel message's text."""
    text = activity.text or ""
    bot = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or ():
        found = entity.additional_properties or {}
        mentioned, written = found.get("mentioned"), found.get("text")
        if (
            entity.type == "mention"
            and isinstance(mentioned, dict)
            and mentioned.get("id") == bot
            and written
        ):
            text = text.replace(str(written), "")
    return text


def replied_to(activity: Activity) -> str | None:
    """The id of the bot message a card button was on (Teams puts it in channelData.legacy in channels)."""
    if activity.reply_to_id:
        reply_to: str = activity.reply_to_id
        return reply_to
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    legacy = channel_data.get("legacy")
    return legacy.get("replyToId") if isinstance(legacy, dict) else None


def bot_was_added(activity: Activity) -> bool:
    """True when this conversationUpdate adds the bot itself (install or added to a team)."""
    bot = activity.recipient.id if activity.recipient else None
    return any(member.id == bot for member in activity.members_added or ())


def bot_was_removed(activity: Activity) -> bool:
    bot = activity.recipient.id if activity.recipient else None
    return any(member.id == bot for member in activity.members_removed or ())
