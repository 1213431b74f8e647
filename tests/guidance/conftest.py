"""The shipped knowledge base, loaded once for the guidance tests, and labelled question sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from common.partnership import Partnership, load_partnership
from guidance.knowledge import KnowledgeBase, load_knowledge_base
from tests.helpers.shared import ROOT, read_jsonl, shared_path

DEV_QUESTIONS = Path(__file__).resolve().parent / "data" / "dev-questions.jsonl"


@pytest.fixture(scope="session")
def partnership() -> Partnership:
    return load_partnership(ROOT / "config" / "partnership.example.yaml")


@pytest.fixture(scope="session")
def kb(partnership: Partnership) -> KnowledgeBase:
    return load_knowledge_base(partnership)


@pytest.fixture
def public_questions() -> list[dict[str, Any]]:
    """The public sample (skips cleanly when ../shared is absent)."""
    return read_jsonl(shared_path("samples", "guidance-public.jsonl"))


@pytest.fixture(scope="session")
def dev_questions() -> list[dict[str, Any]]:
    """Our own realistic phrasings: every topic, out-of-scope questions and hard emergencies."""
    return read_jsonl(DEV_QUESTIONS)
