"""Delivering each agency lead their collated return, and each board its report: Teams and/or email.

A wave belongs to one or more of the partnership's boards: its agencies' leads
named in those boards get their agency's return (with a request for the
agency's own summary of the findings, which the card collects), and the
boards' report recipients get the partnership report. Someone named in two of
the wave's boards is sent it once.

The summary is a plain dict (the bot renders it as a card); the link is
signed for that one agency and expires (analysis.links). Teams goes through
the small :class:`TeamsSender` protocol the bot layer implements, so this
module never imports the chat framework; email goes by SMTP in a worker
thread with the report attached. Each lead's outcome is returned, so one
failure neither stops the run nor goes unnoticed.
"""

from __future__ import annotations

import asyncio
import mimetypes
import smtplib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

from analysis.links import report_url
from analysis.reports import report_dir
from analysis.summaries import PARTNERSHIP, Summary
from analysis.suppression import reason_text
from common.partnership import AgencyLead, Board, Partnership, Recipient
from common.settings import Settings

CARD_MEASURES = 6
ATTACHMENTS = ("report.html", "report.pdf")


class TeamsSender(Protocol):
    """Sends one lead their summary card with the link (the bot layer implements this)."""

    async def send_summary(self, lead: AgencyLead, summary: Mapping[str, Any], link: str) -> object: ...


@dataclass(frozen=True)
class Sent:
    """What happened for one lead on one channel ("teams" or "email")."""

    agency: str  # or analysis.summaries.PARTNERSHIP for a board's report recipient
    channel: str
    ok: bool
    detail: str = ""
    to: str = ""  # the email address, or the Teams user


@dataclass(frozen=True)
class Routing:
    """Who a wave's results go to: the leads of its agencies and its boards' report recipients."""

    boards: tuple[Board, ...]
    leads: tuple[AgencyLead, ...]
    recipients: tuple[Recipient, ...]

    @property
    def title(self) -> str:
        """The boards' names as readers know them (the partnership report's addressee)."""
        return " and ".join(board.title for board in self.boards)


def routing(partnership: Partnership, boards: Collection[str], agencies: Collection[str]) -> Routing:
    """The boards named (every board when none is), their leads of ``agencies``, their recipients."""
    chosen = tuple(board for board in partnership.boards if not boards or board.name in boards)
    if partnership.boards:
        leads = [lead for board in chosen for lead in board.agency_leads]
    else:  # a Partnership made in code, without the file's implicit board
        leads = list(partnership.agency_leads)
    recipients = [recipient for board in chosen for recipient in board.report_recipients]
    return Routing(
        chosen,
        tuple(dict.fromkeys(lead for lead in leads if lead.agency in agencies)),
        tuple(dict.fromkeys(recipients)),
    )


def _number(value: float | np.generic | NAType | None) -> float | int | None:
    if value is None or isinstance(value, NAType) or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def lead_summary(summary: Summary, agency: str, name: str, partnership_name: str) -> dict[str, Any]:
    """The headline figures of one agency beside the partnership, as plain JSON-able data.

    Suppressed figures are None with ``suppressed`` true; the listed measures
    and the mean ratings come first (they are the board's headline figures).
    """
    responses = summary.responses.set_index("group")
    own = responses.loc[agency]
    figures = summary.figures
    headline = figures[~figures["measure"].str.startswith(("agree:", "use:"))]["measure"].unique()
    mine = figures[figures["group"] == agency].set_index("measure")
    everyone = figures[figures["group"] == PARTNERSHIP].set_index("measure")
    changes = (
        summary.comparison[summary.comparison["group"] == agency].set_index("measure")
        if not summary.comparison.empty
        else None
    )
    items = []
    for measure in list(headline)[:CARD_MEASURES]:
        row = mine.loc[measure]
        change = changes.loc[measure] if changes is not None and measure in changes.index else None
        items.append(
            {
                "measure": measure,
                "label": row["label"],
                "of": row["of"],
                "unit": row["unit"],
                "value": _number(row["value"]),
                "count": _number(row["count"]),
                "base": _number(row["base"]),
                "suppressed": bool(row["suppressed"]),
                "partnership": _number(everyone.loc[measure, "value"]),
                "change": None if change is None else _number(change["change"]),
                "change_beyond_chance": None if change is None else _number(change["significant"]),
            }
        )
    themes = summary.themes
    top = (
        themes[(themes["group"] == agency) & themes["rank"].notna()].sort_values("rank")["label"].head(3)
        if not themes.empty
        else pd.Series(dtype=object)
    )
    return {
        "partnership": partnership_name,
        "agency": agency,
        "agency_name": name,
        "wave": summary.wave,
        "previous_wave": summary.previous_wave,
        "min_group_size": summary.min_group_size,
        "responses": _number(own["responses"]),
        "headcount": _number(own["headcount"]),
        "response_rate": _number(own["rate"]),
        "target_met": _number(own["target_met"]),
        "suppressed": bool(own["suppressed"]),
        "suppressed_reason": str(own["reason"]),
        "figures": items,
        "top_themes": [str(t) for t in top],
        # an agency lead is asked for the agency's own summary of the findings, for the board
        "ask_summary": agency != PARTNERSHIP,
    }


def summary_text(card: Mapping[str, Any]) -> str:
    """The summary as plain text (the email body, and a fallback for any channel)."""
    lines = [
        f"{card['partnership']}: collated practitioner survey results for {card['agency_name']}, "
        f"wave {card['wave']}.",
        "",
    ]
    if card["suppressed"]:
        why = reason_text(card.get("suppressed_reason") or "too_few", card["min_group_size"])
        lines.append(f"Your agency's figures are suppressed: {why}.")
    else:
        rate = card["response_rate"]
        rate_text = f", {rate:.1f}% of frontline staff" if rate is not None else ""
        target = {True: " (10% target met)", False: " (below the 10% target)"}.get(card["target_met"], "")
        lines.append(f"Responses: {card['responses']}{rate_text}{target}.")
    for item in card["figures"]:
        if item["value"] is None:
            lines.append(f"- {item['label']}: suppressed")
            continue
        shown = f"{item['value']:.0f}%" if item["unit"] == "%" else f"{item['value']:.2f}"
        count = f" ({item['count']} {item['of']}, base {item['base']})" if item["count"] is not None else ""
        partner = item["partnership"]
        beside = (
            (f"; partnership {partner:.0f}%" if item["unit"] == "%" else f"; partnership {partner:.2f}")
            if partner is not None
            else ""
        )
        lines.append(f"- {item['label']}: {shown}{count}{beside}")
    if card["top_themes"]:
        lines.append("")
        lines.append("Top themes of what staff would change: " + "; ".join(card["top_themes"]) + ".")
    return "\n".join(lines)


def email_message(
    settings: Settings, lead: AgencyLead, card: Mapping[str, Any], link: str, attachments: Sequence[Path]
) -> EmailMessage:
    """The email to one lead: the summary, the signed link, and the report files attached."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = lead.email or ""
    message["Subject"] = (
        f"Safeguarding practitioner survey: results for {card['agency_name']} (wave {card['wave']})"
    )
    message.set_content(f"{summary_text(card)}\n\nFull report (link expires): {link}\n")
    for path in attachments:
        kind = (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/", 1)
        message.add_attachment(path.read_bytes(), maintype=kind[0], subtype=kind[1], filename=path.name)
    return message


def _smtp_send(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=30) as client:
        client.send_message(message)


async def send_email(settings: Settings, message: EmailMessage) -> None:
    """Send by SMTP in a worker thread (never blocks the event loop)."""
    await asyncio.to_thread(_smtp_send, settings.smtp_host, settings.smtp_port, message)


@dataclass(frozen=True)
class Outgoing:
    """One reader's summary card and report link, ready to send (a lead, or a board's recipient)."""

    reader: AgencyLead  # a board's report recipient reads as the PARTNERSHIP group
    card: Mapping[str, Any]
    link: str


def outgoing(
    settings: Settings,
    partnership: Partnership,
    summary: Summary,
    now: datetime,
    boards: Collection[str] = (),
) -> list[Outgoing]:
    """What goes to each reader of the wave's ``boards`` (all when empty), each reader once.

    Reports must already be written under settings.report_dir (each lead's
    agency's, and the partnership's when a board has report recipients).
    """
    names = {a.code: a.name for a in partnership.agencies}
    route = routing(partnership, boards, set(summary.groups) - {PARTNERSHIP})
    found = [
        Outgoing(
            lead,
            lead_summary(
                summary.for_agency(lead.agency),
                lead.agency,
                names.get(lead.agency, lead.agency),
                partnership.name,
            ),
            report_url(settings, summary.wave, lead.agency, now),
        )
        for lead in route.leads
    ]
    if route.recipients:
        card = lead_summary(summary, PARTNERSHIP, route.title, partnership.name)
        link = report_url(settings, summary.wave, PARTNERSHIP, now)
        found += [
            Outgoing(AgencyLead(PARTNERSHIP, recipient.email, recipient.teams_user), card, link)
            for recipient in route.recipients
        ]
    return found


async def deliver(
    settings: Settings,
    partnership: Partnership,
    summary: Summary,
    now: datetime,
    teams: TeamsSender | None,
    boards: Collection[str] = (),
) -> list[Sent]:
    """Send the leads and report recipients of the wave's ``boards`` (all when empty) their summary.

    A reader whose Teams user is set but with no sender wired is reported as not sent.
    """
    results: list[Sent] = []
    for one in outgoing(settings, partnership, summary, now, boards):
        results += await send_one(settings, one, teams)
    return results


async def send_one(settings: Settings, one: Outgoing, teams: TeamsSender | None) -> list[Sent]:
    """One reader's summary by Teams and/or email; each outcome reported, none raised."""
    lead, card, link = one.reader, one.card, one.link
    results: list[Sent] = []
    if lead.teams_user:
        to = lead.teams_user
        if teams is None:
            results.append(Sent(lead.agency, "teams", False, "Teams sending is not wired", to))
        else:
            try:
                outcome = await teams.send_summary(lead, card, link)
            except Exception as exc:  # one reader's failure must not stop the others
                results.append(Sent(lead.agency, "teams", False, type(exc).__name__, to))
            else:
                ok = bool(getattr(outcome, "ok", True))
                results.append(Sent(lead.agency, "teams", ok, str(getattr(outcome, "error", "") or ""), to))
    if lead.email:
        to = lead.email
        if not settings.smtp_host:
            results.append(Sent(lead.agency, "email", False, "SMTP_HOST is not set", to))
            return results
        folder = report_dir(settings.report_dir, int(card["wave"]), lead.agency)
        files = [folder / name for name in ATTACHMENTS if (folder / name).is_file()]
        try:
            await send_email(settings, email_message(settings, lead, card, link, files))
        except (OSError, smtplib.SMTPException) as exc:
            results.append(Sent(lead.agency, "email", False, type(exc).__name__, to))
        else:
            results.append(Sent(lead.agency, "email", True, f"{len(files)} attachment(s)", to))
    return results
