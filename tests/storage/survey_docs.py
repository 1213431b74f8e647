"""Survey state documents as the bot keeps them (sealed under the wave key), for the storage tests."""

from __future__ import annotations

from typing import Any

from common.settings import Settings
from storage.database import Database
from storage.responses import new_response_id
from storage.state import StateItem, StateStore
from storage.survey_state import sealed_survey
from surveys.turns import Progress

ANSWERS: dict[str, Any] = {
    "agency": "CSC",
    "works_with": "Children and families",
    "role_level": "Frontline practitioner",
    "training_recency": "In the last 6 months",
    "knowledge_sufficient": "Agree",
    "tools_used": ("Threshold of Needs", "Signs of Safety"),
    "confidence_rating": 7,
    "one_change": "More joint training with [name removed]",
    "anything_else": None,
}


def survey_document(
    person: str, wave_id: int, *, response_id: str | None = None, status: str = "submitting", **answers: Any
) -> dict[str, Any]:
    """{"person", "wave", "progress"} with a confirmed progress and a response id chosen once."""
    progress = Progress(
        questionnaire="practitioner",
        version=1,
        status=status,  # type: ignore[arg-type]
        answers={**ANSWERS, **answers},
        response_id=response_id or new_response_id(),
    )
    return {"person": person, "wave": wave_id, "progress": progress.to_json()}


async def keep(db: Database, settings: Settings, content: dict[str, Any]) -> str:
    """Write ``content`` sealed, as the bot's SurveyTurns does; returns its row key."""
    key, document = await sealed_survey(
        db, settings.secret_bytes(), int(content["wave"]), str(content["person"]), content
    )
    await StateStore(db).write({key: StateItem(document)})
    return key
