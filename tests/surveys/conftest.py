"""Fixtures for the questionnaire engine: the example partnership and the shipped definitions."""

from __future__ import annotations

import pytest

from common.partnership import Partnership, load_partnership
from common.settings import ROOT
from surveys.loader import load_definitions
from surveys.model import Definition


@pytest.fixture(scope="session")
def partnership() -> Partnership:
    return load_partnership(ROOT / "config" / "partnership.example.yaml")


@pytest.fixture(scope="session")
def definitions(partnership: Partnership) -> dict[str, Definition]:
    return load_definitions(partnership)


@pytest.fixture(scope="session")
def practitioner(definitions: dict[str, Definition]) -> Definition:
    return definitions["practitioner"]


@pytest.fixture(scope="session")
def impact(definitions: dict[str, Definition]) -> Definition:
    return definitions["impact-assessment"]
