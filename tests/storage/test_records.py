"""Guidance gaps, conversation references, expert questions and invitation progress."""

from __future__ import annotations

import pytest

from storage import conversations, experts, guidance_log, invitations, responses
from storage.database import Database
from storage.errors import NotFound
from storage.waves import Wave
from surveys.turns import Submission
from tests.storage.conftest import TODAY


async def test_gaps_list_unanswered_and_unhelpful_questions_most_frequent_first(db: Database) -> None:
    for _ in range(3):
        await guidance_log.record_question(db, "what is a strategy meeting", None, 0.1, answered=False)
    await guidance_log.record_question(db, "what is the mash", "mash", 0.9, answered=True)
    await guidance_log.record_feedback(db, "escalation", helpful=False, question_redacted="how do i escalate")
    await guidance_log.record_feedback(db, "escalation", helpful=True, question_redacted="how do i escalate")
    gaps = await guidance_log.top_gaps(db)
    assert [(g.topic, g.question, g.count, g.unanswered, g.unhelpful) for g in gaps] == [
        (None, "what is a strategy meeting", 3, 3, 0),
        ("escalation", "how do i escalate", 1, 0, 1),
    ]
    assert len(await guidance_log.top_gaps(db, limit=1)) == 1


async def test_references_are_kept_replaced_listed_and_removed(db: Database) -> None:
    await conversations.save_reference(db, "u1", {"conversation": {"id": "a"}}, "personal", "aad-1")
    await conversations.save_reference(db, "u1", {"conversation": {"id": "b"}}, "personal", "aad-1")
    await conversations.save_reference(db, "team", {"conversation": {"id": "19:x"}}, "channel", None)
    stored = await conversations.get_reference(db, "u1")
    assert stored == conversations.StoredReference("u1", "personal", "aad-1", {"conversation": {"id": "b"}})
    assert [r.key for r in await conversations.installed_personal(db)] == ["u1"]
    await conversations.remove_reference(db, "u1")
    assert await conversations.get_reference(db, "u1") is None
    with pytest.raises(ValueError, match="kind"):
        await conversations.save_reference(db, "x", {}, "group", None)  # type: ignore[arg-type]


async def test_expert_questions_wait_until_answered(db: Database) -> None:
    secret = b"records-secret"
    route = {"conversation": {"id": "a:u1"}}
    first = await experts.ask(db, "who is our LADO?", route, secret, keep_days=30, today=TODAY)
    second = await experts.ask(db, "is a strategy meeting needed?", {}, secret, keep_days=30, today=TODAY)
    assert [q.id for q in await experts.pending(db)] == [first, second]
    answered = await experts.answer(db, first, "Call the LADO line.", today=TODAY)
    assert (answered.answer, answered.asked_month, answered.answered_month) == (
        "Call the LADO line.",
        "2026-11",
        "2026-11",
    )
    assert await experts.route_back(db, answered, secret) == route
    assert await experts.route_back(db, answered, b"another secret") is None
    await experts.forget_route(db, answered, secret)
    assert await experts.route_back(db, answered, secret) is None
    assert [q.id for q in await experts.pending(db)] == [second]
    with pytest.raises(NotFound):
        await experts.answer(db, 999, "?")


async def test_invitations_resume_where_they_stopped(db: Database, wave: Wave) -> None:
    everyone = ["u1", "u2", "u3", "u4"]
    await invitations.mark(db, wave.id, "u1", "sent")
    await invitations.mark(db, wave.id, "u2", "failed")
    assert await invitations.still_to_send(db, wave.id, everyone) == ["u2", "u3", "u4"]
    await invitations.mark(db, wave.id, "u2", "sent")
    assert await invitations.statuses(db, wave.id) == {"u1": "sent", "u2": "sent"}
    assert await invitations.counts(db, wave.id) == {"sent": 2}
    assert await invitations.still_to_send(db, wave.id, everyone) == ["u3", "u4"]


async def test_demo_responses_go_straight_into_the_response_table(db: Database, wave: Wave) -> None:
    rows = [
        (
            Submission("practitioner", 1, agency, {"agency": agency, "tools_used": ("A", "B"), "score": n}),
            "2026-11",
        )
        for n, agency in enumerate(["CSC", "CSC", "TVP"])
    ]
    assert await responses.add_responses(db, wave.id, rows) == 3
    stored = await responses.read_responses(db, wave.id)
    assert sorted((r.agency, r.answers["score"]) for r in stored) == [("CSC", 0), ("CSC", 1), ("TVP", 2)]
    assert all(r.answers["tools_used"] == ("A", "B") and r.works_with is None for r in stored)
    assert await responses.count_by_agency(db, wave.id) == {"CSC": 2, "TVP": 1}
    assert await responses.read_responses(db, wave.id + 1) == []
