"""The partnership settings file: agencies, local contacts, agency leads, experts, boards.

Agencies live here, not in questionnaire definitions, so the same questionnaire
serves any partnership. A partnership may run several boards (say the
children's and the adults'), each with its own agencies, contacts, agency leads
and report recipients; a file that names none has one implicit board made of
its top-level settings, so older files keep working unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from common.errors import ContentError
from common.schema import Schema, Text, parse, unique
from common.yamlfile import load_yaml

#: The name of the single board of a partnership file that names no boards.
IMPLICIT_BOARD = "partnership"
_BOARD_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
DEFAULT_QUESTIONNAIRE_TARGET = 0.10


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
    questionnaire_target: float = DEFAULT_QUESTIONNAIRE_TARGET
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


class _Section(Schema):
    """A part of the partnership file where a key left empty (``contacts:``) means its default."""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


class _Lead(Schema):
    agency: str
    email: str | None = None
    teams_user: str | None = None

    def lead(self) -> AgencyLead:
        return AgencyLead(self.agency, self.email or None, self.teams_user or None)


def _known_leads(leads: Iterable[_Lead], codes: Iterable[str]) -> None:
    known = set(codes)
    for lead in leads:
        if lead.agency not in known:
            raise ValueError(f"agency lead for unknown agency '{lead.agency}'")


def _lead_of_listed_agency(lead: _Lead, info: ValidationInfo) -> _Lead:
    """A lead's agency is one of the agencies listed before it (the partnership's or the board's);
    a board that lists none is checked against the partnership's by :func:`_board_of_known_agencies`."""
    listed = info.data.get("agencies")
    if listed is not None:
        _known_leads([lead], (a.code if isinstance(a, _Agency) else a for a in listed))
    return lead


_Leads = tuple[Annotated[_Lead, AfterValidator(_lead_of_listed_agency)], ...]


class _Recipient(Schema):
    email: str | None = None
    teams_user: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _reachable(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and (data.get("email") or data.get("teams_user"))):
            raise ValueError("a report recipient needs an email or a teams_user")
        return data

    def recipient(self) -> Recipient:
        return Recipient(self.email or None, self.teams_user or None)


class _Agency(Schema):
    code: Annotated[str, AfterValidator(str.strip)]
    name: str
    headcount: Annotated[int, Field(strict=True, ge=0)] | None = None


class _Board(_Section):
    name: Annotated[str, AfterValidator(str.strip)]
    title: str | None = None
    agencies: tuple[str, ...] | None = Field(default=None, min_length=1)
    contacts: dict[str, Text] = Field(default_factory=dict)
    agency_leads: _Leads = ()
    report_recipients: tuple[_Recipient, ...] = ()

    @field_validator("name")
    @classmethod
    def _hyphenated(cls, name: str) -> str:
        if not _BOARD_NAME.match(name):
            raise ValueError(f"board name {name!r} should be lower-case-with-hyphens")
        return name


def _board_of_known_agencies(board: _Board, info: ValidationInfo) -> _Board:
    codes = {agency.code for agency in info.data.get("agencies", ())}
    unknown = [code for code in board.agencies or () if code not in codes]
    if unknown:
        raise ValueError(f"board '{board.name}' names unknown agency '{unknown[0]}'")
    if board.agencies is None:
        _known_leads(board.agency_leads, codes)
    return board


class _Experts(_Section):
    teams_channel: Text = ""
    inbox: Text = ""


class _Wave(_Section):
    questionnaire: str = "practitioner"
    open_days: Annotated[int, Field(ge=1)] = 42


class _PartnershipFile(_Section):
    """The partnership file as declared; fields in the order they are checked (agencies first)."""

    name: str
    short_name: str | None = None
    agencies: tuple[_Agency, ...]
    contacts: dict[str, Text] = Field(default_factory=dict)
    agency_leads: _Leads = ()
    report_recipients: tuple[_Recipient, ...] = ()
    experts: _Experts = _Experts()
    default_wave: _Wave = _Wave()
    questionnaire_target: Annotated[float, Field(strict=True, gt=0, le=1)] = DEFAULT_QUESTIONNAIRE_TARGET
    boards: tuple[Annotated[_Board, AfterValidator(_board_of_known_agencies)], ...] | None = Field(
        default=None, min_length=1
    )

    @field_validator("agencies")
    @classmethod
    def _listed_once(cls, agencies: tuple[_Agency, ...]) -> Sequence[_Agency]:
        if not agencies:
            raise ValueError("no agencies listed")
        unique([agency.code for agency in agencies], "agency code")
        return agencies

    @field_validator("boards")
    @classmethod
    def _named_once(cls, boards: tuple[_Board, ...] | None) -> tuple[_Board, ...] | None:
        unique([board.name for board in boards or ()], "board")
        return boards

    @field_validator("questionnaire_target", mode="wrap")
    @classmethod
    def _a_share(cls, target: Any, handler: ValidatorFunctionWrapHandler) -> float:
        try:
            return float(handler(target))
        except ValidationError:
            raise ValueError("'questionnaire_target' should be a share between 0 and 1, e.g. 0.1") from None


def load_partnership(path: Path) -> Partnership:
    """Load and validate a partnership file; ContentError names file and line on any problem."""
    if not path.exists():
        raise ContentError(str(path), None, "partnership settings file not found")
    data = parse(_PartnershipFile, load_yaml(path), str(path))
    codes = tuple(agency.code for agency in data.agencies)
    leads = tuple(lead.lead() for lead in data.agency_leads)
    recipients = tuple(r.recipient() for r in data.report_recipients)
    boards = tuple(
        Board(
            name=board.name,
            title=board.title or board.name,
            agencies=tuple(code for code in codes if board.agencies is None or code in board.agencies),
            contacts=MappingProxyType({**data.contacts, **board.contacts}),
            agency_leads=tuple(dict.fromkeys([*leads, *(lead.lead() for lead in board.agency_leads)])),
            report_recipients=recipients + tuple(r.recipient() for r in board.report_recipients),
        )
        for board in data.boards or ()
    ) or (Board(IMPLICIT_BOARD, data.name, codes, MappingProxyType(dict(data.contacts)), leads, recipients),)
    return Partnership(
        name=data.name,
        short_name=data.short_name or data.name,
        agencies=tuple(Agency(a.code, a.name, a.headcount) for a in data.agencies),
        contacts=MappingProxyType(dict(data.contacts)),
        agency_leads=tuple(dict.fromkeys(lead for board in boards for lead in board.agency_leads)),
        expert_channel=data.experts.teams_channel,
        expert_inbox=data.experts.inbox,
        default_questionnaire=data.default_wave.questionnaire,
        default_open_days=data.default_wave.open_days,
        questionnaire_target=data.questionnaire_target,
        boards=boards,
    )
