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
  is about right now after all; ``firm_dampers`` ("she is safe now" with no
  "but") set a clause aside whatever else it says, ``message_dampers`` (a
  training scenario) the whole message;
- ``asking``: a message that asks what to do by way of procedure (whether to
  refer, record, share; what level it is) is a request for guidance, so a harm
  word there needs a ``strong_now`` sign: the broad ``now`` grammar (a
  present-tense verb, "there's", "will") alone is not enough.

Every message is cut into clauses so that "how do I update my training
record? also she's taking her pills tonight" is still an emergency. The rules
err towards flagging: telling someone to call 999 when it was not needed costs
a line of text; missing a real emergency is the worst failure this product
can have. Wordlists and patterns are data; this module only combines them.

Rules only know the wordings someone wrote down, so a learned model stands
beside them: a linear classifier over word and character n-grams, trained at
start-up on labelled messages (``guidance/data/emergency-danger.txt`` and
``emergency-calm.txt``: dangers now, and ordinary questions that mention
violence in the past, as a hypothetical or as procedure). A message is an
emergency when the rules say so *or* the model's score clears ``learned.threshold``
(emergency.yaml), a threshold chosen on labelled data the model was not trained
on, high enough that the model adds few false alarms. The model never overrules
the rules: it can only add an emergency they missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import Field
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from common.schema import Schema, parse
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
from guidance.linear import Block

DATA_DIR = Path(__file__).resolve().parent / "data"
EMERGENCY_FILE = DATA_DIR / "emergency.yaml"
DANGER_EXAMPLES = DATA_DIR / "emergency-danger.txt"
CALM_EXAMPLES = DATA_DIR / "emergency-calm.txt"
LEARNED_SIGN = "learned model"
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)


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
    message_dampers: tuple[CueGroup, ...] = ()
    asking: tuple[CueGroup, ...] = ()
    model: LearnedModel | None = None

    def prepare(self, text: str) -> str:
        """The message as the rules and the model see it: folded, shorthand written out, key words mended."""
        return self.mender.mend(self.rewriter.prepare(text))

    def live_text(self, text: str) -> str:
        """The message, normalised, without the clauses that are plainly not about now."""
        return self._live(self.prepare(text))

    def _live(self, prepared: str) -> str:
        if any(g.matches(prepared) for g in self.message_dampers):
            return ""
        cuts = [0, *(i for m in self.clause_break.finditer(prepared) for i in m.span()), len(prepared)]
        clauses = (prepared[a:b].strip() for a, b in zip(cuts[::2], cuts[1::2], strict=True))
        return " | ".join(c for c in clauses if c and not self._set_aside(c))

    def _set_aside(self, clause: str) -> bool:
        if any(g.matches(clause) for g in self.firm_dampers):
            return True
        if not any(g.matches(clause) for g in self.dampers):
            return False
        return not any(g.matches(clause) for g in self.strong_now)

    def _happening(self, live: str, prepared: str) -> bool:
        """Whether the live clauses read as now: a strong sign always does; the broad grammar of
        now only when the message is not asking a procedural question."""
        if any(g.matches(live) for g in self.strong_now):
            return True
        if not any(g.matches(live) for g in self.now):
            return False
        return not any(g.matches(prepared) for g in self.asking)

    def signs(self, text: str) -> Iterator[str]:
        """Names of the danger signs found, lazily: ``alone`` groups, then ``harm`` groups when
        something says now, then the learned model. Lazy so that ``detect`` can stop at the
        first sign."""
        prepared = self.prepare(text)
        if any(g.matches(prepared) for g in self.message_dampers):
            return  # an exercise: not for the rules, nor for the model
        live = self._live(prepared)
        if live:
            yield from (g.name for g in self.alone if g.matches(live))
            harm = [g.name for g in self.harm if g.matches(live)]
            if harm and self._happening(live, prepared):
                yield from (f"{name} (now)" for name in harm)
        if self.model is not None and self.model.score(prepared) > self.model.threshold:
            yield LEARNED_SIGN


@dataclass(frozen=True)
class LearnedModel:
    """The fitted classifier, applied by hand (see ``guidance.linear``): a score per message."""

    words: Block
    chars: Block
    word_weights: np.ndarray
    char_weights: np.ndarray
    bias: float
    threshold: float

    def score(self, prepared: str) -> float:
        """The classifier's decision value for a prepared message: above 0 leans to danger."""
        word_columns, word_values = self.words.vector(prepared)
        char_columns, char_values = self.chars.vector(prepared)
        value = self.bias + float(word_values @ self.word_weights[word_columns])
        return value + float(char_values @ self.char_weights[char_columns])


def train_model(danger: list[str], calm: list[str], regularisation: float, threshold: float) -> LearnedModel:
    """Fit the classifier on prepared messages: tf-idf of words and word pairs, and of character
    2-5-grams (which survive typos and word forms), with a linear support-vector classifier whose
    classes are weighted to their sizes."""
    texts = [*danger, *calm]
    labels = [1] * len(danger) + [0] * len(calm)
    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2)
    features = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    model = LinearSVC(C=regularisation, class_weight="balanced").fit(features, labels)
    width = len(words.vocabulary_)
    return LearnedModel(
        words=Block(words, words.build_analyzer()),
        chars=Block(chars, chars.build_analyzer()),
        word_weights=np.ascontiguousarray(model.coef_[0, :width]),
        char_weights=np.ascontiguousarray(model.coef_[0, width:]),
        bias=float(model.intercept_[0]),
        threshold=threshold,
    )


def read_examples(path: Path) -> list[str]:
    """One message a line; blank lines and lines starting with ``#`` are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class _Learned(Schema):
    """How the learned model is trained and when it flags (the ``learned`` section)."""

    regularisation: Annotated[float, Field(gt=0)]
    threshold: float


class _EmergencyFile(RewriteFields, TypoFields):
    """The emergency rules file as declared: the cue groups of each role, and how clauses are cut."""

    learned: _Learned
    clause_break: Pattern
    alone: Groups
    harm: Groups
    now: Groups
    strong_now: Groups
    dampers: Groups
    firm_dampers: Groups
    message_dampers: Groups | None = None
    asking: Groups | None = None


def load_emergency_rules(
    path: Path, danger: Path = DANGER_EXAMPLES, calm: Path = CALM_EXAMPLES, *, learned: bool = True
) -> EmergencyRules:
    """Read and check the emergency rules and train the model beside them (unless ``learned`` is
    False: the rules alone); ContentError names file and line on any problem."""
    data = parse(_EmergencyFile, load_yaml(path), str(path))
    rules = EmergencyRules(
        rewriter=data.rewriter(),
        mender=data.mender(),
        clause_break=data.clause_break,
        alone=cue_groups(data.alone),
        harm=cue_groups(data.harm),
        now=cue_groups(data.now),
        strong_now=cue_groups(data.strong_now),
        dampers=cue_groups(data.dampers),
        firm_dampers=cue_groups(data.firm_dampers),
        message_dampers=cue_groups(data.message_dampers or ()),
        asking=cue_groups(data.asking or ()),
    )
    if not learned:
        return rules
    model = train_model(
        [rules.prepare(t) for t in read_examples(danger)],
        [rules.prepare(t) for t in read_examples(calm)],
        data.learned.regularisation,
        data.learned.threshold,
    )
    return replace(rules, model=model)


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
    prepared = rules.prepare(text)
    return any(group.matches(prepared) for group in (*rules.alone, *rules.harm))


def detect(text: str) -> bool:
    """True when ``text`` suggests someone may be in danger right now."""
    return next(emergency_cues().signs(text), None) is not None
