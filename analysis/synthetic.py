"""Realistic synthetic responses for demos and benchmarks, straight into the tidy frame (vectorised).

Every answer comes from the definition: each agency has its own leaning
(some are more positive, some use the tools more, some answer free text more
often), choice items are cut from a latent score so answers to one person's
items hang together a little, conditions are respected (an item whose
condition fails is left empty, as the engine would), "None of these" excludes
the other tools, and free text is composed from a phrase bank
(analysis/data/demo_phrases.yaml) with per-agency theme preferences.

Demo data repeats its phrases a great deal (a few thousand distinct answers in
a million). For benchmarks ``free_text="realistic"`` words answers as people
do: a share (``SHORT_SHARE``) are the same few short words ("none", "n/a",
"more training", commonest first), the rest are one or two phrases with a
detail, a joiner and now and then a slipped letter, redrawn until no two are
the same; ``free_text="distinct"`` makes every answer different.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.frame import analysed_items, choice_values, multi_column
from common.yamlfile import load_yaml, strip_lines
from surveys.model import Definition, Item

PHRASES_FILE = Path(__file__).resolve().parent / "data" / "demo_phrases.yaml"
FREE_TEXT = ("phrases", "realistic", "distinct")
SHORT_SHARE = 0.15  # answers that are one of the common short answers, in "realistic" free text
TYPO_SHARE = 0.2  # composed answers with two neighbouring letters swapped


def _shown(frame: dict[str, object], item: Item, size: int) -> np.ndarray:
    if item.when is None:
        return np.ones(size, bool)
    earlier = frame.get(item.when.item)
    if earlier is None:
        return np.ones(size, bool)
    hit = pd.Series(earlier).isin(item.when.values).to_numpy()
    shown: np.ndarray = ~hit if item.when.negate else hit
    return shown


def _ordered(rng: np.random.Generator, latent: np.ndarray, k: int, skew: float) -> np.ndarray:
    """Cut a latent score into k ordered codes; earlier codes (e.g. "Strongly agree") more likely."""
    cuts = np.linspace(-1.2, 1.2, k - 1) + skew
    return np.searchsorted(cuts, latent + rng.normal(0, 1, latent.size))


def _texts(
    rng: np.random.Generator, size: int, bank: Mapping[str, Any], themes: list[str], weights: np.ndarray
) -> np.ndarray:
    openers = np.array(bank["openers"], dtype=object)
    closers = np.array(bank["closers"], dtype=object)
    # one theme per answer, drawn from that row's agency's theme weights
    theme_of = (rng.uniform(size=(size, 1)) > np.cumsum(weights, axis=1)).sum(axis=1)
    out = np.empty(size, dtype=object)
    for index, theme in enumerate(themes):
        rows = np.flatnonzero(theme_of == index)
        phrases = np.array(bank["one_change"][theme], dtype=object)
        out[rows] = (
            openers[rng.integers(0, len(openers), rows.size)]
            + phrases[rng.integers(0, len(phrases), rows.size)]
            + closers[rng.integers(0, len(closers), rows.size)]
        )
    return out


def _slip(rng: np.random.Generator, texts: np.ndarray) -> np.ndarray:
    """Swap two neighbouring letters in some of the texts, as thumbs on a phone do."""
    out = texts.copy()
    for n in np.flatnonzero(rng.uniform(size=texts.size) < TYPO_SHARE):
        text = out[n]
        if len(text) > 3:
            at = int(rng.integers(1, len(text) - 2))
            out[n] = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    return out


def _varied(
    rng: np.random.Generator,
    size: int,
    bank: Mapping[str, Any],
    themes: list[str],
    weights: np.ndarray,
    short: float,
) -> np.ndarray:
    """Answers worded as people word them (see the module docstring): ``short`` of them common
    short answers, the rest composed and redrawn until no two composed answers are the same."""
    common = np.array(bank["short_answers"], dtype=object)
    zipf = 1.0 / np.arange(1, len(common) + 1)
    is_short = rng.uniform(size=size) < short
    out = np.empty(size, dtype=object)
    out[is_short] = common[rng.choice(len(common), is_short.sum(), p=zipf / zipf.sum())]
    joiners = np.array(bank["joiners"], dtype=object)
    details = np.array(bank["details"], dtype=object)
    todo = np.flatnonzero(~is_short)
    for _ in range(20):  # a few rounds make a million composed answers distinct
        first = _texts(rng, todo.size, bank, themes, weights[todo])
        second = _texts(rng, todo.size, bank, themes, weights[todo])
        both = rng.uniform(size=todo.size) < 0.5
        composed = first + details[rng.integers(0, len(details), todo.size)]
        composed[both] = composed[both] + joiners[rng.integers(0, len(joiners), both.sum())] + second[both]
        out[todo] = _slip(rng, composed)
        clash = pd.Series(out[~is_short]).duplicated().to_numpy() | pd.Series(out[~is_short]).isin(common)
        todo = np.flatnonzero(~is_short)[clash]
        if not todo.size:
            break
    return out


def generate(
    definition: Definition,
    agencies: Sequence[tuple[str, int | None]],
    size: int,
    *,
    wave: int,
    months: Sequence[str],
    seed: int = 1,
    free_text: str = "phrases",
) -> pd.DataFrame:
    """``size`` synthetic responses as a tidy frame (see analysis.frame), reproducible by ``seed``;
    ``free_text`` is one of FREE_TEXT (see the module docstring)."""
    if free_text not in FREE_TEXT:
        raise ValueError(f"free_text should be one of {', '.join(FREE_TEXT)}, not {free_text!r}")
    rng = np.random.default_rng(seed)
    bank = strip_lines(load_yaml(PHRASES_FILE))
    codes = [code for code, _ in agencies]
    weight = np.array([float(h or 40) for _, h in agencies])
    agency = rng.choice(len(codes), size=size, p=weight / weight.sum())
    leaning = rng.normal(0, 0.45, len(codes))[agency]  # per-agency positivity
    latent = rng.normal(0, 0.6, size) + leaning  # per-person positivity, shared across items
    tool_use = rng.uniform(0.1, 0.5, len(codes))[agency]
    talkative = rng.uniform(0.3, 0.7, len(codes))[agency]
    themes = list(bank["one_change"])
    theme_weights = rng.dirichlet(np.full(len(themes), 2.0), len(codes))

    columns: dict[str, object] = {
        "response_id": [f"demo-{seed}-{n}" for n in range(size)],
        "wave": np.full(size, wave, dtype=np.int64),
        "agency": pd.Categorical.from_codes(agency, categories=codes, ordered=True),
        "submitted_month": np.array(months, dtype=object)[rng.integers(0, len(months), size)],
    }
    plain: dict[str, object] = {}
    for item in analysed_items(definition):
        shown = _shown(plain, item, size)
        if item.type in {"single", "likert"}:
            values = choice_values(item, codes)
            skew = 0.9 if item.type == "likert" else rng.uniform(-0.5, 0.8)
            code = _ordered(rng, -latent, len(values), skew)
            code[~shown] = -1
            column = pd.Categorical.from_codes(code, categories=values, ordered=True)
            columns[item.id] = column
            plain[item.id] = column
        elif item.type == "rating":
            low, high = (item.scale.minimum, item.scale.maximum) if item.scale else (1, 5)
            value = (high - _ordered(rng, -latent, high - low + 1, 0.3)).astype(object)
            value[~shown] = None
            columns[item.id] = pd.array(value, dtype="Int64")
        elif item.type == "multi":
            values = choice_values(item, codes)
            exclusive = [c.exclusive for c in item.choices]
            chosen = rng.uniform(size=(size, len(values))) < tool_use[:, None]
            for k, only in enumerate(exclusive):
                if only:
                    others = np.delete(chosen, k, axis=1).any(axis=1)
                    chosen[:, k] = ~others
            for k, choice in enumerate(values):
                columns[multi_column(item.id, choice)] = pd.arrays.BooleanArray(chosen[:, k], ~shown)
        elif item.type == "text":
            answered = shown & (rng.uniform(size=size) < (talkative if item.id == "one_change" else 0.15))
            text = np.full(size, None, dtype=object)
            if isinstance(bank.get(item.id), list):
                pool = np.array(bank[item.id], dtype=object)
                text[answered] = pool[rng.integers(0, len(pool), answered.sum())]
            elif free_text == "phrases":
                rows = np.flatnonzero(answered)
                text[rows] = _texts(rng, rows.size, bank, themes, theme_weights[agency[rows]])
            else:
                rows = np.flatnonzero(answered)
                short = SHORT_SHARE if free_text == "realistic" else 0.0
                text[rows] = _varied(rng, rows.size, bank, themes, theme_weights[agency[rows]], short)
            columns[item.id] = pd.array(text, dtype="str")
    return pd.DataFrame(columns)
