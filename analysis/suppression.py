"""Small-group suppression, primary and complementary.

Primary: a figure whose base (the responses it rests on) is between 1 and
``min_group_size - 1`` is suppressed. Complementary: agencies' figures add up
to the partnership's, so a lone suppressed agency could be recovered by
subtraction; whenever a row has suppressed agencies, the next smallest are
suppressed too until at least two are hidden and together they rest on at
least ``min_group_size`` responses (so even their combined remainder is not a
small group). A base of 0 is "no responses": nothing to hide, no cover given.
"""

from __future__ import annotations

import numpy as np


def suppressed_groups(bases: np.ndarray, min_group_size: int) -> np.ndarray:
    """Boolean mask, same shape as ``bases`` (rows of per-agency bases), of figures to hide."""
    given = np.asarray(bases, dtype=np.int64)
    bases = np.atleast_2d(given)
    mask = (bases > 0) & (bases < min_group_size)
    for row in np.flatnonzero(mask.any(axis=1)):
        base, hidden = bases[row], mask[row]
        while hidden.sum() < 2 or base[hidden].sum() < min_group_size:
            cover = np.flatnonzero(~hidden & (base > 0))
            if cover.size == 0:
                break
            hidden[cover[np.argmin(base[cover])]] = True
    return mask.reshape(given.shape)


def suppressed_total(total: np.ndarray, min_group_size: int) -> np.ndarray:
    """Mask for partnership-wide figures: hidden when the whole partnership is a small group."""
    total = np.asarray(total, dtype=np.int64)
    return (total > 0) & (total < min_group_size)
