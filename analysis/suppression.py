"""Small-group suppression: one rule, applied to every figure of every output, with its reason.

Primary ("too few"): a figure whose base (the responses it rests on) is
between 1 and ``min_group_size - 1`` is hidden. Complementary ("cover"):
agencies' figures add up to the partnership's, so a lone hidden agency could
be recovered by subtraction; whenever a row has hidden agencies, the next
smallest are hidden too until at least two are hidden and together they rest
on at least ``min_group_size`` responses (so even their combined remainder is
not a small group). A base of 0 is "no responses": nothing to hide, no cover
given.

An agency hidden at the level of its responses (too few responses, or
hidden as cover for another agency) is hidden in every table, whatever an
item's base: otherwise its own per-item figures would reveal what its
response count hides. ``forced`` carries that agency-level decision into each
row before the rule runs, so the cover is worked out with it.
"""

from __future__ import annotations

import numpy as np

SHOWN = 0
TOO_FEW = 1
COVER = 2

#: Why a figure is hidden, as the outputs say it ({n} is MIN_GROUP_SIZE).
REASONS = {
    TOO_FEW: "too few responses (fewer than {n})",
    COVER: "hidden so that another small group's figures cannot be worked out by subtraction",
}
REASON_KEYS = {SHOWN: "", TOO_FEW: "too_few", COVER: "cover"}


def suppression_reasons(
    bases: np.ndarray, min_group_size: int, forced: np.ndarray | None = None
) -> np.ndarray:
    """Reason codes (SHOWN, TOO_FEW or COVER), same shape as ``bases`` (rows of per-agency bases).

    ``forced`` (same trailing shape, broadcast over rows) holds reasons decided
    beforehand, e.g. for agencies hidden at the response level; they are kept
    and counted as hidden when the cover is worked out.
    """
    given = np.asarray(bases, dtype=np.int64)
    bases = np.atleast_2d(given)
    reasons = np.where((bases > 0) & (bases < min_group_size), TOO_FEW, SHOWN)
    if forced is not None:
        forced = np.broadcast_to(np.asarray(forced, dtype=np.int64), bases.shape)
        reasons = np.where(forced != SHOWN, forced, reasons)
    for row in np.flatnonzero((reasons != SHOWN).any(axis=1)):
        base, reason = bases[row], reasons[row]
        while (reason != SHOWN).sum() < 2 or base[reason != SHOWN].sum() < min_group_size:
            cover = np.flatnonzero((reason == SHOWN) & (base > 0))
            if cover.size == 0:
                break
            reason[cover[np.argmin(base[cover])]] = COVER
    return reasons.reshape(given.shape)


def suppressed_groups(bases: np.ndarray, min_group_size: int) -> np.ndarray:
    """Boolean mask, same shape as ``bases`` (rows of per-agency bases), of figures to hide."""
    hidden: np.ndarray = suppression_reasons(bases, min_group_size) != SHOWN
    return hidden


def suppressed_total(total: np.ndarray, min_group_size: int) -> np.ndarray:
    """Mask for partnership-wide figures: hidden when the whole partnership is a small group."""
    total = np.asarray(total, dtype=np.int64)
    return (total > 0) & (total < min_group_size)


def reason_text(reason: str, min_group_size: int) -> str:
    """The words an output shows for a reason key ("too_few", "cover"; "" shows nothing)."""
    codes = {key: code for code, key in REASON_KEYS.items()}
    return REASONS[codes[reason]].format(n=min_group_size) if reason else ""
