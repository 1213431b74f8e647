"""Score the knowledge base against labelled questions (``{"q": ..., "topic": ...}`` lines).

The labels follow the issue: "out-of-scope" expects no answer (topic None),
"immediate-danger" expects the emergency flag, anything else the same topic.
Emergency recall is reported on its own because a miss there is the worst
failure; out-of-scope handling counts a confident wrong answer as a failure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from common.errors import ContentError
from guidance.knowledge import KnowledgeBase
from guidance.model import EMERGENCY_TOPIC, Answer

OUT_OF_SCOPE = "out-of-scope"


@dataclass(frozen=True)
class Outcome:
    question: str
    expected: str
    got: str | None
    emergency: bool
    correct: bool


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def _share(self, rows: list[Outcome]) -> float | None:
        return sum(o.correct for o in rows) / len(rows) if rows else None

    @property
    def top1(self) -> float | None:
        """Share of all questions answered as labelled."""
        return self._share(list(self.outcomes))

    @property
    def in_scope_top1(self) -> float | None:
        """Share of questions with a real topic (not out-of-scope) answered as labelled."""
        return self._share([o for o in self.outcomes if o.expected != OUT_OF_SCOPE])

    @property
    def emergency_recall(self) -> float | None:
        """Share of immediate-danger questions flagged as emergencies."""
        return self._share([o for o in self.outcomes if o.expected == EMERGENCY_TOPIC])

    @property
    def false_alarms(self) -> int:
        """Questions flagged as emergencies that were labelled otherwise."""
        return sum(o.emergency and o.expected != EMERGENCY_TOPIC for o in self.outcomes)

    @property
    def out_of_scope_handled(self) -> float | None:
        """Share of out-of-scope questions given no (confident) answer."""
        return self._share([o for o in self.outcomes if o.expected == OUT_OF_SCOPE])

    @property
    def confident_precision(self) -> float | None:
        """Of the questions given a confident topic, the share that were right."""
        return self._share([o for o in self.outcomes if o.got is not None])

    def confusion(self) -> list[tuple[str, str, int]]:
        """(expected, got, count) for every kind of mistake, commonest first."""
        counts = Counter((o.expected, o.got or "none") for o in self.outcomes if not o.correct)
        return [(e, g, n) for (e, g), n in counts.most_common()]

    def lines(self) -> list[str]:
        """The report as text lines for the command line."""

        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{100 * value:.1f}%"

        total = len(self.outcomes)
        danger = sum(o.expected == EMERGENCY_TOPIC for o in self.outcomes)
        outside = sum(o.expected == OUT_OF_SCOPE for o in self.outcomes)
        lines = [
            f"questions: {total} ({danger} immediate-danger, {outside} out-of-scope)",
            f"top-1 accuracy: {pct(self.top1)} (in-scope only: {pct(self.in_scope_top1)})",
            f"emergency recall: {pct(self.emergency_recall)} (false alarms: {self.false_alarms})",
            f"out-of-scope precision (no confident wrong answer): {pct(self.out_of_scope_handled)}",
            f"precision of confident answers: {pct(self.confident_precision)}",
        ]
        mistakes = [o for o in self.outcomes if not o.correct]
        if mistakes:
            lines.append("confusion (expected -> got: count):")
            lines += [f"  {e} -> {g}: {n}" for e, g, n in self.confusion()]
            lines.append("mistakes:")
            lines += [f"  [{o.expected} -> {o.got or 'none'}] {o.question}" for o in mistakes]
        return lines


def judge(expected: str, answer: Answer) -> bool:
    """Whether an answer meets the label (see the module docstring)."""
    if expected == EMERGENCY_TOPIC:
        return answer.emergency
    if expected == OUT_OF_SCOPE:
        return answer.topic is None and not answer.emergency
    return answer.topic == expected


def evaluate(kb: KnowledgeBase, rows: Iterable[Mapping[str, str]]) -> Report:
    """Answer every labelled question and keep what happened."""
    outcomes = []
    for row in rows:
        answer = kb.answer(row["q"])
        correct = judge(row["topic"], answer)
        outcomes.append(Outcome(row["q"], row["topic"], answer.topic, answer.emergency, correct))
    return Report(tuple(outcomes))


def read_labelled(path: Path) -> list[dict[str, str]]:
    """The ``{"q", "topic"}`` lines of a JSON-lines file; ContentError names a bad line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContentError(str(path), number, f"not valid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("q", "topic")):
            raise ContentError(str(path), number, 'each line needs "q" and "topic" texts')
        rows.append({"q": row["q"], "topic": row["topic"]})
    return rows
