"""Adaptive Cards (schema 1.5) for survey prompts, guidance answers and the bot's own offers.

Teams and the local chat page render the same cards. Every button is an
``Action.Submit`` whose ``data`` comes back as the message's ``value``; the
shapes are:

- survey answer   ``{"item": id, "answer": value}`` (a choice set adds its own
  ``answer`` input; a multi-select sends "value1,value2", which the engine splits)
- survey command  ``{"command": "back" | "skip" | "pause" | ..., "item": id}``
- bot action      ``{"action": "start" | "ask" | "topic" | "feedback" | "expert" | ...}``

Cards hold no logic beyond layout: the engine decides what is asked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from surveys.rendering import progress_label, render_text
from surveys.turns import ChoiceView, Prompt

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"  # an attachment's content type
VERSION = "1.5"
BUTTON_CHOICES = 6  # more choices than this become a drop-down, which reads better on a phone
COMMAND_TITLES = {
    "back": "Back",
    "skip": "Skip",
    "pause": "Pause",
    "stop": "Pause",
    "resume": "Resume",
    "restart": "Start again",
    "submit": "Submit my answers",
    "help": "Help",
    "done": "Done",
    "start": "Start the survey",
}
# Offers in engine prompts that are the bot's, not the engine's, to carry out.
BOT_ACTIONS = {"ask": "Ask a question"}


def card(body: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    """A bare Adaptive Card with the given body; ``fallback`` is what text-only clients show."""
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "fallbackText": fallback,
    }


class CardAttachment(Attachment):  # type: ignore[misc]  # botbuilder.schema is untyped
    """An Adaptive Card attachment whose card is shared, not copied, when the activity is deep-copied.

    The SDK's ``TurnContext.send_activities`` deep-copies every activity it sends, so that
    what it stamps on the copy (conversation, ids) never reaches the caller's object; a card
    is the bulk of a reply and nothing changes it once built, so copying it key by key was
    pure cost. The attachment itself is still copied.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> CardAttachment:
        return copy.copy(self)


def attachment(content: dict[str, Any]) -> Attachment:
    """An Adaptive Card as a message attachment."""
    return CardAttachment(content_type=ADAPTIVE_CARD, content=content)


def card_activity(content: dict[str, Any], *, summary: str = "", urgent: bool = False) -> Activity:
    """A message activity carrying one Adaptive Card (``summary`` is the notification preview).

    ``urgent`` (danger, support after a disclosure) sets the activity's importance to high:
    the local chat page then keeps that message in view rather than the last one, which
    on a phone would push it off the screen.
    """
    return Activity(
        type=ActivityTypes.message,
        attachments=[attachment(content)],
        summary=summary or content.get("fallbackText", "")[:120],
        importance="high" if urgent else None,
    )


def text_activity(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, text_format="plain")


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _submit(title: str, data: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": dict(data), **extra}


def _action_set(actions: Sequence[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": list(actions), **extra}


def _stacked(actions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One action per ActionSet, so buttons stack full-width instead of overflowing on a phone."""
    return [_action_set([action], spacing="Small") for action in actions]


# --- survey prompts -----------------------------------------------------------------------


def _chosen(prompt: Prompt, value: str) -> bool:
    """Whether ``value`` is the answer already given (shown with a tick after "back")."""
    current = prompt.current
    return value in current if isinstance(current, tuple) else current is not None and str(current) == value


def _numbered(prompt: Prompt, choice: ChoiceView) -> str:
    """A choice as shown: numbered, because a typed number picks the choice shown with it
    ("4. Disagree"); a rating's points are their own numbers and get no second one."""
    return choice.label if prompt.item_type == "rating" else f"{choice.number}. {choice.label}"


def _choice_title(prompt: Prompt, choice: ChoiceView) -> str:
    title = _numbered(prompt, choice)
    return f"✓ {title}" if _chosen(prompt, choice.value) else title


def _answer_inputs(prompt: Prompt) -> list[dict[str, Any]]:
    """The part of an item card that takes the answer: buttons, a choice set or a text box."""
    item = prompt.item_id
    if prompt.item_type == "text":
        return [
            {
                "type": "Input.Text",
                "id": "answer",
                "isMultiline": True,
                "maxLength": 2000,
                "placeholder": "Type your answer",
                "value": prompt.current if isinstance(prompt.current, str) else "",
            },
            _action_set([_submit("Send answer", {"item": item}, style="positive")]),
        ]
    buttons = [_submit(_choice_title(prompt, c), {"item": item, "answer": c.value}) for c in prompt.choices]
    if prompt.item_type == "rating":
        return [_action_set(buttons)]
    if prompt.item_type == "multi" or len(prompt.choices) > BUTTON_CHOICES:
        multi = prompt.item_type == "multi"
        chosen = [c.value for c in prompt.choices if _chosen(prompt, c.value)]
        return [
            {
                "type": "Input.ChoiceSet",
                "id": "answer",
                "isMultiSelect": multi,
                "style": "expanded" if multi else "compact",
                "placeholder": "Choose one",
                "value": ",".join(chosen),
                "choices": [{"title": _numbered(prompt, c), "value": c.value} for c in prompt.choices],
            },
            _action_set([_submit("Next", {"item": item}, style="positive")]),
        ]
    return _stacked(buttons)


def _command(name: str, item: str | None = None) -> dict[str, Any]:
    """A button for an engine command, or for one of the bot's own offers ("ask")."""
    if name in BOT_ACTIONS:
        return _submit(BOT_ACTIONS[name], {"action": name})
    data = {"command": name, **({"item": item} if item else {})}
    return _submit(
        COMMAND_TITLES.get(name, name.capitalize()),
        data,
        **({"style": "positive"} if name in {"submit", "resume"} else {}),
    )


def item_card(prompt: Prompt) -> dict[str, Any]:
    """One questionnaire item: position, the question, how to answer, and Back/Skip/Pause."""
    body: list[dict[str, Any]] = []
    if prompt.position and prompt.total:
        heading = progress_label(prompt)
        body.append(
            _text(f"{heading} · {prompt.section}" if prompt.section else heading, isSubtle=True, size="Small")
        )
    body.append(_text(prompt.text, weight="Bolder", size="Medium"))
    if prompt.note:
        body.append(_text(prompt.note, color="Accent"))
    body.extend(_answer_inputs(prompt))
    if prompt.actions:
        body.append(
            _action_set(
                [_command(name, prompt.item_id) for name in prompt.actions], separator=True, spacing="Medium"
            )
        )
    return card(body, render_text(prompt))


def summary_card(prompt: Prompt) -> dict[str, Any]:
    """The answers so far, to check before submitting."""
    # Question above answer rather than a FactSet: on a phone a FactSet squeezes long
    # questions into a tall, narrow column.
    body: list[dict[str, Any]] = [_text(prompt.text, weight="Bolder")]
    for question, answer in prompt.lines:
        body.append(_text(question, isSubtle=True, size="Small", spacing="Medium"))
        body.append(_text(answer, spacing="None"))
    if prompt.note:
        body.append(_text(prompt.note, isSubtle=True))
    body.extend(_stacked(_command(name) for name in prompt.actions))
    return card(body, render_text(prompt))


def choice_card(prompt: Prompt) -> dict[str, Any]:
    """A yes/no question from the engine ("start again from the first question?")."""
    body = [_text(prompt.text, weight="Bolder")]
    body.extend(_stacked(_submit(f"{c.number}. {c.label}", {"command": c.value}) for c in prompt.choices))
    return card(body, render_text(prompt))


def message_card(prompt: Prompt) -> dict[str, Any]:
    """Plain information with follow-on buttons (paused: Resume / Ask a question)."""
    body = [_text(prompt.text)]
    if prompt.note:
        body.append(_text(prompt.note, isSubtle=True))
    body.extend(_stacked(_command(name) for name in prompt.actions))
    return card(body, render_text(prompt))


def prompt_activity(prompt: Prompt) -> Activity:
    """Render one engine Prompt: plain text when nothing is to be clicked, otherwise a card."""
    if prompt.kind == "item":
        return card_activity(item_card(prompt), summary=prompt.text)
    if prompt.kind == "summary":
        return card_activity(summary_card(prompt), summary=prompt.text)
    if prompt.kind == "confirm":
        return card_activity(choice_card(prompt), summary=prompt.text)
    if prompt.actions:
        return card_activity(message_card(prompt), summary=prompt.text)
    text = f"{prompt.text}\n\n{prompt.note}" if prompt.note else prompt.text
    return text_activity(text)


def answered_card(question: str, answer: str) -> dict[str, Any]:
    """What an item card becomes once answered: the question and the answer, nothing to click."""
    return card(
        [_text(question, isSubtle=True), _text(f"✓ {answer}", weight="Bolder")],
        f"{question} — {answer}",
    )


def retired_card(question: str) -> dict[str, Any]:
    """What an out-of-date item card becomes, so its buttons cannot be pressed again."""
    note = "This question has moved on: please use the latest one below."
    return card([_text(question, isSubtle=True), _text(note, isSubtle=True)], f"{question} — {note}")


# --- guidance ---------------------------------------------------------------------------


def _links(links: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    actions = [
        {"type": "Action.OpenUrl", "title": label, "url": url}
        for label, url in links
        if url.startswith(("https://", "http://"))
    ]
    return [_action_set(actions)] if actions else []


def _topic_buttons(topics: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return list(
        _stacked(_submit(title, {"action": "topic", "topic": topic_id}) for topic_id, title in topics)
    )


def answer_card(answer: Any, question_redacted: str) -> dict[str, Any]:
    """A guidance answer: title, the answer, local links, related topics, Helpful / Not helpful.

    ``answer`` is a guidance Answer (topic, title, text, emergency, related, links).
    """
    body: list[dict[str, Any]] = _reminder(answer.reminder)
    heading = _text(answer.title, weight="Bolder", size="Medium")
    text = _text(answer.text)
    if answer.emergency:
        body.append({"type": "Container", "style": "attention", "items": [heading, text]})
    else:
        body.extend([heading, text])
    body.extend(_links(answer.links))
    if answer.related:
        body.append(_text("Related:", isSubtle=True, size="Small", spacing="Medium"))
        body.extend(_topic_buttons(answer.related))
    feedback = {"action": "feedback", "topic": answer.topic or "", "q": question_redacted[:300]}
    body.append(
        _action_set(
            [
                _submit("Helpful", {**feedback, "helpful": True}),
                _submit("Not helpful", {**feedback, "helpful": False}),
            ],
            separator=True,
            spacing="Medium",
        )
    )
    return card(body, f"{answer.title}: {answer.text}")


def attention(text: str) -> dict[str, Any]:
    """Text in a container marked for attention (danger, support), bold."""
    return {"type": "Container", "style": "attention", "items": [_text(text, weight="Bolder")]}


def _reminder(text: str | None) -> list[dict[str, Any]]:
    """The one-line 999 reminder, first and marked, when the message mentioned harm."""
    return [attention(text)] if text else []


def not_sure_card(
    nearest: Sequence[tuple[str, str]], question_redacted: str, reminder: str | None = None
) -> dict[str, Any]:
    """An honest "not sure": the nearest topics to pick from, and the offer to ask a person."""
    body = [*_reminder(reminder), _text("I'm not sure I have a good answer to that.", weight="Bolder")]
    if nearest:
        body.append(_text("Is it one of these?"))
        body.extend(_topic_buttons(nearest))
    body.append(
        _text("Or I can pass your question to the safeguarding team, without your name.", spacing="Medium")
    )
    body.append(
        _action_set(
            [_submit("Ask the safeguarding team", {"action": "expert", "q": question_redacted[:1000]})]
        )
    )
    return card(body, "I'm not sure I have a good answer to that.")


def expert_question_card(
    question_id: int, question_redacted: str, topics: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Posted to the safeguarding team's channel: the anonymous question and a box to answer it."""
    body: list[dict[str, Any]] = [
        _text(f"Question {question_id} from a practitioner (anonymous)", isSubtle=True, size="Small"),
        _text(question_redacted, weight="Bolder"),
        {"type": "Input.Text", "id": "answer", "isMultiline": True, "placeholder": "Your answer"},
        _action_set(
            [_submit("Send answer", {"action": "expert_answer", "id": question_id}, style="positive")]
        ),
    ]
    if topics:
        body.extend(
            [
                _text(
                    "Good question for the guidance? Suggest it as a sample question of a topic:",
                    isSubtle=True,
                    spacing="Medium",
                ),
                {
                    "type": "Input.ChoiceSet",
                    "id": "topic",
                    "style": "compact",
                    "placeholder": "Topic",
                    "choices": [{"title": title, "value": topic_id} for topic_id, title in topics],
                },
                _action_set(
                    [
                        _submit(
                            "Suggest as sample question",
                            {"action": "expert_suggest", "id": question_id, "q": question_redacted},
                        )
                    ]
                ),
            ]
        )
    return card(body, f"Question {question_id}: {question_redacted}")


def expert_answer_card(question_redacted: str, answer_text: str) -> dict[str, Any]:
    """Delivered to the person who asked: their question and the team's answer."""
    return card(
        [
            _text("The safeguarding team has answered your question", weight="Bolder"),
            _text(f"You asked: {question_redacted}", isSubtle=True),
            _text(answer_text),
        ],
        f"The safeguarding team answered: {answer_text}",
    )


# --- the bot's own offers ----------------------------------------------------------------------


def offer_card(text: str, offers: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Some text and a few buttons (greeting, window messages, "what would you like to do?")."""
    body = [_text(text)]
    body.extend(_stacked(_submit(title, data) for title, data in offers))
    return card(body, text)


def help_card(content: Any, partnership: str) -> dict[str, Any]:
    """What the bot can do, with examples to type, then Start / Ask.

    ``content`` is a ``bot.help.Help``; ``partnership`` fills {partnership} in its intro.
    """
    intro = content.intro.format(partnership=partnership)
    body: list[dict[str, Any]] = [_text(intro, weight="Bolder")]
    lines = [intro]
    for section in content.sections:
        body.append(_text(section.title, weight="Bolder", spacing="Medium"))
        body.append(_text(section.text, spacing="None"))
        lines.append(f"{section.title}: {section.text}")
        if section.examples:
            examples = "\n".join(f"• “{example}”" for example in section.examples)
            body.append(_text(f"For example:\n{examples}", isSubtle=True, spacing="Small"))
            lines.append("For example: " + "; ".join(section.examples))
    body.append(_text(content.closing, spacing="Medium"))
    lines.append(content.closing)
    body.extend(
        _stacked(
            [_submit("Start the survey", {"action": "start"}), _submit("Ask a question", {"action": "ask"})]
        )
    )
    return card(body, "\n".join(lines))
