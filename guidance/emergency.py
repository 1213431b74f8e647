"""Is someone in danger now? Checked before anything else, in or out of the survey.

A list of known phrasings only catches the emergencies someone already
thought of, so the rules in ``guidance/data/emergency.yaml`` are two-factor
and broad instead:

- ``alone``: signs that are an emergency on their own (not breathing,
  stabbed, a ligature, an intruder, a child afraid to go home, a young or
  vulnerable person missing in the dark...);
- ``harm`` and ``now``: any word of violence, weapons, injury, self-harm,
  confinement, pursuit or fear, together with any sign that it is happening
  now or is about to (now, just, tonight, a present-tense verb, a threat,
  someone outside, a plea for help...), anywhere in the message;
- ``dampers``: a clause that is plainly about the past, a hypothetical, a
  procedure or training is set aside, unless ``strong_now`` says that clause
  is about right now after all; ``firm_dampers`` (a training scenario, "she
  is safe now" with no "but") set a clause aside whatever else it says.

Every message is cut into clauses so that "how do I update my training
record? also she's taking her pills tonight" is still an emergency. The rules
err towards flagging: telling someone to call 999 when it was not needed costs
a line of text; missing a real emergency is the worst failure this product
can have. Wordlists and patterns are data; this module only combines them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.schema import parse
from common.yamlfile import load_yaml
from guidance.cues import (
    CueGroup,
    Groups,
    Pattern,
    RewriteFields,
    Rewriter,
    TypoFields,
    TypoMender,
    cue_groups,
)

EMERGENCY_FILE = Path(__file__).resolve().parent / "data" / "emergency.yaml"


@dataclass(frozen=True)
class EmergencyRules:
    rewriter: Rewriter
    mender: TypoMender
    clause_break: re.Pattern[str]
    alone: tuple[CueGroup, ...]
    harm: tuple[CueGroup, ...]
    now: tuple[CueGroup, ...]
    strong_now: tuple[CueGroup, ...]
    dampers: tuple[CueGroup, ...]
    firm_dampers: tuple[CueGroup, ...]

    def live_text(self, text: str) -> str:
        """The message, normalised, without the clauses that are plainly not about now."""
        prepared = self.mender.mend(self.rewriter.prepare(text))
        cuts = [0, *(i for m in self.clause_break.finditer(prepared) for i in m.span()), len(prepared)]
        clauses = (prepared[a:b].strip() for a, b in zip(cuts[::2], cuts[1::2], strict=True))
        return " | ".join(c for c in clauses if c and not self._set_aside(c))

    def _set_aside(self, clause: str) -> bool:
        if any(g.matches(clause) for g in self.firm_dampers):
            return True
        if not any(g.matches(clause) for g in self.dampers):
            return False
        return not any(g.matches(clause) for g in self.strong_now)

    def signs(self, text: str) -> Iterator[str]:
        """Names of the danger signs found, lazily: ``alone`` groups, then ``harm`` groups when
        something says now. Lazy so that ``detect`` can stop at the first sign."""
        live = self.live_text(text)
        if not live:
            return
        yield from (g.name for g in self.alone if g.matches(live))
        harm = [g.name for g in self.harm if g.matches(live)]
        if harm and any(g.matches(live) for g in (*self.strong_now, *self.now)):
            yield from (f"{name} (now)" for name in harm)


class _EmergencyFile(RewriteFields, TypoFields):
    """The emergency rules file as declared: the cue groups of each role, and how clauses are cut."""

    clause_break: Pattern
    alone: Groups
    harm: Groups
    now: Groups
    strong_now: Groups
    dampers: Groups
    firm_dampers: Groups


def load_emergency_rules(path: Path) -> EmergencyRules:
    """Read and check the emergency rules; ContentError names file and line on any problem."""
    data = parse(_EmergencyFile, load_yaml(path), str(path))
    return EmergencyRules(
        rewriter=data.rewriter(),
        mender=data.mender(),
        clause_break=data.clause_break,
        alone=cue_groups(data.alone),
        harm=cue_groups(data.harm),
        now=cue_groups(data.now),
        strong_now=cue_groups(data.strong_now),
        dampers=cue_groups(data.dampers),
        firm_dampers=cue_groups(data.firm_dampers),
    )


@cache
def emergency_cues(path: Path = EMERGENCY_FILE) -> EmergencyRules:
    """The emergency rules, read and checked once per process (at start-up by the knowledge base)."""
    return load_emergency_rules(path)


def cues(text: str) -> list[str]:
    """Names of the danger signs ``text`` shows (empty when none): for evaluation and logs."""
    return list(emergency_cues().signs(text))


def mentions_harm(text: str) -> bool:
    """True when ``text`` mentions harm at all, now or not, past or hypothetical.

    Far broader than ``detect``: answers to such messages open with a one-line
    999 reminder, a backstop for dangers whose wording the rules do not know.
    """
    rules = emergency_cues()
    prepared = rules.mender.mend(rules.rewriter.prepare(text))
    return any(group.matches(prepared) for group in (*rules.alone, *rules.harm))


def detect(text: str) -> bool:
    """True when ``text`` suggests someone may be in danger right now."""
    return next(emergency_cues().signs(text), None) is not None
