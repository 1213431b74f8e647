"""Prompts as plain text, for the terminal runner and any text-only channel.

The bot layer renders the same prompts as Adaptive Cards; this is the
fallback that needs nothing but a line of text per reply.
"""

from __future__ import annotations

from surveys.turns import Prompt


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
        lines.append(f"Question {prompt.position} of {prompt.total}")
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
