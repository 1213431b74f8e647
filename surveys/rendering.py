"""Prompts as plain text, for the terminal runner and any text-only channel.

The bot layer renders the same prompts as Adaptive Cards; this is the
fallback that needs nothing but a line of text per reply.
"""

from __future__ import annotations

from surveys import wording
from surveys.turns import Prompt


def left_label(position: int, total: int) -> str:
    """How many questions at most are still to come after this one ("up to 4 more")."""
    count = total - position
    return wording.LEFT.format(count=count) if count > 0 else wording.LEFT_NONE


def progress_label(prompt: Prompt) -> str:
    """An item's place: "Question 3 · up to 19 more" (stable: see surveys.wording.PROGRESS)."""
    assert prompt.position is not None
    assert prompt.total is not None
    return wording.PROGRESS.format(position=prompt.position, left=left_label(prompt.position, prompt.total))


def _current(prompt: Prompt) -> str | None:
    value = prompt.current
    if value is None or value == ():
        return None
    if isinstance(value, tuple):
        labels = {c.value: c.label for c in prompt.choices}
        return "; ".join(labels.get(v, v) for v in value)
    labels = {c.value: c.label for c in prompt.choices}
    return labels.get(str(value), str(value))


def render_text(prompt: Prompt) -> str:
    """One prompt as text: position, question, numbered choices, then any note."""
    lines: list[str] = []
    if prompt.kind == "item":
        lines.append(progress_label(prompt))
        lines.append(prompt.text)
        if prompt.item_type == "rating":
            lines.append(" / ".join(c.label for c in prompt.choices))
        else:
            lines.extend(f"{c.number}. {c.label}" for c in prompt.choices)
        current = _current(prompt)
        if current is not None:
            lines.append(f"Your answer so far: {current}")
    elif prompt.kind == "summary":
        lines.append(prompt.text)
        lines.extend(f"• {question} — {answer}" for question, answer in prompt.lines)
    else:
        lines.append(prompt.text)
        lines.extend(f"{c.number}. {c.label}" for c in prompt.choices)
    if prompt.note:
        lines.append(prompt.note)
    return "\n".join(lines)
