"""Writing a collated return: self-contained HTML, an XLSX workbook, CSV files and a PDF.

One folder per report (``<out>/<wave id>/<AGENCY or partnership>/``), the
layout the bot's ``GET /reports/...`` serves from. Charts are drawn on
``matplotlib.figure.Figure()`` (never pyplot) and embedded in the HTML as
data: URIs, so a report is one file that works offline, on a phone (it
reflows and tables scroll sideways) and on paper (print CSS).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from analysis.plots import plot_agency_vs_partnership, plot_agree_scale, plot_response_rates, plot_themes
from analysis.sections import Section, group_name, report_sections
from analysis.summaries import PARTNERSHIP, Summary
from surveys.model import Definition

PARTNERSHIP_DIR = "partnership"


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes


def report_dir(root: Path, wave_id: int, group: str) -> Path:
    """Folder of one report: ``root/<wave id>/<agency code>`` or ``root/<wave id>/partnership``."""
    return root / str(wave_id) / (PARTNERSHIP_DIR if group == PARTNERSHIP else group)


def _figure(height: float, below: float = 0.45) -> Figure:
    """A 7.5in-wide chart with fixed margins in inches (a layout engine costs more than the drawing):
    room on the left for wrapped labels, ``below`` inches for the axis label and legend."""
    figure = Figure(figsize=(7.5, height), dpi=110)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.36, right=0.97, top=1 - 0.35 / height, bottom=below / height)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_charts(summary: Summary, definition: Definition, group: str) -> list[tuple[str, Figure]]:
    """The report's charts for ``group`` (an agency, or PARTNERSHIP for the board's report)."""
    likert = [(item.id, item.text) for item in definition.items if item.type == "likert"]
    charts: list[tuple[str, Figure]] = []
    figure = _figure(0.45 * len(likert) + 1.6, below=0.85)
    plot_agree_scale(figure.add_subplot(), summary.distributions, likert, group, summary.min_group_size)
    charts.append(("Agreement with each statement", figure))
    if group != PARTNERSHIP:
        shares = summary.figures[(summary.figures["unit"] == "%") & (summary.figures["group"] == group)]
        measures = list(dict.fromkeys(zip(shares["measure"], shares["label"], strict=True)))
        figure = _figure(0.42 * len(measures) + 1.2)
        plot_agency_vs_partnership(
            figure.add_subplot(), summary.figures, measures, group, summary.min_group_size
        )
        charts.append((f"{group} compared with the partnership", figure))
    else:
        rows = len(summary.responses) - 1
        figure = _figure(0.3 * rows + 1.3, below=0.5)
        plot_response_rates(figure.add_subplot(), summary.responses, summary.min_group_size)
        charts.append(("Response rates against the 10% target", figure))
    if not summary.themes.empty:
        figure = _figure(2.8)
        plot_themes(figure.add_subplot(), summary.themes, group, summary.min_group_size)
        charts.append(("Top themes of what staff would change", figure))
    return charts


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return str(value)


def _html_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p>Nothing to show.</p>"
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #0072B2}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;min-width:100%}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;white-space:pre-line}
th{background:#eef3f8}tbody tr:nth-child(even){background:#f7f7f7}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#444}
.meta{color:#444;font-size:.9rem}
@media print{body{max-width:none;padding:0;font-size:10pt}.scroll{overflow:visible}
h2{page-break-after:avoid}table,figure{page-break-inside:avoid}a{color:inherit;text-decoration:none}}
"""


def render_html(title: str, intro: str, sections: Sequence[Section], charts: Sequence[Chart]) -> str:
    """One self-contained HTML page: charts as data: URIs, no external files or scripts."""
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p class='meta'>{html.escape(intro)}</p>"]
    if charts:
        parts.append("<h2>Charts</h2>")
    for chart in charts:
        data = base64.b64encode(chart.png).decode()
        parts.append(
            f"<figure><img alt='{html.escape(chart.title)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
        )
    for section in sections:
        parts.append(f"<h2 id='{section.key}'>{html.escape(section.title)}</h2>")
        parts.append(f"<p>{html.escape(section.intro)}</p>{_html_table(section.table)}")
    body = "\n".join(parts)
    return (
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def write_xlsx(path: Path, sections: Sequence[Section]) -> None:
    """One sheet per section; numbers stay numbers (blank where suppressed)."""
    book = Workbook()
    book.remove(book.active)
    for section in sections:
        sheet = book.create_sheet(section.title[:31].replace("/", " ").replace(":", ""))
        sheet.append(list(section.table.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.table.itertuples(index=False):
            sheet.append([_excel(v) for v in row])
        for n, column in enumerate(section.table.columns, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = min(60, max(10, len(str(column)) + 2))
        sheet.freeze_panes = "A2"
    book.save(path)


def _excel(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars -> Python numbers
        return value.item()
    return value


def write_csvs(folder: Path, sections: Sequence[Section]) -> list[Path]:
    """One CSV per section (UTF-8 with BOM so spreadsheets show accents and dashes right)."""
    paths = []
    for section in sections:
        path = folder / f"{section.key}.csv"
        section.table.to_csv(path, index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_pdf(
    path: Path, title: str, figures: Sequence[tuple[str, Figure]], sections: Sequence[Section]
) -> None:
    """A printable PDF with matplotlib's PdfPages: the charts, then the headline and response tables."""
    with PdfPages(path, metadata={"Title": title}) as pdf:
        for _, figure in figures:
            pdf.savefig(figure)
        for section in sections:
            if section.key not in {"responses", "headline"} or section.table.empty:
                continue
            table = section.table.iloc[:, : min(8, section.table.shape[1])]
            for start in range(0, len(table), 28):
                page = Figure(figsize=(8.27, 11.69))  # A4, no layout engine: tables place themselves
                FigureCanvasAgg(page)
                ax = page.add_axes((0.03, 0.03, 0.94, 0.92))
                ax.axis("off")
                ax.set_title(f"{title}: {section.title}", fontsize=9)
                chunk = table.iloc[start : start + 28]
                cells = [[_cell(v)[:48] for v in row] for row in chunk.itertuples(index=False)]
                drawn = ax.table(
                    cellText=cells, colLabels=[str(c)[:24] for c in chunk.columns], loc="upper center"
                )
                drawn.auto_set_font_size(False)
                drawn.set_fontsize(5.5)
                pdf.savefig(page)


def write_report(
    summary: Summary, definition: Definition, group: str, root: Path, names: dict[str, str], title: str
) -> Path:
    """Write HTML, XLSX, CSVs and PDF of one group's report; returns its folder.

    ``summary`` must already be cut to what the reader may see
    (``summary.for_agency(code)`` for an agency lead).
    """
    folder = report_dir(root, summary.wave, group)
    folder.mkdir(parents=True, exist_ok=True)
    sections = report_sections(summary, definition, names)
    figures = build_charts(summary, definition, group)
    charts = [Chart(name, _png(figure)) for name, figure in figures]
    who = group_name(group, names)
    heading = f"{title}: {who}, wave {summary.wave}"
    intro = (
        f"Collated anonymous responses for {who}"
        + (" beside the whole partnership" if group != PARTNERSHIP else " and every agency")
        + f". Figures resting on fewer than {summary.min_group_size} responses are suppressed, and so is "
        "the next smallest where one could otherwise be worked out by subtraction."
    )
    (folder / "report.html").write_text(render_html(heading, intro, sections, charts), encoding="utf-8")
    write_xlsx(folder / "report.xlsx", sections)
    write_csvs(folder, sections)
    write_pdf(folder / "report.pdf", heading, figures, sections)
    for index, chart in enumerate(charts, start=1):
        (folder / f"chart-{index}.png").write_bytes(chart.png)
    return folder
