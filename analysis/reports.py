"""Writing a collated return: HTML and PDF from one Jinja2 template, an XLSX workbook, CSV files.

One folder per report (``<out>/<wave id>/<AGENCY or partnership>/``), the
layout the bot's ``GET /reports/...`` serves from. The words and layout live
in analysis/templates/ (HTML with autoescape, and its CSS): the same page is
written as ``report.html`` (self-contained: charts are PNG data: URIs, so it
works offline and on a phone) and printed to an A4 ``report.pdf`` by
WeasyPrint, so the two cannot drift apart. Charts are drawn once each, on
``matplotlib.figure.Figure()`` (never pyplot). The workbook and CSVs carry
the same sections as numbers (blank where suppressed).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from PIL import Image

from analysis.findings import TEST_NAME, is_headline, key_findings, league_table, versus_rest
from analysis.plots import plot_agency_vs_partnership, plot_agree_scale, plot_response_rates, plot_themes
from analysis.sections import Section, group_name, report_sections
from analysis.summaries import PARTNERSHIP, TARGET_RATE, Summary
from analysis.suppression import REASON_KEYS, REASONS
from surveys.model import Definition

PARTNERSHIP_DIR = "partnership"
TEMPLATES = Path(__file__).resolve().parent / "templates"
DEMO_COLUMN = "Data"
DEMO_VALUE = "DEMONSTRATION: synthetic responses, not real"
CHART_WIDTH = 4.6  # inches: narrow, so that text stays legible when a 390px phone shows it whole
CHART_DPI = 150  # sharp on a phone's 2-3x screen at 390px and on paper, yet cheap to print
PNG_COMPRESSION = 3  # zlib level for chart PNGs (see _chart)
JPEG_QUALITY = 92  # the PDF's copy of each chart (see _chart)


@dataclass(frozen=True)
class Chart:
    """A chart drawn once: its caption, alt text (its figures in words), the PNG, the same pixels
    as a JPEG for the PDF, and every piece of text drawn on it (so a test can check a chart shows
    no hidden figure)."""

    title: str
    alt: str
    png: bytes
    texts: tuple[str, ...]
    jpeg: bytes = b""

    @property
    def uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()

    @property
    def print_uri(self) -> str:
        """The image the PDF embeds: the JPEG where there is one (see _chart)."""
        if not self.jpeg:
            return self.uri
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode()


def report_dir(root: Path, wave_id: int, group: str) -> Path:
    """Folder of one report: ``root/<wave id>/<agency code>`` or ``root/<wave id>/partnership``."""
    return root / str(wave_id) / (PARTNERSHIP_DIR if group == PARTNERSHIP else group)


def _figure(rows: int, per_row: float, extra: float, below: float = 0.6) -> Figure:
    """A CHART_WIDTH-wide chart with fixed margins in inches (a layout engine costs more than the
    drawing): room on the left for wrapped labels, ``below`` inches for the axis label and legend."""
    height = per_row * max(rows, 1) + extra
    figure = Figure(figsize=(CHART_WIDTH, height), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.46, right=0.97, top=1 - 0.15 / height, bottom=below / height)
    return figure


def _chart(title: str, alt: str, figure: Figure) -> Chart:
    """Render the figure once, to PNG (a raster prints far faster than SVG in the PDF), and the
    same pixels to a JPEG for the PDF.

    The PNG is RGB, not matplotlib's RGBA: the charts are opaque, and WeasyPrint
    splits an alpha channel into a second image and compresses both again, which
    was most of the cost of printing a report. Compression level 3 of 9 costs a
    third of the default's time for a few per cent more bytes on flat charts.
    WeasyPrint decodes every PNG and compresses it again at zlib's default level
    (about 0.2 s of CPU per report, a sixth of its printing), but embeds a JPEG as
    it is; at quality 92 without chroma subsampling the chart's text prints as
    sharp (the PDF is about a third larger per chart).
    """
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas is untyped
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    image = Image.fromarray(np.asarray(rgba)[..., :3])
    png, jpeg = io.BytesIO(), io.BytesIO()
    image.save(png, format="png", compress_level=PNG_COMPRESSION, dpi=(CHART_DPI, CHART_DPI))
    image.save(jpeg, format="jpeg", quality=JPEG_QUALITY, subsampling=0, dpi=(CHART_DPI, CHART_DPI))
    texts = tuple(t.get_text() for t in figure.findobj(Text) if t.get_text())
    return Chart(title, alt, png.getvalue(), texts, jpeg.getvalue())


def build_charts(
    summary: Summary, definition: Definition, group: str, names: Mapping[str, str]
) -> list[Chart]:
    """The report's charts for ``group`` (an agency, or PARTNERSHIP for the board's report), each
    drawn once, with a caption and alt text that states the figures it shows."""
    who = group_name(group, dict(names))
    charts: list[Chart] = []
    if group == PARTNERSHIP:
        agencies = len(summary.responses) - 1
        figure = _figure(agencies, 0.42, 0.9, below=0.55)
        alt = plot_response_rates(figure.add_subplot(), summary.responses, names)
        charts.append(
            _chart(f"Response rate of each agency against the {TARGET_RATE:.0f}% target", alt, figure)
        )
    likert = [(item.id, item.text) for item in definition.items if item.type == "likert"]
    figure = _figure(len(likert), 0.85, 1.5, below=1.3)
    alt = plot_agree_scale(figure.add_subplot(), summary.distributions, likert, group, names)
    charts.append(_chart(f"How far staff in {who} agree with each statement (counts on bars)", alt, figure))
    if group != PARTNERSHIP:
        shares = summary.figures[
            (summary.figures["unit"] == "%")
            & (summary.figures["group"] == group)
            & ~summary.figures["measure"].str.startswith("use:")
        ]
        measures = list(dict.fromkeys(zip(shares["measure"], shares["label"], strict=True)))
        figure = _figure(len(measures), 0.85, 1.2, below=1.05)
        alt = plot_agency_vs_partnership(figure.add_subplot(), summary.figures, measures, group, names)
        charts.append(_chart(f"{who} beside the whole partnership (count/base beside each bar)", alt, figure))
    if not summary.themes.empty:
        figure = _figure(6, 0.45, 0.8)
        alt = plot_themes(figure.add_subplot(), summary.themes, group, names)
        charts.append(_chart(f"What staff in {who} would change: most common themes", alt, figure))
    return charts


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return str(value)


def _figure_text(value: object, unit: str) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.0f}%" if unit == "%" else f"{float(value):.2f}"  # type: ignore[arg-type]


def _points(value: object, unit: str) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):+.1f}" + (" pts" if unit == "%" else "")  # type: ignore[arg-type]


def table_view(section: Section, group_by: str | None = None, drop: Sequence[str] = ()) -> dict[str, Any]:
    """A section as the template's generic table: header, rows of text cells (numbers as written).

    With ``group_by``, that column becomes a heading row whenever its value changes."""
    table = section.table.drop(columns=[c for c in drop if c in section.table.columns])
    columns = [c for c in table.columns if c != group_by]
    rows: list[dict[str, Any]] = []
    last = None
    for record in table.to_dict("records"):
        heading = str(record[group_by]) if group_by else None
        if heading is not None and heading != last:
            rows.append({"heading": heading})
            last = heading
        rows.append({"cells": [_cell(record[c]) for c in columns]})
    return {
        "key": section.key,
        "title": section.title,
        "intro": section.intro,
        "columns": columns,
        "rows": rows,
    }


def _beyond_chance(flag: Any) -> bool:
    """A test's verdict; NA (no test was possible, e.g. no figure last wave) is not beyond chance."""
    return bool(pd.notna(flag) and flag)


def _change(c: pd.Series, unit: str) -> dict[str, str]:
    """The change since last wave and its mark; nothing when there is no change to show."""
    if pd.isna(c["change"]):
        return {}
    mark = ("up" if c["change"] > 0 else "down") if _beyond_chance(c["significant"]) else "same"
    return {"change": _points(c["change"], unit), "change_mark": mark}


def compare_view(summary: Summary, agency: str) -> list[dict[str, Any]]:
    """The agency report's main table: each measure for the agency, the partnership, the difference
    from the rest of the partnership (interval, marked when beyond chance) and the change since last wave."""
    figures = summary.figures
    mine = figures[figures["group"] == agency].set_index("measure")
    everyone = figures[figures["group"] == PARTNERSHIP].set_index("measure")
    rest = versus_rest(summary, agency).set_index("measure")
    comp = (
        summary.comparison[summary.comparison["group"] == agency].set_index("measure")
        if not summary.comparison.empty
        else pd.DataFrame()
    )
    rows = []
    for measure, row in mine.iterrows():
        unit = str(row["unit"])
        out: dict[str, Any] = {
            "label": row["label"],
            "of": row["of"],
            "headline": is_headline(str(measure)),
            "reason": row["reason"],
            "partnership": _figure_text(everyone.loc[measure, "value"], unit),
        }
        if not row["suppressed"] and pd.notna(row["value"]):
            out["value"] = _figure_text(row["value"], unit)
            out["basis"] = (
                f"{int(row['count'])}/{int(row['base'])}"
                if pd.notna(row["count"])
                else f"n={int(row['base'])}"
            )
            r = rest.loc[measure]
            if pd.notna(r["difference"]):
                out["difference"] = _points(r["difference"], unit)
                out["interval"] = f"{r['ci_low']:+.1f} to {r['ci_high']:+.1f}"
                out["mark"] = (
                    ("above" if r["difference"] > 0 else "below")
                    if _beyond_chance(r["significant"])
                    else "similar"
                )
            if measure in comp.index and not comp.loc[measure, "suppressed"]:
                c = comp.loc[measure]
                out["previous"] = _figure_text(c["previous"], unit)
                out.update(_change(c, unit))
        rows.append(out)
    return rows


@cache
def environment() -> Environment:
    """The templates' environment: autoescaped HTML, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True
    )
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.0f}%"
    env.filters["rate"] = lambda v: "" if v is None else f"{v:.1f}%"
    env.filters["figure"] = lambda v, unit: _figure_text(v, unit)
    env.filters["points"] = lambda v, unit: _points(v, unit)
    env.filters["p"] = lambda v: "p < 0.001" if v < 0.001 else f"p = {v:.3f}"
    return env


def _reasons(n: int) -> dict[str, str]:
    return {REASON_KEYS[code]: text.format(n=n) for code, text in REASONS.items()}


def report_context(
    summary: Summary,
    sections: Sequence[Section],
    group: str,
    names: Mapping[str, str],
    title: str,
    charts: list[Chart],
) -> dict[str, Any]:
    """Everything the report template shows, computed here so the template only words and lays it out."""
    names = dict(names)
    by_key = {s.key: s for s in sections}
    partnership = group == PARTNERSHIP
    context: dict[str, Any] = {
        "title": title,
        "who": group_name(group, names),
        "code": group,
        "wave": summary.wave,
        "previous_wave": summary.previous_wave,
        "demo": summary.demo,
        "partnership": partnership,
        "findings": key_findings(summary, group),
        "names": {**names, PARTNERSHIP: "the partnership"},
        "charts": charts,
        "min_group_size": summary.min_group_size,
        "min_quote_size": summary.min_quote_size,
        "reasons": _reasons(summary.min_group_size),
        "test_name": TEST_NAME,
        "target": TARGET_RATE,
        "responses": table_view(by_key["responses"]),
        "themes": _theme_view(summary, group if not partnership else PARTNERSHIP),
        # the agencies' own summaries of their findings, in the partnership's agency order
        "agency_summaries": [
            {"code": code, "name": names.get(code, code), "text": summary.agency_summaries[code]}
            for code in summary.groups
            if code in summary.agency_summaries
        ],
    }
    distributions = by_key["distributions"]
    if partnership:
        listed = [m for m in dict.fromkeys(summary.figures["measure"]) if is_headline(m)]
        labels = summary.figures.drop_duplicates("measure").set_index("measure")["label"]
        context["league"] = league_table(summary, names)
        context["league_measures"] = [labels[m] for m in listed]
        context["agencies"] = [key_findings(summary, g) for g in summary.groups if g != PARTNERSHIP]
        mine = distributions.table[distributions.table["Agency"] == "Partnership"]
        distributions = Section(distributions.key, distributions.title, distributions.intro, mine)
        context["compare"] = _partnership_rows(summary)
        context["distributions"] = table_view(
            distributions, group_by="Question", drop=("Item", "Agency", "Note")
        )
    else:
        context["compare"] = compare_view(summary, group)
        context["distributions"] = table_view(distributions, group_by="Question", drop=("Item",))
    return context


def _partnership_rows(summary: Summary) -> list[dict[str, Any]]:
    """The partnership's own figures and their change since last wave."""
    figures = summary.figures[summary.figures["group"] == PARTNERSHIP]
    comp = (
        summary.comparison[summary.comparison["group"] == PARTNERSHIP].set_index("measure")
        if not summary.comparison.empty
        else pd.DataFrame()
    )
    rows = []
    for _, row in figures.iterrows():
        unit = str(row["unit"])
        out: dict[str, Any] = {"label": row["label"], "of": row["of"], "reason": row["reason"]}
        if not row["suppressed"] and pd.notna(row["value"]):
            out["value"] = _figure_text(row["value"], unit)
            out["basis"] = (
                f"{int(row['count'])}/{int(row['base'])}"
                if pd.notna(row["count"])
                else f"n={int(row['base'])}"
            )
            if row["measure"] in comp.index and not comp.loc[row["measure"], "suppressed"]:
                c = comp.loc[row["measure"]]
                out["previous"] = _figure_text(c["previous"], unit)
                out.update(_change(c, unit))
                if "change" in out:
                    out["interval"] = f"{c['ci_low']:+.1f} to {c['ci_high']:+.1f}"
        rows.append(out)
    return rows


def _theme_view(summary: Summary, group: str) -> dict[str, Any]:
    themes = summary.themes
    if themes.empty or "rank" not in themes:
        return {"rows": [], "reason": "", "base": None, "quotes_shown": False}
    mine = themes[themes["group"] == group]
    reason = str(mine["reason"].iloc[0]) if len(mine) else ""
    rows = mine[mine["rank"].notna()].sort_values("rank")
    base = mine["base"].iloc[0] if len(mine) else None
    return {
        "rows": [
            {
                "label": r["label"],
                "count": int(r["count"]),
                "percent": float(r["percent"]),
                "quotes": list(r["quotes"]),
            }
            for _, r in rows.iterrows()
        ],
        "reason": reason,
        "base": None if base is None or pd.isna(base) else int(base),
        "quotes_shown": bool(rows["quotes"].map(len).any()) if len(rows) else False,
    }


def render_report(context: Mapping[str, Any], printed: bool = False) -> str:
    """The report page (HTML) from analysis/templates/report.html.

    ``printed`` leaves out what the print CSS hides anyway (the every-answer tables): the copy
    given to WeasyPrint, which otherwise parses and styles those hidden rows too."""
    return environment().get_template("report.html").render(**context, printed=printed)


def render_html(title: str, intro: str, sections: Sequence[Section], charts: Sequence[Chart]) -> str:
    """A plain page of tables (the impact annex) from analysis/templates/tables.html."""
    views = [table_view(s) for s in sections]
    return (
        environment()
        .get_template("tables.html")
        .render(title=title, intro=intro, sections=views, charts=charts)
    )


@cache
def _font_config(process: int) -> Any:
    """One WeasyPrint font configuration per process (keyed by its id, so a forked worker makes its
    own): WeasyPrint otherwise loads fontconfig's fonts afresh, and warms Pango's caches, per PDF."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def write_pdf(path: Path, page: str) -> None:
    """Print the report page to A4 with WeasyPrint (the template's print CSS sets the page)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only reports need

    HTML(string=page, base_url=str(TEMPLATES)).write_pdf(path, font_config=_font_config(os.getpid()))


def _demo_marked(table: pd.DataFrame, demo: bool) -> pd.DataFrame:
    if not demo:
        return table
    marked = table.copy()
    marked.insert(0, DEMO_COLUMN, DEMO_VALUE)
    return marked


def write_xlsx(path: Path, sections: Sequence[Section], demo: bool = False) -> None:
    """One sheet per section; numbers stay numbers (blank where suppressed); long text wraps.

    Written row by row (openpyxl's write-only mode: no cell objects kept, about half
    the time of a full workbook); only the header and long-text cells carry a style.
    """
    book = Workbook(write_only=True)
    header = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for section in sections:
        table = _demo_marked(section.table, demo)
        sheet = book.create_sheet(section.title[:31].replace("/", " ").replace(":", ""))
        wrapped = set()
        for n, column in enumerate(table.columns, start=1):
            longest = max([len(str(column))] + [len(_cell(v)) for v in table[column].head(500)])
            sheet.column_dimensions[get_column_letter(n)].width = min(60, max(10, longest + 2))
            if longest > 60:
                wrapped.add(n - 1)
        sheet.freeze_panes = "A2"
        sheet.append([_styled(sheet, column, font=header, alignment=wrap) for column in table.columns])
        for row in table.itertuples(index=False):
            sheet.append(
                [
                    _styled(sheet, _excel(v), alignment=wrap) if n in wrapped else _excel(v)
                    for n, v in enumerate(row)
                ]
            )
    book.save(path)


def _styled(
    sheet: Any, value: object, font: Font | None = None, alignment: Alignment | None = None
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _excel(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars -> Python numbers
        return value.item()
    return value


def write_csvs(folder: Path, sections: Sequence[Section], demo: bool = False) -> list[Path]:
    """One CSV per section (UTF-8 with BOM so spreadsheets show accents and dashes right)."""
    paths = []
    for section in sections:
        path = folder / f"{section.key}.csv"
        _demo_marked(section.table, demo).to_csv(path, index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_report(
    summary: Summary, definition: Definition, group: str, root: Path, names: dict[str, str], title: str
) -> Path:
    """Write HTML, PDF, XLSX, CSVs and the charts (PNG) of one group's report; returns its folder.

    ``summary`` must already be cut to what the reader may see
    (``summary.for_agency(code)`` for an agency lead).
    """
    folder = report_dir(root, summary.wave, group)
    folder.mkdir(parents=True, exist_ok=True)
    sections = report_sections(summary, definition, names)
    charts = build_charts(summary, definition, group, names)
    context = report_context(summary, sections, group, names, title, charts)
    (folder / "report.html").write_text(render_report(context), encoding="utf-8")
    write_pdf(folder / "report.pdf", render_report(context, printed=True))
    write_xlsx(folder / "report.xlsx", sections, summary.demo)
    write_csvs(folder, sections, summary.demo)
    for index, chart in enumerate(charts, start=1):
        (folder / f"chart-{index}.png").write_bytes(chart.png)
    return folder


def _write_one(job: tuple[Summary, Definition, str, Path, dict[str, str], str]) -> Path:
    summary, definition, group, root, names, title = job
    return write_report(summary, definition, group, root, names, title)


def write_reports(
    summary: Summary,
    definition: Definition,
    groups: Sequence[str],
    root: Path,
    names: dict[str, str],
    title: str,
    workers: int | None = None,
) -> Iterator[Path]:
    """Write each group's report (cut to what its reader may see), in parallel processes.

    Yields each report's folder as it is finished (in no set order). Each agency's
    report gets ``summary.for_agency(code)`` only; PARTNERSHIP gets the whole summary.
    The partnership's report, the longest, is started first, so that it does not
    finish alone after the others.
    """
    ordered = sorted(groups, key=lambda g: g != PARTNERSHIP)
    jobs = [
        (summary if g == PARTNERSHIP else summary.for_agency(g), definition, g, root, names, title)
        for g in ordered
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        yield from map(_write_one, jobs)
        return
    import weasyprint  # noqa: F401  # loaded once here, before the workers fork, not once in each

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_write_one, jobs)
