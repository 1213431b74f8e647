"""The shipped standards set and entries that pass or fail each rule, for the self-assessment tests."""

from __future__ import annotations

from datetime import date

import pytest

from assessments.evidence import QuestionnaireEvidence
from assessments.loader import load_standard_sets
from assessments.model import Entry, Rating, StandardSet

SET_ID = "section11-adults-2018"
# "How met" naming every checklist point of 3a (training) and an impact with outcome words.
FULL_3A = (
    "A training needs analysis sets the level for every role; completion rate is recorded and "
    "reported quarterly; supervision includes reflective case discussion."
)
SOME_3A = "Level 3 training for all frontline staff."
IMPACT = "Audits show better, more timely referrals and improved outcomes for children."


@pytest.fixture(scope="session")
def standards() -> StandardSet:
    return load_standard_sets()[SET_ID]


def evidence(responses: int = 50, headcount: int | None = 450, **kw: object) -> QuestionnaireEvidence:
    return QuestionnaireEvidence("CSC", responses, headcount, **kw)  # type: ignore[arg-type]


MET = evidence(50, 450)  # 11.1% of 450 against 10%
NOT_MET = evidence(20, 450)  # 4.4%


def entry(rating: Rating | None, how_met: str = FULL_3A, impact: str = IMPACT, **kw: object) -> Entry:
    return Entry("3a", rating, how_met, impact, **kw)  # type: ignore[arg-type]


ACTION = {"actions": "Refresh the training plan", "lead": "Head of Safeguarding", "due": date(2027, 3, 31)}
