"""The board's view of a round, built purely from the round's data: matrix, downgrades, evidence, tracker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assessments.evidence import QuestionnaireEvidence
from assessments.gather import RoundData
from assessments.model import ACTION_STATUSES, Rating, StandardSet
from assessments.rules import Judgement, judge_all

ORDER = {rating: index for index, rating in enumerate(Rating)}
DONE = ACTION_STATUSES[-1]


@dataclass(frozen=True)
class Cell:
    agency: str
    standard: str
    self_rating: Rating | None
    standing: Rating | None
    previous: Rating | None
    reasons: tuple[str, ...]

    @property
    def change(self) -> str:
        """Against the previous round's standing rating: "up", "down", "same", or "" when not comparable."""
        if self.previous is None or self.standing is None:
            return ""
        if self.standing is self.previous:
            return "same"
        return "up" if ORDER[self.standing] < ORDER[self.previous] else "down"


@dataclass(frozen=True)
class Action:
    agency: str
    standard: str
    rating: Rating | None
    actions: str
    lead: str
    due: date | None
    status: str
    overdue: bool


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    returned: bool
    submitted_on: date | None
    source: str
    evidence: QuestionnaireEvidence
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class BoardView:
    title: str
    standards: StandardSet
    returns_by: date
    analysis_on: date | None
    previous_title: str | None
    today: date
    agencies: tuple[AgencyRow, ...]
    actions: tuple[Action, ...]

    @property
    def downgrades(self) -> list[Cell]:
        return [cell for row in self.agencies for cell in row.cells if cell.reasons]

    @property
    def not_returned(self) -> list[AgencyRow]:
        return [row for row in self.agencies if not row.returned]


def _judged(standards: StandardSet, data: RoundData | None, agency: str) -> dict[str, Judgement]:
    if data is None or agency not in data.returns:
        return {}
    return judge_all(standards, data.returns[agency].entries, data.evidence[agency])


def board_view(
    standards: StandardSet,
    current: RoundData,
    previous: RoundData | None,
    previous_standards: StandardSet | None,
    agencies: Sequence[tuple[str, str]],
    today: date,
) -> BoardView:
    """Everything the board reads about a round, in the partnership's agency order (pure).

    Standing ratings are worked out here by the rules, for this round and the
    previous one alike, so a comparison never sets today's rules against old ones.
    """
    rows = []
    tracker = []
    for code, name in agencies:
        judged = _judged(standards, current, code)
        before = _judged(previous_standards or standards, previous, code)
        cells = []
        for standard in standards:
            judgement = judged.get(standard.id)
            earlier = before.get(standard.id)
            cells.append(
                Cell(
                    code,
                    standard.id,
                    judgement.self_rating if judgement else None,
                    judgement.standing if judgement else None,
                    earlier.standing if earlier else None,
                    tuple(d.reason for d in judgement.downgrades) if judgement else (),
                )
            )
        returned = current.returns.get(code)
        if returned is not None:
            for entry in returned.entries:
                if entry.actions.strip():
                    overdue = entry.due is not None and entry.due < today and entry.status != DONE
                    standing = judged[entry.standard].standing if entry.standard in judged else None
                    tracker.append(
                        Action(
                            code,
                            entry.standard,
                            standing,
                            entry.actions,
                            entry.lead,
                            entry.due,
                            entry.status,
                            overdue,
                        )
                    )
        rows.append(
            AgencyRow(
                code,
                name,
                returned is not None,
                returned.submitted_on if returned else None,
                returned.source if returned else "",
                current.evidence[code],
                tuple(cells),
            )
        )
    tracker.sort(key=lambda a: (not a.overdue, a.status == DONE, a.due or date.max, a.agency, a.standard))
    return BoardView(
        current.round.title,
        standards,
        current.round.returns_by,
        current.round.analysis_on,
        previous.round.title if previous else None,
        today,
        tuple(rows),
        tuple(tracker),
    )
