"""What every turn module needs, built once by the app factory.

A module of its own so the handler and the turn modules (survey, guidance,
assessment) can all depend on it without depending on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.hosts import Host
from bot.proactive import ProactiveSender
from bot.state import BotStateStorage
from bot.workers import TurnWorkers
from common.partnership import Partnership
from common.settings import Settings
from guidance.knowledge import KnowledgeBase
from storage.database import Database
from surveys.model import Definition


@dataclass(frozen=True)
class Services:
    """Everything a turn needs, built once by the app factory."""

    settings: Settings
    db: Database
    partnership: Partnership
    definitions: Mapping[str, Definition]
    knowledge: KnowledgeBase
    state: BotStateStorage
    host: Host
    clock: Callable[[], datetime]
    workers: TurnWorkers
    sender: ProactiveSender | None = None
