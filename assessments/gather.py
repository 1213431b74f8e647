"""What the rules and the board's view need from the database for one round (the only I/O here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.evidence import QuestionnaireEvidence
from assessments.model import Alternative, Return
from assessments.records import from_record
from storage import assessments as store
from storage.database import Database


@dataclass(frozen=True)
class RoundData:
    """A round, its submitted returns by agency, and each agency's questionnaire evidence."""

    round: store.Round
    returns: Mapping[str, Return]
    evidence: Mapping[str, QuestionnaireEvidence]


def build_evidence(
    agencies: Sequence[str],
    counts: Mapping[str, tuple[int, int | None]],
    alternatives: Mapping[str, Alternative | None],
    target: float,
    wave: bool = True,
) -> dict[str, QuestionnaireEvidence]:
    """Each agency's evidence from the wave's (responses, headcount) and its declared alternative."""
    return {
        code: QuestionnaireEvidence(code, *counts.get(code, (0, None)), target, alternatives.get(code), wave)
        for code in agencies
    }


async def evidence_for(
    db: Database, round_: store.Round, agency: str, target: float, alternative: Alternative | None
) -> QuestionnaireEvidence:
    """One agency's evidence in a round (for judging a return before it is stored)."""
    counts = await store.questionnaire_counts(db, round_.wave_id) if round_.wave_id else {}
    return build_evidence([agency], counts, {agency: alternative}, target, round_.wave_id is not None)[agency]


async def load_round(db: Database, round_: store.Round, agencies: Sequence[str], target: float) -> RoundData:
    """The round's submitted returns and every listed agency's evidence."""
    returns = {
        record.agency: from_record(record)
        for record in await store.read_returns(db, round_.id)
        if record.status == store.SUBMITTED
    }
    counts = await store.questionnaire_counts(db, round_.wave_id) if round_.wave_id else {}
    alternatives = {code: r.alternative for code, r in returns.items()}
    evidence = build_evidence(agencies, counts, alternatives, target, round_.wave_id is not None)
    return RoundData(round_, returns, evidence)
