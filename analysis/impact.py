"""The impact assessment's collated annex: issues by category and agency, one table per question.

Each agency's lead gives up to three issues per question; every issue is
coded to one category of that question's codebook (item ``codebook`` in
surveys/definitions/impact-assessment.yaml; analysts' overrides win). The
annex boards use lists, for each question, the categories down the side and
the agencies across, with the issues in the cells. Returns are agency-level
statements, not individuals' answers, so small-group suppression does not
apply to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.overrides import Overrides
from analysis.reports import render_html, write_xlsx
from analysis.sections import Section
from analysis.themes import code_texts, load_codebook
from surveys.model import Definition


def issues(
    responses: pd.DataFrame, answers: pd.DataFrame, definition: Definition, overrides: Overrides | None = None
) -> pd.DataFrame:
    """One row per issue: agency, question, the issue text, its category and the coder's confidence."""
    coded_items = {item.id: item for item in definition.items if item.codebook}
    agency = responses.set_index("response_id")["agency"]
    rows = answers[answers["item"].isin(coded_items)].sort_values(["item", "response_id", "ordinal"])
    parts = []
    for item_id, group in rows.groupby("item", sort=False):
        codebook = load_codebook(str(coded_items[str(item_id)].codebook))
        coded = code_texts(codebook, group["value"].astype(str), (overrides or {}).get(codebook.id))
        parts.append(
            pd.DataFrame(
                {
                    "agency": group["response_id"].map(agency).to_numpy(),
                    "question": item_id,
                    "issue": group["value"].astype(str).to_numpy(),
                    "category": [c.themes[0] for c in coded],
                    "category_label": [codebook.label(c.themes[0]) for c in coded],
                    "confidence": [c.confidence for c in coded],
                }
            )
        )
    columns = ["agency", "question", "issue", "category", "category_label", "confidence"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def annex_tables(found: pd.DataFrame, definition: Definition, agencies: Sequence[str]) -> list[Section]:
    """Per question: categories (codebook order) down, agencies across, issues listed in each cell."""
    sections = []
    for item in definition.items:
        if not item.codebook:
            continue
        codebook = load_codebook(item.codebook)
        mine = found[found["question"] == item.id]
        cells = mine.groupby(["category", "agency"])["issue"].agg(lambda s: "\n".join(f"• {t}" for t in s))
        table = pd.DataFrame({"Category": [t.label for t in codebook.themes]})
        for agency in agencies:
            table[agency] = [cells.get((t.id, agency), "") for t in codebook.themes]
        table["Issues"] = [int((mine["category"] == t.id).sum()) for t in codebook.themes]
        sections.append(Section(item.id, f"{item.id[-2:].upper()} {codebook.title}", item.text, table))
    return sections


def write_impact_annex(
    folder: Path,
    found: pd.DataFrame,
    definition: Definition,
    agencies: Sequence[str],
    names: Mapping[str, str],
) -> Path:
    """Write the annex as HTML and XLSX (one sheet per question) plus issues.csv; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = annex_tables(found, definition, agencies)
    key = ", ".join(f"{code} = {names.get(code, code)}" for code in agencies)
    (folder / "impact-annex.html").write_text(
        render_html(definition.title, f"Issues by category and agency. {key}.", sections, []),
        encoding="utf-8",
    )
    write_xlsx(folder / "impact-annex.xlsx", sections)
    found.to_csv(folder / "issues.csv", index=False, encoding="utf-8-sig")
    return folder
