"""The partnership settings file: agencies, local contacts, agency leads, experts, boards.

Agencies live here, not in questionnaire definitions, so the same questionnaire
serves any partnership. A partnership may run several boards (say the
children's and the adults'), each with its own agencies, contacts, agency leads
and report recipients; a file that names none has one implicit board made of
its top-level settings, so older files keep working unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from common.errors import ContentError
from common.yamlfile import LINE_KEY, line_of, load_yaml

#: The name of the single board of a partnership file that names no boards.
IMPLICIT_BOARD = "partnership"
_BOARD_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    headcount: int | None = None


@dataclass(frozen=True)
class AgencyLead:
    agency: str
    email: str | None = None
    teams_user: str | None = None


@dataclass(frozen=True)
class Recipient:
    """Someone who receives the board's (partnership) report: by email and/or in Teams."""

    email: str | None = None
    teams_user: str | None = None


@dataclass(frozen=True)
class Board:
    """One board of the partnership: its agencies, contacts, agency leads and report recipients.

    ``contacts`` are the partnership's with the board's own on top; ``agency_leads``
    and ``report_recipients`` include the partnership-wide ones (top level of the file).
    """

    name: str
    title: str
    agencies: tuple[str, ...]
    contacts: Mapping[str, str]
    agency_leads: tuple[AgencyLead, ...]
    report_recipients: tuple[Recipient, ...] = ()


def lead_matches(lead: AgencyLead, person: str) -> bool:
    """Whether ``person`` (a "<channel>:<id>" key or a bare Teams id) is this lead's Teams account."""
    return bool(lead.teams_user) and lead.teams_user in (person, person.split(":", 1)[-1])


@dataclass(frozen=True)
class Partnership:
    """A partnership's settings, loaded and checked from its YAML file."""

    name: str
    short_name: str
    agencies: tuple[Agency, ...]
    contacts: Mapping[str, str]
    agency_leads: tuple[AgencyLead, ...]
    expert_channel: str
    expert_inbox: str
    default_questionnaire: str
    default_open_days: int
    # Share of an agency's frontline headcount whose responses evidence "completed the practitioner
    # questionnaire" in the self-assessment (a Blue rating needs it).
    questionnaire_target: float = 0.10
    boards: tuple[Board, ...] = ()

    def agency(self, code: str) -> Agency:
        """The agency with this code; KeyError when there is none."""
        for agency in self.agencies:
            if agency.code == code:
                return agency
        raise KeyError(code)

    def board(self, name: str) -> Board:
        """The board with this name; KeyError when there is none."""
        for board in self.boards:
            if board.name == name:
                return board
        raise KeyError(name)

    @property
    def board_names(self) -> tuple[str, ...]:
        return tuple(board.name for board in self.boards)

    def lead_agency(self, person: str) -> str | None:
        """The agency whose lead this person is (by the Teams id in the file), or None."""
        return next((lead.agency for lead in self.agency_leads if lead_matches(lead, person)), None)

    def boards_led_by(self, person: str) -> frozenset[str]:
        """The names of the boards in which this person is named as an agency lead."""
        return frozenset(
            board.name
            for board in self.boards
            if any(lead_matches(lead, person) for lead in board.agency_leads)
        )


def _require(data: Mapping[str, Any], key: str, path: str, kind: type) -> Any:
    if key not in data:
        raise ContentError(path, line_of(data), f"missing '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ContentError(path, line_of(data), f"'{key}' should be a {kind.__name__}")
    return value


def load_partnership(path: Path) -> Partnership:
    """Load and validate a partnership file; ContentError names file and line on any problem."""
    where = str(path)
    if not path.exists():
        raise ContentError(where, None, "partnership settings file not found")
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(where, 1, "expected a mapping at the top level")
    agencies: list[Agency] = []
    seen: set[str] = set()
    for row in _require(data, "agencies", where, list):
        code = str(_require(row, "code", where, str)).strip()
        if code in seen:
            raise ContentError(where, line_of(row), f"duplicate agency code '{code}'")
        seen.add(code)
        headcount = row.get("headcount")
        if headcount is not None and (not isinstance(headcount, int) or headcount < 0):
            raise ContentError(where, line_of(row), f"headcount of '{code}' should be a whole number")
        agencies.append(Agency(code, str(_require(row, "name", where, str)), headcount))
    if not agencies:
        raise ContentError(where, line_of(data), "no agencies listed")
    contacts = _contacts(data.get("contacts"), where, line_of(data))
    leads = _leads(data.get("agency_leads"), seen, where)
    recipients = _recipients(data.get("report_recipients"), where, line_of(data))
    experts = data.get("experts") or {}
    target = data.get("questionnaire_target", 0.10)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise ContentError(
            where, line_of(data), "'questionnaire_target' should be a share between 0 and 1, e.g. 0.1"
        )
    wave = data.get("default_wave") or {}
    name = str(_require(data, "name", where, str))
    boards = _boards(data, where, [a.code for a in agencies], contacts, leads, recipients) or (
        Board(
            IMPLICIT_BOARD,
            name,
            tuple(a.code for a in agencies),
            MappingProxyType(contacts),
            tuple(leads),
            recipients,
        ),
    )
    every_lead = tuple(dict.fromkeys(lead for board in boards for lead in board.agency_leads))
    return Partnership(
        name=name,
        short_name=str(data.get("short_name") or data["name"]),
        agencies=tuple(agencies),
        contacts=MappingProxyType(contacts),
        agency_leads=every_lead,
        expert_channel=str(experts.get("teams_channel") or ""),
        expert_inbox=str(experts.get("inbox") or ""),
        default_questionnaire=str(wave.get("questionnaire") or "practitioner"),
        default_open_days=int(wave.get("open_days") or 42),
        questionnaire_target=float(target),
        boards=boards,
    )


def _contacts(raw: Any, where: str, line: int | None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ContentError(where, line, "'contacts' should be a mapping of name: value")
    return {str(k): str(v) for k, v in raw.items() if k != LINE_KEY}


def _leads(raw: Any, agencies: set[str], where: str) -> list[AgencyLead]:
    leads = []
    for row in raw or []:
        code = _require(row, "agency", where, str)
        if code not in agencies:
            raise ContentError(where, line_of(row), f"agency lead for unknown agency '{code}'")
        leads.append(AgencyLead(code, row.get("email") or None, row.get("teams_user") or None))
    return leads


def _recipients(raw: Any, where: str, line: int | None) -> tuple[Recipient, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ContentError(where, line, "'report_recipients' should be a list of {email, teams_user}")
    found = []
    for row in raw:
        if not isinstance(row, dict) or not (row.get("email") or row.get("teams_user")):
            problem = "a report recipient needs an email or a teams_user"
            raise ContentError(where, line_of(row) or line, problem)
        found.append(Recipient(row.get("email") or None, row.get("teams_user") or None))
    return tuple(found)


def _boards(
    data: Mapping[str, Any],
    where: str,
    codes: list[str],
    contacts: dict[str, str],
    leads: list[AgencyLead],
    recipients: tuple[Recipient, ...],
) -> tuple[Board, ...]:
    """The boards the file names (none: the caller makes the implicit one)."""
    raw = data.get("boards")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ContentError(where, line_of(data), "'boards' should be a non-empty list")
    boards: list[Board] = []
    for row in raw:
        if not isinstance(row, dict):
            raise ContentError(where, line_of(data), "each board should be a mapping with a 'name'")
        line = line_of(row)
        name = str(_require(row, "name", where, str)).strip()
        if not _BOARD_NAME.match(name):
            raise ContentError(where, line, f"board name {name!r} should be lower-case-with-hyphens")
        if name in {board.name for board in boards}:
            raise ContentError(where, line, f"duplicate board '{name}'")
        members = row.get("agencies", codes)
        if not isinstance(members, list) or not members:
            raise ContentError(where, line, f"'agencies' of board '{name}' should be a list of agency codes")
        unknown = [str(code) for code in members if code not in codes]
        if unknown:
            raise ContentError(where, line, f"board '{name}' names unknown agency '{unknown[0]}'")
        own = _leads(row.get("agency_leads"), set(members), where)
        boards.append(
            Board(
                name=name,
                title=str(row.get("title") or name),
                agencies=tuple(code for code in codes if code in members),
                contacts=MappingProxyType({**contacts, **_contacts(row.get("contacts"), where, line)}),
                agency_leads=tuple(dict.fromkeys([*leads, *own])),
                report_recipients=recipients + _recipients(row.get("report_recipients"), where, line),
            )
        )
    return tuple(boards)
