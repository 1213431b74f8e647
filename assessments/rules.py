"""The BRAG rules, enforced and explained: which rating stands, and why, and what is refused.

``judge`` keeps the agency's own rating and works out the rating that stands,
with every downgrade and its reason, in this order:

1. Blue needs every element of the standard evidenced (each checklist point
   addressed in "how met") and questionnaire evidence (see
   ``assessments.evidence``). Failing either, Blue becomes Green, with every
   unmet condition in the reason. Green, not lower: the standard is met, only
   the evidence for "fully met" is missing; rule 2 can still take it lower.
2. Blue or Green becomes Amber when "how met" or "impact" is empty or addresses
   none of the standard's checklist points ("impact" may also use the set's
   outcome words).

``refusals`` is what stops a return being submitted: a standard without a
rating, and an Amber or Red (the agency's own, or the one that would stand
after the rules) without an action, a lead and a timescale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assessments.evidence import QuestionnaireEvidence
from assessments.model import NEEDS_ACTIONS, Entry, Rating, Standard, StandardSet


@dataclass(frozen=True)
class Downgrade:
    """One step down, from ``before`` to ``after``, with the reason shown to the agency and the board."""

    rule: str
    before: Rating
    after: Rating
    reason: str


@dataclass(frozen=True)
class Judgement:
    """The agency's own rating beside the one that stands after the rules."""

    standard: str
    self_rating: Rating | None
    standing: Rating | None
    downgrades: tuple[Downgrade, ...]

    @property
    def downgraded(self) -> bool:
        return bool(self.downgrades)


@dataclass(frozen=True)
class Refusal:
    """Why a return cannot be submitted yet: which standard, which field, what to do."""

    standard: str
    field: str
    message: str


def _unaddressed(standard: Standard, text: str) -> list[str]:
    return [point.id for point in standard.checklist if not point.addressed_by(text)]


def _section_problem(
    standard: Standard, text: str, label: str, extra: StandardSet | None = None
) -> str | None:
    """Why a follow-up section does not support Green, or None when it does."""
    if not text.strip():
        return f'"{label}" is empty'
    points = standard.checklist + (extra.impact_cues if extra is not None else ())
    if not any(point.addressed_by(text) for point in points):
        ids = ", ".join(point.id for point in standard.checklist)
        return f'"{label}" does not address any point of the checklist ({ids})'
    return None


def judge(standards: StandardSet, entry: Entry, evidence: QuestionnaireEvidence) -> Judgement:
    """The rating that stands for one standard, with every downgrade and its reason (pure)."""
    standard = standards.standard(entry.standard)
    own = entry.rating
    rating = own
    downgrades: list[Downgrade] = []

    def step(rule: str, to: Rating, reason: str) -> None:
        nonlocal rating
        assert rating is not None
        downgrades.append(Downgrade(rule, rating, to, reason))
        rating = to

    if rating is Rating.BLUE:
        missing = _unaddressed(standard, entry.how_met)
        short = []
        if missing:
            short.append(
                f'Blue needs every element evidenced; "how met" does not address {", ".join(missing)}'
            )
        if not evidence.met:
            short.append(f"Blue needs questionnaire evidence: {evidence.explanation}")
        if short:
            step("blue", Rating.GREEN, "; and ".join(short))
    if rating in (Rating.BLUE, Rating.GREEN):
        problems = [
            problem
            for problem in (
                _section_problem(standard, entry.how_met, "how met"),
                _section_problem(standard, entry.impact, "impact", standards),
            )
            if problem
        ]
        if problems:
            step("sections", Rating.AMBER, f"{rating.label} needs both sections: {'; '.join(problems)}")
    return Judgement(standard.id, own, rating, tuple(downgrades))


def judge_all(
    standards: StandardSet, entries: Iterable[Entry], evidence: QuestionnaireEvidence
) -> dict[str, Judgement]:
    """Every standard's judgement by standard id (standards without an entry are judged unrated)."""
    given = {entry.standard: entry for entry in entries}
    return {
        standard.id: judge(standards, given.get(standard.id, Entry(standard.id)), evidence)
        for standard in standards
    }


def refusals(
    standards: StandardSet, entries: Iterable[Entry], evidence: QuestionnaireEvidence
) -> list[Refusal]:
    """Everything that stops this return being submitted, in standard order (empty: it can go)."""
    given = {entry.standard: entry for entry in entries}
    found: list[Refusal] = []
    for standard in standards:
        entry = given.get(standard.id, Entry(standard.id))
        if entry.rating is None:
            found.append(
                Refusal(standard.id, "rating", f"{standard.id}: choose a rating (Blue, Green, Amber or Red)")
            )
            continue
        judgement = judge(standards, entry, evidence)
        if judgement.standing in NEEDS_ACTIONS and not entry.has_action:
            missing = [
                name
                for name, present in (
                    ("the actions", entry.actions.strip()),
                    ("a lead", entry.lead.strip()),
                    ("a timescale", entry.due),
                )
                if not present
            ]
            why = judgement.standing.label
            if judgement.standing is not entry.rating:
                why += f" (rated {entry.rating.label}; {judgement.downgrades[-1].reason})"
            field = "actions" if not entry.actions.strip() else ("lead" if not entry.lead.strip() else "due")
            found.append(
                Refusal(
                    standard.id,
                    field,
                    f"{standard.id}: {why} needs actions to raise it to Green or Blue, with a lead and a "
                    f"timescale; add {_listed(missing)}",
                )
            )
    return found


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
