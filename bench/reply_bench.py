"""Benchmark: the CPU of getting one survey reply ready to send, msrest's way beside the bot's.

Every prompt of a whole questionnaire (the real engine over the practitioner
survey) is made into the activity the SDK hands the connector client, then:

- serialise: msrest's ``Serializer.body`` (what the connector clients used) beside
  ``bot.reply_json.ReplySerializer.body`` (what they use now); both must write the
  same JSON, which is checked first;
- copy: ``copy.deepcopy`` (what ``TurnContext.send_activities`` does to every reply)
  of the activity with a plain msrest ``Attachment`` beside ``bot.cards.CardAttachment``.

Times are CPU microseconds per activity, medians of --rounds interleaved rounds with their range.

    .venv/bin/python -m bench.reply_bench [--rounds 7]
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, ConversationReference
from botframework.connector import models
from msrest.serialization import Serializer

from bench.micro import cpu_per_item, interleaved, print_figures
from bot import cards
from bot.reply_json import ReplySerializer
from common.partnership import load_partnership
from common.settings import Settings
from surveys import engine
from surveys.loader import load_definitions
from surveys.turns import Said

SCRIPT = ("start survey", "3", "3", *["1"] * 15, "1, 2", "1", "4", "Better joint working", "skip", "back")
REFERENCE = {
    "activityId": "1",
    "user": {"id": "29:user", "name": "A User"},
    "bot": {"id": "28:bot", "name": "Bot"},
    "conversation": {"id": "a:conversation-1", "conversationType": "personal", "tenantId": "t"},
    "channelId": "msteams",
    "serviceUrl": "https://smba.example/amer/",
}


REPEAT = 5  # passes over the items per figure


def replies() -> list[Activity]:
    """Every reply of one questionnaire, as the SDK hands them to the connector client."""
    definition = load_definitions(load_partnership(Settings.from_env({}).partnership_file))["practitioner"]
    progress = engine.start(definition)
    reference = ConversationReference().deserialize(REFERENCE)
    sent = []
    for text in SCRIPT:
        step = engine.advance(definition, progress, Said(text=text))
        progress = step.progress
        for prompt in step.replies:
            activity = TurnContext.apply_conversation_reference(cards.prompt_activity(prompt), reference)
            activity.input_hint = "acceptingInput"
            sent.append(activity)
    return sent


def with_plain_attachments(activity: Activity) -> Activity:
    plain = copy.copy(activity)
    plain.attachments = [
        Attachment(content_type=a.content_type, content=a.content) for a in activity.attachments or ()
    ]
    return plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    dependencies = {name: kind for name, kind in vars(models).items() if isinstance(kind, type)}
    msrest, ours = Serializer(dependencies), ReplySerializer(dependencies)
    sent = replies()
    plain = [with_plain_attachments(a) for a in sent]
    for activity in sent:
        if json.dumps(msrest.body(activity, "Activity")) != json.dumps(ours.body(activity, "Activity")):
            raise SystemExit(f"the two serialisers disagree on {activity.text or activity.summary!r}")
    series: dict[str, Callable[[], float]] = {
        "serialise msrest": lambda: cpu_per_item(lambda a: msrest.body(a, "Activity"), sent, REPEAT),
        "serialise ours": lambda: cpu_per_item(lambda a: ours.body(a, "Activity"), sent, REPEAT),
        "copy plain Attachment": lambda: cpu_per_item(copy.deepcopy, plain, REPEAT),
        "copy CardAttachment": lambda: cpu_per_item(copy.deepcopy, sent, REPEAT),
    }
    times = interleaved(series, args.rounds)
    title = f"{len(sent)} replies of one questionnaire, same JSON from both serialisers; CPU us per reply:"
    pairs = [("serialise msrest", "serialise ours"), ("copy plain Attachment", "copy CardAttachment")]
    print_figures(title, times, pairs, digits=0)


if __name__ == "__main__":
    main()
