"""Charts show every figure they draw whole: nothing cut off at the edge, no two labels on top of each other.

Regression: on a 2,000-response wave the agreement chart showed "n=200" (the
last digit of n=2000 fell off the figure) and wrote three- and four-digit
counts over each other ("264387" for 264 and 387).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.text import Text

from analysis.plots import plot_agree_scale
from analysis.reports import _figure

AGREE = ("Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree")


def _distributions(counts: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for item, values in counts.items():
        base = sum(values)
        rows.extend(
            {
                "group": "ALL",
                "item": item,
                "label": label,
                "count": count,
                "percent": 100 * count / base,
                "base": base,
                "suppressed": False,
                "reason": "",
            }
            for label, count in zip(AGREE, values, strict=True)
        )
    return pd.DataFrame(rows)


def test_agreement_chart_labels_fit_the_figure_and_do_not_overlap():
    counts = {"a": [684, 387, 264, 120, 545], "b": [757, 503, 397, 200, 143], "c": [9, 4, 3, 2, 1]}
    figure = _figure(len(counts), 0.85, 1.5, below=1.3)
    plot_agree_scale(figure.add_subplot(), _distributions(counts), [(k, k) for k in counts], "ALL", {})
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    edge = figure.bbox
    texts = [t for t in figure.axes[0].texts if isinstance(t, Text) and t.get_text()]
    assert "n=2000" in {t.get_text() for t in texts}
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for text, box in boxes:
        assert edge.x0 <= box.x0, f"{text} is cut off on the left"
        assert box.x1 <= edge.x1, f"{text} is cut off on the right"
    for n, (first, a) in enumerate(boxes):
        for second, b in boxes[n + 1 :]:
            assert not a.overlaps(b), f"{first} and {second} overlap"
