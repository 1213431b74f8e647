"""Whether an agency has completed the practitioner questionnaire, from the product's own data.

The agency's stored responses in the round's practitioner wave must reach the
board's target share of its frontline headcount for that wave (10% unless the
partnership file says otherwise), or the board must have accepted an
alternative questionnaire the agency declared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from assessments.model import Alternative

DEFAULT_TARGET = 0.10


@dataclass(frozen=True)
class QuestionnaireEvidence:
    agency: str
    responses: int
    headcount: int | None
    target: float = DEFAULT_TARGET
    alternative: Alternative | None = None
    wave: bool = True  # False when the round has no practitioner wave to count responses in

    @property
    def needed(self) -> int | None:
        """Responses needed to reach the target (None without a headcount)."""
        if not self.headcount:
            return None
        return math.ceil(self.headcount * self.target - 1e-9)

    @property
    def share(self) -> float | None:
        return self.responses / self.headcount if self.headcount else None

    @property
    def reached(self) -> bool:
        needed = self.needed
        return needed is not None and self.responses >= needed

    @property
    def alternative_accepted(self) -> bool:
        return self.alternative is not None and self.alternative.decision == "accepted"

    @property
    def met(self) -> bool:
        return self.reached or self.alternative_accepted

    @property
    def explanation(self) -> str:
        """One sentence the agency and the board can both read."""
        target = f"{self.target:.0%}"
        if not self.wave:
            counted = "no practitioner wave is linked to this round"
        elif self.headcount:
            counted = (
                f"{self.responses} responses from a frontline headcount of {self.headcount} "
                f"({self.share:.1%}; the target is {target}, {self.needed} responses)"
            )
        else:
            counted = f"{self.responses} responses, and no frontline headcount is recorded for the wave"
        if self.alternative_accepted:
            assert self.alternative is not None
            return (
                f"{counted}; the board accepted the alternative questionnaire: {self.alternative.description}"
            )
        if self.alternative is not None:
            state = "rejected" if self.alternative.decision == "rejected" else "not yet accepted by the board"
            return f"{counted}; the alternative questionnaire declared is {state}"
        return counted


def with_declared(evidence: QuestionnaireEvidence, description: str) -> QuestionnaireEvidence:
    """The evidence with the alternative an agency now declares ("" for none).

    The board's decision holds while the agency declares the same alternative;
    a different description is a new, undecided one.
    """
    if not description:
        return replace(evidence, alternative=None)
    stored = evidence.alternative
    if stored is not None and stored.description == description:
        return evidence
    return replace(evidence, alternative=Alternative(description))
