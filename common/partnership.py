"""The partnership settings file: agencies, local contacts, agency leads, experts.

Agencies live here, not in questionnaire definitions, so the same questionnaire
serves any partnership.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from common.errors import ContentError
from common.yamlfile import line_of, load_yaml


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

    def agency(self, code: str) -> Agency:
        """The agency with this code; KeyError when there is none."""
        for agency in self.agencies:
            if agency.code == code:
                return agency
        raise KeyError(code)


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
    contacts = {
        str(k): str(v) for k, v in (data.get("contacts") or {}).items() if k != "__line__"
    }
    leads = []
    for row in data.get("agency_leads") or []:
        code = _require(row, "agency", where, str)
        if code not in seen:
            raise ContentError(where, line_of(row), f"agency lead for unknown agency '{code}'")
        leads.append(AgencyLead(code, row.get("email") or None, row.get("teams_user") or None))
    experts = data.get("experts") or {}
    target = data.get("questionnaire_target", 0.10)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise ContentError(
            where, line_of(data), "'questionnaire_target' should be a share between 0 and 1, e.g. 0.1"
        )
    wave = data.get("default_wave") or {}
    return Partnership(
        name=str(_require(data, "name", where, str)),
        short_name=str(data.get("short_name") or data["name"]),
        agencies=tuple(agencies),
        contacts=MappingProxyType(contacts),
        agency_leads=tuple(leads),
        expert_channel=str(experts.get("teams_channel") or ""),
        expert_inbox=str(experts.get("inbox") or ""),
        default_questionnaire=str(wave.get("questionnaire") or "practitioner"),
        default_open_days=int(wave.get("open_days") or 42),
        questionnaire_target=float(target),
    )
