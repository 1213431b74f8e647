"""The conversation engine: one pure step from (definition, progress, what was said).

``advance`` takes the definition, one respondent's saved progress and what they
just said (typed text or a card submission) and returns the new progress, what
to say next (neutral prompts the bot renders as text or Adaptive Cards) and what
happened. No I/O, no clock, no framework: progress is plain JSON, so any process
can carry on a conversation another one started, days later.

The rules are the spec's "Conversation rules": one item at a time with its
position and how many at most are left (the longest path still open, so it
only falls as routing rules items out), command words at any point, a
re-prompt instead of a guess, conditions re-evaluated after ``back``, free text
screened and redacted before it is kept, and nothing counting until the
respondent confirms the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from surveys import wording
from surveys.commands import load_words
from surveys.matching import Match, match_answer, match_choice, match_rating, match_values, normalise
from surveys.model import Choice, Condition, Definition, Item
from surveys.redaction import redact
from surveys.rendering import left_label
from surveys.replies import short_reply
from surveys.turns import (
    AnswerValue,
    ChoiceView,
    Outcome,
    Progress,
    Prompt,
    Said,
    ScreenVerdict,
    Status,
    Step,
    Submission,
)

Screen = Callable[[str], ScreenVerdict | None]

_WORDS = load_words()
#: Words that work at any point, as typed (case and end punctuation ignored) -> command.
COMMANDS: Mapping[str, str] = _WORDS.by_word()
#: Card buttons may also send these (restart confirmation, finishing a list of issues).
_COMMAND_IDS = frozenset(COMMANDS.values()) | {"yes", "no", "done"}
_DONE = frozenset(_WORDS.done)
#: Longest free-text answer kept; longer gets a polite re-prompt, not a silent cut.
MAX_TEXT = 2000

_CONFIRM = (  # short replies ("yes", "not now") are read first, from surveys/wordlists/replies.yaml
    Choice(wording.RESTART_YES, "yes", ("restart", "start again")),
    Choice(wording.RESTART_NO, "no", ("keep", "back")),
)
_SUMMARY = (
    Choice("Submit", "submit", ("confirm", "send", "yes submit")),
    Choice("Change an answer", "back", ("back", "change", "edit")),
    Choice("Restart", "restart", ("start again",)),
)
#: A short reply to the summary ("shall I send them?"): yes sends, later pauses, no sends nothing.
_SUMMARY_REPLIES = {"yes": "submit", "later": "pause", "no": "no"}
#: A short reply to the restart question: only yes starts again.
_RESTART_REPLIES = {"yes": "yes", "no": "no", "later": "no"}
#: What people say to the questionnaire's prompts (its commands but help and start, the summary's
#: answers, "done"): said when no questionnaire is under way, they are not guidance questions
#: (nor are short replies: see ``survey_word``).
SURVEY_WORDS: frozenset[str] = frozenset(
    {word for word, command in COMMANDS.items() if command not in ("help", "start")}
    | {normalise(choice.label) for choice in _SUMMARY}
    | {synonym for choice in _SUMMARY for synonym in choice.synonyms}
    | _DONE
)


def survey_word(text: str) -> bool:
    """Whether ``text`` (normalised) is what people say to the questionnaire's prompts: one of
    SURVEY_WORDS or a short reply ("yes", "not now"; surveys.replies)."""
    return text in SURVEY_WORDS or short_reply(text) is not None


def start(definition: Definition) -> Progress:
    """A fresh progress for ``definition``: nothing asked yet."""
    return Progress(questionnaire=definition.id, version=definition.version)


def advance(
    definition: Definition,
    progress: Progress,
    said: Said,
    *,
    screen: Screen | None = None,
    now: datetime | None = None,
) -> Step:
    """One step of the conversation; see the module docstring. Never raises on user input.

    ``screen`` is applied to free-text answers: "emergency" or "disclosure" means
    the text is not kept and the respondent is told what to do now. ``now`` is
    when this step's replies are shown (in the channel's clock, like
    ``said.sent_at``); it becomes ``asked_at`` whenever the step shows something
    new, so a typed message sent before that is not applied to it.
    """
    if progress.questionnaire != definition.id:
        raise ValueError(f"progress is for '{progress.questionnaire}', not '{definition.id}'")
    turn = _Turn(definition, _repaired(definition, progress), said, screen)
    if _sent_before_shown(turn.progress, said):
        return _sent_too_early(turn)
    step = _HANDLERS[turn.progress.status](turn)
    if _on_screen(step.progress) != _on_screen(progress):
        step = replace(step, progress=replace(step.progress, asked_at=now))
    return step


def _on_screen(progress: Progress) -> tuple[str, str | None, tuple[str, ...]]:
    """What the respondent is looking at: a change means a new prompt (and a new ``asked_at``)."""
    return (progress.status, progress.current, progress.pending)


_ANSWERING = frozenset({"in_progress", "confirming", "restarting"})


def _sent_before_shown(progress: Progress, said: Said) -> bool:
    """Typed text or an item-less button sent before the prompt now on screen appeared.

    A card answer names its item, which is checked against the current item instead.
    """
    if said.sent_at is None or progress.asked_at is None or progress.status not in _ANSWERING:
        return False
    if isinstance(said.value, Mapping) and said.value.get("item") is not None:
        return False
    return said.sent_at < progress.asked_at


def _sent_too_early(turn: _Turn) -> Step:
    progress, note = turn.progress, _message(wording.SENT_BEFORE_SHOWN)
    if progress.status == "restarting":
        return Step(progress, (note, _restart_question()), "stale")
    if progress.status == "confirming":
        return Step(progress, (note, turn.summary(progress)), "stale")
    return turn.step(progress, "stale", note)


# -- which items are shown ------------------------------------------------------------

_UNKNOWN = object()


def _holds(condition: Condition, value: AnswerValue) -> bool:
    chosen = set(value) if isinstance(value, tuple) else ({str(value)} if value is not None else set())
    return bool(chosen & set(condition.values)) != condition.negate


def visible_items(definition: Definition, answers: Mapping[str, AnswerValue]) -> list[Item]:
    """Items shown for these answers, in order.

    An item whose condition rests on an answer not given yet counts as shown, so
    "Question n of m" can only get smaller as the respondent answers, never jump up.
    """
    known: dict[str, Any] = {}
    shown: list[Item] = []
    for item in definition.items:
        condition = item.when
        value = _UNKNOWN if condition is None else known[condition.item]
        if condition is None or value is _UNKNOWN or _holds(condition, cast(AnswerValue, value)):
            shown.append(item)
            known[item.id] = answers.get(item.id, _UNKNOWN)
        else:
            known[item.id] = None
    return shown


def _position(definition: Definition, progress: Progress) -> tuple[int, int]:
    """The current item's place among the items shown, and how many could be shown in all.

    Items before the current one are settled, so the place counts up by one per
    answer; the total counts every item whose condition is still open (the longest
    path), so it only falls as answers rule items out.
    """
    assert progress.current is not None
    shown = [item.id for item in visible_items(definition, progress.answers)]
    return shown.index(progress.current) + 1, len(shown)


def _repaired(definition: Definition, progress: Progress) -> Progress:
    """Progress made consistent with the definition (an old pointer must never leave anyone stuck)."""
    ids = {item.id for item in definition.items}
    answers = {k: v for k, v in progress.answers.items() if k in ids}
    shown = {item.id for item in visible_items(definition, answers)}
    answers = {k: v for k, v in answers.items() if k in shown}
    current = progress.current if progress.current in shown else None
    if progress.status in ("in_progress", "paused", "restarting") and current is None:
        current = _first_unanswered(definition, answers)
    status = progress.status
    if status == "in_progress" and current is None:
        status = "confirming"
    elif status == "confirming":
        current = _first_unanswered(definition, answers)
        status = "in_progress" if current else "confirming"
    if answers == dict(progress.answers) and current == progress.current and status == progress.status:
        return progress
    return replace(progress, answers=answers, current=current, status=status)


def _first_unanswered(definition: Definition, answers: Mapping[str, AnswerValue]) -> str | None:
    for item in visible_items(definition, answers):
        if item.id not in answers:
            return item.id
    return None


# -- one turn -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    """What the respondent said, read once: a command, a card answer, or typed text.

    ``card_item`` is the item whose card the button was on (answers, and commands on an item's card).
    """

    command: str | None = None
    card_item: str | None = None
    card_answer: Any = None
    text: str = ""


def _read(said: Said) -> _Read:
    value = said.value or {}
    card_item = str(value["item"]) if isinstance(value, Mapping) and value.get("item") is not None else None
    if isinstance(value, Mapping) and value.get("command") is not None:
        command = normalise(str(value["command"]))
        known = COMMANDS.get(command, command if command in _COMMAND_IDS else None)
        return _Read(command=known, card_item=card_item)
    if card_item is not None:
        return _Read(card_item=card_item, card_answer=value.get("answer"))
    text = (said.text or "").strip()
    return _Read(command=COMMANDS.get(normalise(text)), text=text)


class _Turn:
    """The pieces of one step and the small helpers every handler needs."""

    def __init__(self, definition: Definition, progress: Progress, said: Said, screen: Screen | None):
        self.definition = definition
        self.progress = progress
        self.read = _read(said)
        self.screen = screen

    # -- prompts --

    def visible(self, answers: Mapping[str, AnswerValue] | None = None) -> list[Item]:
        return visible_items(self.definition, self.progress.answers if answers is None else answers)

    def ask(self, progress: Progress, note: str | None = None) -> Prompt:
        """The prompt for ``progress.current``."""
        assert progress.current is not None
        item = self.definition.item(progress.current)
        position, total = _position(self.definition, progress)
        pending = progress.pending if item.max_answers > 1 else ()
        actions = tuple(
            action
            for action, allowed in (
                ("back", position > 1),
                ("skip", not item.required),
                ("done", bool(pending)),
                ("pause", True),
            )
            if allowed
        )
        scale = item.scale
        return Prompt(
            kind="item",
            text=item.text,
            item_id=item.id,
            item_type=item.type,
            choices=_choice_views(item),
            position=position,
            total=total,
            required=item.required,
            current=pending or progress.answers.get(item.id),
            note=note or _hint(item),
            actions=actions,
            scale_labels=(scale.min_label, scale.max_label) if scale else None,
            section=item.section or None,
        )

    def summary(self, progress: Progress, note: str = wording.SUMMARY_NOTE) -> Prompt:
        lines = tuple(
            (item.text, display(item, progress.answers.get(item.id)))
            for item in visible_items(self.definition, progress.answers)
        )
        return Prompt(
            kind="summary",
            text=wording.SUMMARY,
            choices=tuple(ChoiceView(n, c.label, c.value) for n, c in enumerate(_SUMMARY, 1)),
            note=note,
            actions=("submit", "back", "restart"),
            lines=lines,
        )

    def where(self, progress: Progress, note: str | None = None) -> tuple[Prompt, ...]:
        """Where the respondent is: the current item or, when every item is answered, the summary."""
        if progress.current is None:
            return (self.summary(progress),)
        return (self.ask(progress, note),)

    def step(
        self,
        progress: Progress,
        outcome: Outcome,
        *before: Prompt,
        note: str | None = None,
        answered: tuple[str, str] | None = None,
    ) -> Step:
        """A step that ends by showing where the respondent now is."""
        replies = list(before)
        current = self.definition.item(progress.current) if progress.current else None
        if current is not None and current.type == "text" and not progress.reminded:
            replies.append(_message(self.definition.free_text_reminder))
            progress = replace(progress, reminded=True)
        replies.extend(self.where(progress, note))
        return Step(progress=progress, replies=tuple(replies), outcome=outcome, answered=answered)

    def moved_on(
        self, answers: dict[str, AnswerValue], outcome: Outcome, answered: tuple[str, str] | None = None
    ) -> Step:
        """Store ``answers`` and go to the first item still to answer, or the summary.

        Going to the first unanswered item (not simply the next one) is what makes a
        changed answer after ``back`` ask the items it newly shows, then return to
        where the respondent was.
        """
        shown = {item.id for item in self.visible(answers)}
        answers = {k: v for k, v in answers.items() if k in shown}
        current = _first_unanswered(self.definition, answers)
        progress = replace(
            self.progress,
            answers=answers,
            current=current,
            pending=(),
            status="in_progress" if current else "confirming",
        )
        return self.step(progress, outcome, answered=answered)


def _choice_views(item: Item) -> tuple[ChoiceView, ...]:
    """The valid answers as buttons: the choices, or every point of a rating scale."""
    scale = item.scale
    if scale is None:
        return tuple(ChoiceView(n, c.label, c.value) for n, c in enumerate(item.choices, 1))
    ends = {scale.minimum: scale.min_label, scale.maximum: scale.max_label}
    return tuple(
        ChoiceView(n, f"{n} ({ends[n]})" if ends.get(n) else str(n), str(n))
        for n in range(scale.minimum, scale.maximum + 1)
    )


def _message(text: str, actions: tuple[str, ...] = ()) -> Prompt:
    return Prompt(kind="message", text=text, actions=actions)


def _hint(item: Item) -> str | None:
    if item.type == "rating" and item.scale:
        scale = item.scale
        return wording.RATING_HINT.format(
            low=scale.minimum, high=scale.maximum, low_label=scale.min_label, high_label=scale.max_label
        )
    if item.type == "text" and item.max_answers > 1:
        return wording.SEVERAL_TEXT.format(limit=item.max_answers)
    if item.type == "text" and not item.required:
        return wording.OPTIONAL_TEXT
    return None


def display(item: Item, value: AnswerValue) -> str:
    """An answer as the respondent would recognise it (labels, not codes)."""
    if value is None:
        return wording.SKIPPED
    labels = {c.value: c.label for c in item.choices}
    if isinstance(value, tuple):
        return "; ".join(labels.get(v, v) for v in value)
    if item.type == "rating" and item.scale:
        return f"{value} out of {item.scale.maximum}"
    return labels.get(str(value), str(value))


# -- handlers by status ---------------------------------------------------------------


def _not_started(turn: _Turn) -> Step:
    if turn.read.command != "start":
        return Step(turn.progress, (_message(wording.NOT_STARTED, ("start",)),), "ignored")
    progress = replace(
        turn.progress,
        status="in_progress",
        current=turn.definition.items[0].id,
        answers={},
        pending=(),
        reminded=False,
    )
    return turn.step(progress, "started", _message(turn.definition.intro))


def _in_progress(turn: _Turn) -> Step:
    read, progress = turn.read, turn.progress
    assert progress.current is not None
    item = turn.definition.item(progress.current)
    if read.card_item is not None and read.card_item != item.id:  # a button of another item's card
        return turn.step(progress, "stale", _message(wording.STALE))
    if read.command is not None:
        return _COMMAND_HANDLERS.get(read.command, _repeat)(turn)
    if read.card_item is not None:
        return _card_answer(turn, item, read.card_answer)
    if item.type == "text":
        return _text_answer(turn, item, read.text)
    if not read.text:
        return turn.step(progress, "reprompt", note=wording.EMPTY)
    return _matched(turn, item, match_answer(item, read.text), read.text)


def _matched(turn: _Turn, item: Item, match: Match, said: str) -> Step:
    if match.ok:
        answers = {**turn.progress.answers, item.id: match.value}
        return turn.moved_on(answers, "answered", (item.id, display(item, match.value)))
    outcome: Outcome = "reprompt"
    if match.problem == "no_match":
        outcome = "no_match"
        note = wording.NOT_UNDERSTOOD.format(said=_quoted(said))
    elif match.problem == "ambiguous":
        note = wording.AMBIGUOUS.format(said=_quoted(said), candidates=_or(match.candidates))
    elif match.problem == "exclusive":
        note = wording.EXCLUSIVE.format(label=match.candidates[0])
    elif match.problem == "partial":
        note = wording.PARTLY_UNDERSTOOD.format(parts="”, “".join(match.unmatched))
    elif item.type == "rating" and item.scale:
        note = wording.RATING_RANGE.format(low=item.scale.minimum, high=item.scale.maximum)
    else:
        note = wording.OUT_OF_RANGE
    return turn.step(turn.progress, outcome, note=note)


def _quoted(said: str, limit: int = 40) -> str:
    """What they typed, short enough to quote back on a phone screen."""
    said = " ".join(said.split())
    return said if len(said) <= limit else said[:limit].rsplit(" ", 1)[0] + "…"


def _or(labels: tuple[str, ...]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _card_answer(turn: _Turn, item: Item, answer: Any) -> Step:
    if item.type == "text":
        return _text_answer(turn, item, answer if isinstance(answer, str) else "")
    if item.type == "rating":
        assert item.scale is not None
        return _matched(turn, item, match_rating(item.scale, str(answer)), str(answer))
    if isinstance(answer, list | tuple):
        values = list(answer)
    elif isinstance(answer, str) and item.type == "multi" and answer not in {c.value for c in item.choices}:
        values = [part for part in answer.split(",") if part.strip()]  # Input.ChoiceSet sends "a,b"
    else:
        values = [answer]
    if not values or any(v is None for v in values):
        return turn.step(turn.progress, "reprompt", note=wording.EMPTY)
    return _matched(turn, item, match_values(item, values), ", ".join(map(str, values)))


def _text_answer(turn: _Turn, item: Item, text: str) -> Step:
    progress = turn.progress
    text = text.strip()
    if item.max_answers > 1 and normalise(text) in _DONE:
        return _done(turn, item)
    if not text:
        return turn.step(progress, "reprompt", note=wording.EMPTY)
    verdict = turn.screen(text) if turn.screen else None
    if verdict is not None:
        told = wording.SCREENED_EMERGENCY if verdict == "emergency" else wording.SCREENED_DISCLOSURE
        again = wording.ANSWER_AGAIN if item.required else wording.ANSWER_AGAIN_OR_SKIP
        return turn.step(progress, "screened", _message(told), note=again)
    if len(text) > MAX_TEXT:
        return turn.step(progress, "reprompt", note=wording.TOO_LONG.format(limit=MAX_TEXT))
    kept = redact(text)
    if item.max_answers == 1:
        return turn.moved_on({**progress.answers, item.id: kept}, "answered", (item.id, kept))
    pending = (*progress.pending, kept)
    if len(pending) >= item.max_answers:
        answers = {**progress.answers, item.id: pending}
        return turn.moved_on(answers, "answered", (item.id, display(item, pending)))
    note = wording.ANOTHER.format(count=len(pending), limit=item.max_answers)
    return turn.step(
        replace(progress, pending=pending), "answered", note=note, answered=(item.id, "; ".join(pending))
    )


def _done(turn: _Turn, item: Item) -> Step:
    progress = turn.progress
    if progress.pending:
        answers = {**progress.answers, item.id: progress.pending}
        return turn.moved_on(answers, "answered", (item.id, display(item, progress.pending)))
    if item.id in progress.answers or not item.required:
        return _next(turn)
    return turn.step(progress, "reprompt", note=wording.AT_LEAST_ONE)


def _confirming(turn: _Turn) -> Step:
    read, progress = turn.read, turn.progress
    if read.card_item is not None:
        return Step(progress, (_message(wording.STALE), turn.summary(progress)), "stale")
    command = read.command or _SUMMARY_REPLIES.get(short_reply(read.text) or "")
    if command is None and read.text:
        # No numbers here: the summary's buttons are not numbered, so "1" would be a guess.
        match = match_choice(_SUMMARY, read.text, by_number=False)
        command = str(match.value) if match.ok else None
    if command == "submit" or command == "yes":
        return _submit(turn)
    if command in ("back", "restart", "pause", "help"):
        return _COMMAND_HANDLERS[command](turn)
    declined = command == "no" or normalise(read.text) == "wait"
    outcome: Outcome = "no_match" if read.text and command is None and not declined else "reprompt"
    return Step(progress, (turn.summary(progress, wording.SUMMARY_NOT_UNDERSTOOD),), outcome)


def _submit(turn: _Turn) -> Step:
    progress = replace(turn.progress, status="submitting", current=None, pending=())
    shown = {item.id for item in turn.visible(progress.answers)}
    answers = {
        item.id: progress.answers.get(item.id) if item.id in shown else None for item in turn.definition.items
    }
    submission = Submission(
        questionnaire=turn.definition.id,
        version=turn.definition.version,
        agency=str(answers["agency"]),
        answers=answers,
    )
    done = _message(turn.definition.done_message)
    return Step(progress, (done,), "submitted", submission=submission)


def _paused(turn: _Turn) -> Step:
    """Paused: the offer to resume; a short reply answers it ("yes" resumes, "not now" keeps it paused)."""
    command = turn.read.command
    reply = short_reply(turn.read.text)
    if command in ("resume", "start") or reply == "yes":
        return _resume(turn)
    if command in ("restart", "help"):
        return _COMMAND_HANDLERS[command](turn)
    progress = turn.progress
    if reply is not None:
        return Step(progress, (_message(wording.STILL_PAUSED, ("resume", "ask")),), "ignored")
    if progress.current is None:
        offer = wording.PAUSED_AT_SUMMARY
    else:
        position, total = _position(turn.definition, progress)
        offer = wording.PAUSED_OFFER.format(position=position, left=left_label(position, total))
    return Step(progress, (_message(offer, ("resume", "ask")),), "ignored")


def _restarting(turn: _Turn) -> Step:
    read, progress = turn.read, turn.progress
    answer = read.command if read.command in ("yes", "no", "restart", "back") else None
    answer = answer or _RESTART_REPLIES.get(short_reply(read.text) or "")
    if answer is None and read.text:
        match = match_choice(_CONFIRM, read.text)
        answer = str(match.value) if match.ok else None
    if answer in ("yes", "restart"):
        fresh = replace(
            progress,
            status="in_progress",
            current=turn.definition.items[0].id,
            answers={},
            pending=(),
            reminded=False,
        )
        return turn.step(fresh, "restarted", _message(wording.RESTARTED))
    if answer in ("no", "back"):
        status: Status = "in_progress" if progress.current else "confirming"
        kept = replace(progress, status=status)
        return turn.step(kept, "restart_cancelled", _message(wording.RESTART_CANCELLED))
    return Step(progress, (_restart_question(),), "reprompt")


def _restart_question() -> Prompt:
    return Prompt(
        kind="confirm",
        text=wording.RESTART_QUESTION,
        choices=tuple(ChoiceView(n, c.label, c.value) for n, c in enumerate(_CONFIRM, 1)),
    )


def _submitting(turn: _Turn) -> Step:
    if turn.read.command in ("submit", "yes"):
        return _submit(turn)  # a retry after a failed save: same answers, same response id
    return Step(turn.progress, (_message(wording.SUBMITTING),), "ignored")


def _submitted(turn: _Turn) -> Step:
    return Step(turn.progress, (_message(wording.ALREADY_SUBMITTED),), "ignored")


# -- commands -------------------------------------------------------------------------


def _back(turn: _Turn) -> Step:
    progress = turn.progress
    answers = dict(progress.answers)
    shown = [item.id for item in turn.visible(answers)]
    if progress.current is None:
        target = shown[-1]
    else:
        item = turn.definition.item(progress.current)
        if progress.pending:  # keep the entries given so far rather than lose them
            answers[item.id] = progress.pending
        index = shown.index(item.id)
        if index == 0:
            return turn.step(progress, "back", note=wording.FIRST_QUESTION)
        target = shown[index - 1]
    moved = replace(progress, answers=answers, current=target, pending=(), status="in_progress")
    return turn.step(moved, "back")


def _skip(turn: _Turn) -> Step:
    progress = turn.progress
    assert progress.current is not None
    item = turn.definition.item(progress.current)
    if item.required:
        return turn.step(progress, "reprompt", note=wording.SKIP_REFUSED)
    return turn.moved_on({**progress.answers, item.id: None}, "skipped")


def _next(turn: _Turn) -> Step:
    """Keep the answer already given to this item (after ``back``) and carry on."""
    progress = turn.progress
    assert progress.current is not None
    item = turn.definition.item(progress.current)
    if item.id in progress.answers:
        kept = (item.id, display(item, progress.answers[item.id]))
        return turn.moved_on(dict(progress.answers), "answered", kept)
    if not item.required:
        return _skip(turn)
    return turn.step(progress, "reprompt", note=wording.NEXT_NEEDS_ANSWER)


def _done_pressed(turn: _Turn) -> Step:
    """The "done" button of a list of issues; typed "done" arrives as text at that item."""
    assert turn.progress.current is not None
    item = turn.definition.item(turn.progress.current)
    return _done(turn, item) if item.max_answers > 1 else _repeat(turn)


def _pause(turn: _Turn) -> Step:
    progress = replace(turn.progress, status="paused")
    return Step(progress, (_message(wording.PAUSED, ("resume",)),), "paused")


def _resume(turn: _Turn) -> Step:
    progress = turn.progress
    status: Status = "in_progress" if progress.current else "confirming"
    return turn.step(replace(progress, status=status), "resumed", _message(wording.RESUMED))


def _restart(turn: _Turn) -> Step:
    return Step(replace(turn.progress, status="restarting"), (_restart_question(),), "restart_asked")


def _help(turn: _Turn) -> Step:
    progress = turn.progress
    if progress.status == "paused":
        return Step(progress, (_message(wording.HELP, ("resume",)),), "help")
    return turn.step(progress, "help", _message(wording.HELP))


def _submit_early(turn: _Turn) -> Step:
    """ "submit" before the summary: the summary when every item is answered, else not yet."""
    progress = turn.progress
    finished = _first_unanswered(turn.definition, progress.answers) is None
    if finished and not progress.pending:
        summary = replace(progress, status="confirming", current=None)
        return Step(summary, (turn.summary(summary),), "summary")
    return turn.step(progress, "reprompt", note=wording.SUBMIT_TOO_EARLY)


def _repeat(turn: _Turn) -> Step:
    """A command that means nothing here ("start" mid-way, a stray "yes" button): say where we are."""
    before = (_message(wording.ALREADY_STARTED),) if turn.read.command == "start" else ()
    return turn.step(turn.progress, "reprompt", *before)


_COMMAND_HANDLERS: dict[str, Callable[[_Turn], Step]] = {
    "back": _back,
    "skip": _skip,
    "next": _next,
    "done": _done_pressed,
    "pause": _pause,
    "resume": _resume,
    "restart": _restart,
    "help": _help,
    "submit": _submit_early,
}

_HANDLERS: dict[str, Callable[[_Turn], Step]] = {
    "not_started": _not_started,
    "in_progress": _in_progress,
    "paused": _paused,
    "confirming": _confirming,
    "restarting": _restarting,
    "submitting": _submitting,
    "submitted": _submitted,
}
