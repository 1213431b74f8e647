"""Coding free text into themes from codebooks the board can edit (analysis/codebooks/*.yaml).

A codebook lists themes, each with weighted keywords: phrases of words where
a trailing ``*`` matches any ending ("supervis*" matches supervision and
supervisor). A text scores the weights of the distinct keywords it contains;
a theme is given when its score reaches the codebook's ``threshold`` and is
at least ``relative`` of the best theme's score. Single-category codebooks
(impact questions) give only the best theme. When nothing reaches the
threshold the text gets the codebook's ``fallback`` theme: with confidence 0
("uncoded" in the review list) unless the fallback's own keywords ("none",
"nothing to add") say it is meant to be empty.

Confidence is score / (score + threshold): 0.5 at the threshold, rising
towards 1 as more evidence agrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml

CODEBOOK_DIR = Path(__file__).resolve().parent / "codebooks"
_WORD = re.compile(r"[a-z0-9]+")
_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def _stem(word: str) -> str:
    """Fold plurals so "caseloads" matches "caseload"; deliberately no more than that."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """Lower-case word stems of a text; apostrophes join ("don't" -> "dont")."""
    folded = text.lower().replace("’", "'").replace("'", "")
    return tuple(_stem(w) for w in _WORD.findall(folded))


@dataclass(frozen=True)
class Keyword:
    """A phrase as word stems; a stem ending in ``*`` is a prefix."""

    text: str
    parts: tuple[str, ...]
    weight: float

    def matches_at(self, stems: Sequence[str], start: int) -> bool:
        if start + len(self.parts) > len(stems):
            return False
        return all(
            stems[start + k].startswith(p[:-1]) if p.endswith("*") else stems[start + k] == p
            for k, p in enumerate(self.parts)
        )


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    covers: str
    keywords: tuple[Keyword, ...]


@dataclass(frozen=True)
class Coded:
    """The themes of one text, best first, and how sure the coder is (0 = uncoded)."""

    themes: tuple[str, ...]
    confidence: float
    overridden: bool = False


@dataclass(frozen=True)
class Codebook:
    id: str
    title: str
    item: str
    themes: tuple[Theme, ...]
    fallback: str
    threshold: float
    relative: float
    single: bool

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def label(self, theme_id: str) -> str:
        return next((t.label for t in self.themes if t.id == theme_id), theme_id)

    @cached_property
    def _index(self) -> tuple[dict[str, list[tuple[str, Keyword]]], dict[str, list[tuple[str, Keyword]]]]:
        """Keywords by their first word: exact words, and prefixes (a first word ending in ``*``)."""
        exact: dict[str, list[tuple[str, Keyword]]] = {}
        prefix: dict[str, list[tuple[str, Keyword]]] = {}
        for theme in self.themes:
            for keyword in theme.keywords:
                first = keyword.parts[0]
                index, key = (prefix, first[:-1]) if first.endswith("*") else (exact, first)
                index.setdefault(key, []).append((theme.id, keyword))
        return exact, prefix

    def scores(self, text: str) -> dict[str, float]:
        """Each theme's score for the text (sum of the weights of its distinct keywords present)."""
        stems = words(text)
        exact, prefix = self._index
        found: dict[int, tuple[str, Keyword]] = {}
        for start, stem in enumerate(stems):
            candidates = list(exact.get(stem, ()))
            for end in range(1, len(stem) + 1):
                candidates.extend(prefix.get(stem[:end], ()))
            for theme_id, keyword in candidates:
                if id(keyword) not in found and keyword.matches_at(stems, start):
                    found[id(keyword)] = (theme_id, keyword)
        scores = dict.fromkeys(self.theme_ids, 0.0)
        for theme_id, keyword in found.values():
            scores[theme_id] += keyword.weight
        return scores

    def code(self, text: str) -> Coded:
        """The themes of one text (see the module docstring for the rule)."""
        scores = self.scores(text)
        # In a multi-theme codebook the fallback ("other") means "none of the
        # rest", so it never joins another theme; in a single-category one it
        # is a real category and competes like any other.
        fallback_score = scores.get(self.fallback, 0.0) if self.single else scores.pop(self.fallback, 0.0)
        best = max(scores.values(), default=0.0)
        if best < self.threshold:
            sure = (
                fallback_score / (fallback_score + self.threshold)
                if fallback_score >= self.threshold
                else 0.0
            )
            return Coded((self.fallback,), round(sure, 3))
        ranked = sorted(
            (tid for tid, s in scores.items() if s >= self.threshold and s >= self.relative * best),
            key=lambda tid: -scores[tid],
        )
        chosen = ranked[:1] if self.single else ranked
        weakest = scores[chosen[-1]]
        return Coded(tuple(chosen), round(weakest / (weakest + self.threshold), 3))


def _keyword(raw: str, weight: object, where: str, line: int | None) -> Keyword:
    parts = tuple(
        _stem(p[:-1]) + "*" if p.endswith("*") else _stem(p)
        for p in (w.lower().replace("'", "") for w in raw.split())
        for p in [re.sub(r"[^a-z0-9*]", "", p)]
        if p
    )
    if not parts or not isinstance(weight, int | float) or weight <= 0:
        raise ContentError(where, line, f"keyword '{raw}' needs some words and a positive weight")
    return Keyword(raw, parts, float(weight))


def load_codebook(name: str, directory: Path = CODEBOOK_DIR) -> Codebook:
    """Load and check one codebook; ContentError names file and line."""
    path = directory / f"{name}.yaml"
    where = str(path)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml")))
        raise ContentError(where, None, f"no codebook '{name}' (known: {known})")
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise ContentError(where, 1, "expected a mapping with a 'themes' list")
    themes = []
    for row in data["themes"]:
        theme_id = str(row.get("id", ""))
        if not _ID.match(theme_id):
            raise ContentError(where, line_of(row), f"theme id '{theme_id}' should be lower-case-hyphenated")
        keywords = row.get("keywords") or {}
        if not isinstance(keywords, dict):
            raise ContentError(where, line_of(row), f"keywords of '{theme_id}' should map phrase: weight")
        themes.append(
            Theme(
                theme_id,
                str(row.get("label") or theme_id),
                str(row.get("covers") or ""),
                tuple(
                    _keyword(str(k), v, where, line_of(keywords))
                    for k, v in keywords.items()
                    if k != "__line__"
                ),
            )
        )
    ids = [t.id for t in themes]
    if len(set(ids)) != len(ids):
        raise ContentError(where, line_of(data), "a theme id appears twice")
    fallback = str(data.get("fallback") or "other")
    if fallback not in ids:
        raise ContentError(where, line_of(data), f"fallback '{fallback}' is not one of the themes")
    return Codebook(
        id=str(data.get("id") or name),
        title=str(data.get("title") or name),
        item=str(data.get("item") or name),
        themes=tuple(themes),
        fallback=fallback,
        threshold=float(data.get("threshold", 2)),
        relative=float(data.get("relative", 0.0)),
        single=bool(data.get("single", False)),
    )


def codebook_names(directory: Path = CODEBOOK_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def code_texts(
    codebook: Codebook, texts: Iterable[str], overrides: Mapping[str, tuple[str, ...]] | None = None
) -> list[Coded]:
    """Code many texts; an analyst's override (keyed by :func:`override_key`) wins."""
    overrides = overrides or {}
    out = []
    for text in texts:
        chosen = overrides.get(override_key(text))
        out.append(Coded(chosen, 1.0, overridden=True) if chosen else codebook.code(text))
    return out


def override_key(text: str) -> str:
    """Overrides are keyed by the text's words, so spacing and case do not matter."""
    return " ".join(words(text))


def code_column(
    texts: pd.Series, codebook: Codebook, overrides: Mapping[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """Code a column of free text (NA = not answered) into one boolean column per theme.

    Returns a frame on the same index: a nullable boolean per theme id (NA
    where there was no text), ``confidence``, ``overridden`` and ``answer``
    (the same number for identical texts, -1 for none). Identical texts are
    coded once.
    """
    which, unique = pd.factorize(texts, use_na_sentinel=True)
    answered = which >= 0
    coded = code_texts(codebook, [str(t) for t in unique], overrides)
    ids = codebook.theme_ids
    # one row per distinct text plus a last all-false row that unanswered rows (-1) pick up
    hits = np.zeros((len(unique) + 1, len(ids)), bool)
    for row, c in enumerate(coded):
        hits[row, [ids.index(tid) for tid in c.themes]] = True
    per_row = hits[which]
    out: dict[str, object] = {
        tid: pd.arrays.BooleanArray(per_row[:, col], ~answered) for col, tid in enumerate(ids)
    }
    out["confidence"] = np.append([c.confidence for c in coded], np.nan)[which]
    out["overridden"] = np.append(np.array([c.overridden for c in coded], dtype=bool), False)[which]
    out["answer"] = which
    return pd.DataFrame(out, index=texts.index)
