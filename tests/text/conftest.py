from __future__ import annotations

import pytest

from analysis.themes import load_codebook
from common.partnership import load_partnership
from guidance.knowledge import load_knowledge_base
from tests.helpers.shared import ROOT


@pytest.fixture(scope="session")
def kb_reader_and_codebook():
    kb = load_knowledge_base(load_partnership(ROOT / "config" / "partnership.example.yaml"))
    return kb.reader, load_codebook("one_change")
