"""What goes into and comes out of one engine step: plain, serialisable data.

These types are the contract between the engine (surveys.engine.advance), the
bot layer that renders prompts as text or Adaptive Cards, and storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

AnswerValue = str | int | tuple[str, ...] | None

Status = Literal[
    "not_started",   # nothing asked yet
    "in_progress",   # an item is being asked
    "paused",        # stopped by the respondent; resumes at `current`
    "confirming",    # summary shown, waiting for submit / back / restart
    "restarting",    # asked "are you sure you want to restart?"
    "submitting",    # confirmed; the bot layer is storing it (idempotent by response_id)
    "submitted",     # stored; nothing identifying is kept beyond this point
]


@dataclass(frozen=True)
class Progress:
    """One respondent's progress through one questionnaire. Serialises to plain JSON.

    ``answers`` holds stored values (choice values, rating ints, redacted text;
    multi-choice as a tuple; text items with max_answers > 1 as a tuple).
    ``response_id`` is chosen by the bot layer once, when the respondent
    confirms, before the first write, so every storage step is idempotent.
    ``asked_at`` is when what is now on screen (the current item, the summary,
    the restart question) was shown, in the chat channel's clock: a typed
    message sent before then was meant for something else and is not applied.
    """

    questionnaire: str
    version: int
    status: Status = "not_started"
    current: str | None = None
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    reminded: bool = False
    response_id: str | None = None
    pending: tuple[str, ...] = ()  # partial entries of a multi-answer text item
    asked_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "questionnaire": self.questionnaire,
            "version": self.version,
            "status": self.status,
            "current": self.current,
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()},
            "history": list(self.history),
            "reminded": self.reminded,
            "response_id": self.response_id,
            "pending": list(self.pending),
            "asked_at": self.asked_at.isoformat() if self.asked_at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progress:
        return cls(
            questionnaire=data["questionnaire"],
            version=int(data["version"]),
            status=data.get("status", "not_started"),
            current=data.get("current"),
            answers={
                k: tuple(v) if isinstance(v, list) else v
                for k, v in (data.get("answers") or {}).items()
            },
            history=tuple(data.get("history") or ()),
            reminded=bool(data.get("reminded")),
            response_id=data.get("response_id"),
            pending=tuple(data.get("pending") or ()),
            asked_at=datetime.fromisoformat(data["asked_at"]) if data.get("asked_at") else None,
        )


@dataclass(frozen=True)
class Said:
    """What the respondent just said: typed ``text`` and/or a card submission ``value``.

    A card submission carries at least {"item": item id, "answer": value or list}
    or {"command": "back" | "skip" | "pause" | "resume" | "restart" | "submit" | ...}
    (a command on an item's card names that item too). ``sent_at`` is when it
    was sent, in the chat channel's clock, when known.
    """

    text: str | None = None
    value: Mapping[str, Any] | None = None
    sent_at: datetime | None = None


ScreenVerdict = Literal["emergency", "disclosure"]


@dataclass(frozen=True)
class ChoiceView:
    number: int
    label: str
    value: str


@dataclass(frozen=True)
class Prompt:
    """A neutral description of one thing to say; the bot renders it as text or a card.

    kind:
      "item"     ask an item (position/total/choices set; ``current`` is an existing answer)
      "summary"  the answers so far, for confirmation (``lines`` = (question, answer))
      "confirm"  a yes/no question (restart?) with ``choices``
      "message"  plain information (intro, reminder, help, paused, done, what to do now)
    """

    kind: Literal["item", "summary", "confirm", "message"]
    text: str
    item_id: str | None = None
    item_type: str | None = None
    choices: tuple[ChoiceView, ...] = ()
    position: int | None = None
    total: int | None = None
    required: bool = True
    current: AnswerValue = None
    note: str | None = None
    actions: tuple[str, ...] = ()
    lines: tuple[tuple[str, str], ...] = ()
    scale_labels: tuple[str, str] | None = None
    section: str | None = None  # the item's section heading ("Training"), for cards


Outcome = Literal[
    "started", "answered", "reprompt", "no_match", "skipped", "back", "paused", "resumed",
    "restart_asked", "restarted", "restart_cancelled", "help", "summary", "submitted",
    "screened", "stale", "ignored",
]


@dataclass(frozen=True)
class Submission:
    """A confirmed response, ready for storage: no identity of any kind.

    ``answers`` has every item id of the definition; None for skipped or not shown.
    """

    questionnaire: str
    version: int
    agency: str
    answers: Mapping[str, AnswerValue]


@dataclass(frozen=True)
class Step:
    """The result of one engine step.

    ``outcome`` says what happened (the bot uses "no_match" to try the guidance
    on a typed question); ``answered`` is (item id, display text) when an item was
    just answered, so the bot can update that item's card; ``submission`` is set
    once when the respondent confirms (status becomes "submitting").
    """

    progress: Progress
    replies: tuple[Prompt, ...]
    outcome: Outcome
    answered: tuple[str, str] | None = None
    submission: Submission | None = None
