"""An agency lead's self-assessment in chat, one standard at a time: a pure step function.

``advance(standards, progress, said, evidence)`` takes what was pressed (a
card's data merged with its inputs) and returns the new progress and what to
show next, with no I/O and no clock. Progress is a small frozen dataclass
that serialises to plain JSON, kept by the bot layer per person, so a lead
can pause (or simply stop) and resume where they were.

What a card sends (``op`` says which button):
``rate``    the standard's inputs and the rating pressed; saved, then the next standard
``back``    the previous standard (inputs kept)
``goto``    a named standard (from the review)
``pause``   keep everything and stop for now
``review``  the summary of every standard with the rating that would stand
``submit``  the return, unless the rules refuse it (then what to fix)
Every op names the standard its card was for, so a repeated delivery of one
press saves the same thing twice rather than saving it over the next standard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from assessments.evidence import QuestionnaireEvidence, with_declared
from assessments.model import Alternative, Entry, Rating, Return, Standard, StandardSet
from assessments.rules import Judgement, Refusal, judge, refusals
from assessments.screening import screen, storable

IN_PROGRESS = "in_progress"
PAUSED = "paused"
REVIEWING = "reviewing"
SUBMITTED = "submitted"


@dataclass(frozen=True)
class Progress:
    """Where a lead is in their agency's return: the round, the standard shown, what is filled in."""

    round_id: int
    agency: str
    index: int = 0
    status: str = IN_PROGRESS
    entries: Mapping[str, Entry] = field(default_factory=dict)
    alternative: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "round_id": self.round_id,
            "agency": self.agency,
            "index": self.index,
            "status": self.status,
            "alternative": self.alternative,
            "entries": {
                key: {
                    **asdict(entry),
                    "rating": entry.rating.value if entry.rating else None,
                    "due": entry.due.isoformat() if entry.due else None,
                }
                for key, entry in self.entries.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progress:
        entries = {
            key: Entry(
                **{
                    **value,
                    "rating": Rating(value["rating"]) if value.get("rating") else None,
                    "due": date.fromisoformat(value["due"]) if value.get("due") else None,
                }
            )
            for key, value in (data.get("entries") or {}).items()
        }
        return cls(
            int(data["round_id"]),
            str(data["agency"]),
            int(data.get("index") or 0),
            str(data.get("status") or IN_PROGRESS),
            entries,
            str(data.get("alternative") or ""),
        )


@dataclass(frozen=True)
class StandardView:
    """One standard's card: what it asks, what is filled in so far, and any note about the last press."""

    standard: Standard
    part_title: str
    number: int
    total: int
    entry: Entry
    evidence: QuestionnaireEvidence
    note: str = ""


@dataclass(frozen=True)
class ReviewView:
    """Every standard with the agency's rating and the one that would stand, and what still stops it going."""

    judgements: tuple[Judgement, ...]
    titles: Mapping[str, str]
    evidence: QuestionnaireEvidence
    alternative: str
    refused: tuple[Refusal, ...]


@dataclass(frozen=True)
class PausedView:
    answered: int
    total: int


@dataclass(frozen=True)
class SubmittedView:
    judgements: tuple[Judgement, ...]
    titles: Mapping[str, str]


View = StandardView | ReviewView | PausedView | SubmittedView


@dataclass(frozen=True)
class Step:
    progress: Progress
    view: View
    submitted: Return | None = None  # the return to store, when this step submitted it


def _entry_from(standard_id: str, said: Mapping[str, Any], before: Entry) -> tuple[Entry, str]:
    """The card's inputs as an entry (text screened), and a note when the date cannot be read."""
    due_text = storable(said.get("due"))
    note = ""
    due = before.due
    if "due" in said:
        try:
            due = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            note = f"“{due_text}” is not a date: choose one with the date picker (e.g. 2027-03-31)."

    def text(name: str, kept: str) -> str:
        """A text field as screened from the card, or as it was when the card did not send it."""
        return screen(said[name]) if name in said else kept

    lead = storable(said["lead"]) if "lead" in said else before.lead
    return replace(
        before,
        standard=standard_id,
        how_met=text("how_met", before.how_met),
        impact=text("impact", before.impact),
        actions=text("actions", before.actions),
        lead=lead,
        due=due,
    ), note


def standard_view(
    standards: StandardSet, progress: Progress, evidence: QuestionnaireEvidence, note: str = ""
) -> StandardView:
    standard = standards.standards[progress.index]
    return StandardView(
        standard,
        standards.part_of(standard).title,
        progress.index + 1,
        len(standards.standards),
        progress.entries.get(standard.id, Entry(standard.id)),
        evidence,
        note,
    )


def review_view(standards: StandardSet, progress: Progress, evidence: QuestionnaireEvidence) -> ReviewView:
    evidence = with_declared(evidence, progress.alternative)
    entries = [progress.entries.get(s.id, Entry(s.id)) for s in standards]
    judged = tuple(judge(standards, entry, evidence) for entry in entries)
    titles = {s.id: s.title for s in standards}
    return ReviewView(
        judged, titles, evidence, progress.alternative, tuple(refusals(standards, entries, evidence))
    )


def start(standards: StandardSet, progress: Progress, evidence: QuestionnaireEvidence) -> Step:
    """Begin, or resume where the lead was (a submitted return is reopened at its review)."""
    if progress.status in (REVIEWING, SUBMITTED):
        resumed = replace(progress, status=REVIEWING)
        return Step(resumed, review_view(standards, resumed, evidence))
    resumed = replace(progress, status=IN_PROGRESS)
    return Step(resumed, standard_view(standards, resumed, evidence))


def _index_of(standards: StandardSet, standard_id: object) -> int | None:
    for index, standard in enumerate(standards):
        if standard.id == standard_id:
            return index
    return None


def advance(
    standards: StandardSet,
    progress: Progress,
    said: Mapping[str, Any],
    evidence: QuestionnaireEvidence,
    today: date,
) -> Step:
    """One press of an assessment card (see the module docstring for the ops)."""
    op = str(said.get("op") or "")
    if "alternative" in said:  # typed on the review card: kept whichever of its buttons was pressed
        progress = replace(progress, alternative=screen(said["alternative"]))
    index = _index_of(standards, said.get("standard"))
    total = len(standards.standards)
    if op in ("rate", "back", "goto", "review", "pause") and index is not None:
        standard = standards.standards[index]
        entry, note = _entry_from(standard.id, said, progress.entries.get(standard.id, Entry(standard.id)))
        if op == "rate":
            rating = Rating.parse(str(said.get("rating") or ""))
            entry = replace(entry, rating=rating or entry.rating)
        entries = {**progress.entries, standard.id: entry}
        here = replace(progress, index=index, entries=entries, status=IN_PROGRESS)
        if op == "pause":
            return _pause(here, total)
        if note:
            return Step(here, standard_view(standards, here, evidence, note))
        if op == "rate":
            return _after_rating(standards, here, entry, evidence)
        if op == "back":
            moved = replace(here, index=max(index - 1, 0))
            return Step(moved, standard_view(standards, moved, evidence))
        if op == "goto":
            return Step(here, standard_view(standards, here, evidence))
        reviewing = replace(here, status=REVIEWING)
        return Step(reviewing, review_view(standards, reviewing, evidence))
    if op == "goto" and said.get("target") is not None:
        target = _index_of(standards, said.get("target"))
        if target is not None:
            moved = replace(progress, index=target, status=IN_PROGRESS)
            return Step(moved, standard_view(standards, moved, evidence))
    if op == "pause":
        return _pause(progress, total)
    if op == "submit":
        return _submit(standards, progress, said, evidence, today)
    return start(standards, progress, evidence)  # a stale or unknown press shows where the lead is


def _pause(progress: Progress, total: int) -> Step:
    paused = replace(progress, status=PAUSED)
    return Step(paused, PausedView(sum(1 for e in paused.entries.values() if e.rating), total))


def _after_rating(
    standards: StandardSet, progress: Progress, entry: Entry, evidence: QuestionnaireEvidence
) -> Step:
    """Tell the lead at once what the rules make of this rating; move on unless it cannot stand as given."""
    seen = with_declared(evidence, progress.alternative)
    judged = judge(standards, entry, seen)
    refused = [r for r in refusals(standards, [entry], seen) if r.standard == entry.standard]
    if refused:
        return Step(progress, standard_view(standards, progress, evidence, refused[0].message))
    note = ""
    if judged.downgraded and judged.standing is not None and entry.rating is not None:
        reasons = "; then ".join(d.reason for d in judged.downgrades)
        note = f"{entry.standard} will stand as {judged.standing.label}, not {entry.rating.label}: {reasons}."
    if progress.index + 1 >= len(standards.standards):
        reviewing = replace(progress, status=REVIEWING)
        view = review_view(standards, reviewing, evidence)
        return Step(reviewing, view)
    moved = replace(progress, index=progress.index + 1)
    return Step(moved, standard_view(standards, moved, evidence, note))


def _submit(
    standards: StandardSet,
    progress: Progress,
    said: Mapping[str, Any],
    evidence: QuestionnaireEvidence,
    today: date,
) -> Step:
    progress = replace(progress, status=REVIEWING)
    review = review_view(standards, progress, evidence)
    if review.refused:
        return Step(progress, review)
    returned = Return(
        progress.round_id,
        progress.agency,
        tuple(progress.entries[s.id] for s in standards),
        submitted_on=today,
        source="chat",
        alternative=Alternative(progress.alternative) if progress.alternative else None,
    )
    done = replace(progress, status=SUBMITTED)
    return Step(done, SubmittedView(review.judgements, review.titles), returned)
