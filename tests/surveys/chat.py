"""A respondent talking to the engine, so tests read like the conversation.

Every step's progress is written to JSON and read back before the next step,
exactly as the bot stores it between turns: a test that passes here also proves
the progress survives storage at every point of the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from surveys.engine import Screen, advance, start
from surveys.model import Definition
from surveys.turns import Progress, Prompt, Said, Step


class Chat:
    def __init__(self, definition: Definition, *, screen: Screen | None = None) -> None:
        self.definition = definition
        self.screen = screen
        self.progress = start(definition)
        self.last: Step | None = None

    def say(self, text: str) -> Step:
        """Type ``text``."""
        return self._send(Said(text=text))

    def press(self, **value: Any) -> Step:
        """Submit a card: press(item="agency", answer="CDC") or press(command="back")."""
        return self._send(Said(value=value))

    def says(self, texts: Iterable[str]) -> Step:
        """Type each of ``texts`` in turn; the last step."""
        step = None
        for text in texts:
            step = self.say(text)
        assert step is not None
        return step

    def _send(self, said: Said) -> Step:
        step = advance(self.definition, self.progress, said, screen=self.screen)
        stored = json.loads(json.dumps(step.progress.to_json()))
        restored = Progress.from_json(stored)
        assert restored == step.progress, "progress did not survive a JSON round trip"
        self.progress = restored
        self.last = step
        return step

    @property
    def asked(self) -> Prompt:
        """What the respondent is looking at now: the last reply of the last step."""
        assert self.last is not None
        return self.last.replies[-1]

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.progress.answers)

    def said_text(self) -> str:
        """All replies of the last step as one lower-case text, for wording checks."""
        assert self.last is not None
        parts = [" ".join(filter(None, (p.text, p.note))) for p in self.last.replies]
        return " ".join(parts).lower()
