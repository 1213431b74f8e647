"""The agency impact assessment runs on the same engine: six questions, up to three issues each."""

from __future__ import annotations

from surveys.model import Definition
from surveys.turns import ScreenVerdict
from tests.surveys.chat import Chat


def test_an_agency_return_from_start_to_finish(impact: Definition) -> None:
    chat = Chat(impact)
    chat.say("start survey")
    assert (chat.asked.position, chat.asked.total) == (1, 7)
    step = chat.say("Children's Social Care")
    assert step.replies[0].text == impact.free_text_reminder
    assert chat.asked.item_id == "impact_q1"
    assert chat.asked.note is not None
    assert "done" in chat.asked.note

    chat.say("Budget cuts to early help")
    assert chat.asked.item_id == "impact_q1"
    assert chat.asked.current == ("Budget cuts to early help",)
    assert "1 of up to 3" in (chat.asked.note or "")
    assert "done" in chat.asked.actions
    chat.say("Recruitment and retention of social workers")
    step = chat.say("done")
    both = "Budget cuts to early help; Recruitment and retention of social workers"
    assert step.answered == ("impact_q1", both)
    assert chat.asked.item_id == "impact_q2"

    # Three issues finish a question without "done".
    chat.says(["Backlog at the front door", "Missed timescales for assessments", "Rise in CAMHS referrals"])
    assert chat.asked.item_id == "impact_q3"

    step = chat.say("done")  # nothing given yet: required
    assert step.outcome == "reprompt"
    assert chat.progress.current == "impact_q3"
    step = chat.say("skip")
    assert step.outcome == "reprompt"

    chat.say("Audit of strategy meetings")
    chat.press(command="done")  # the card's Done button
    chat.says(["Partners hold more risk: ring our duty line on 01865 123456", "done"])
    chat.says(["Joint commissioning", "done"])
    step = chat.says(["No multi-agency response means more children come into care", "done"])
    assert chat.asked.kind == "summary"
    step = chat.say("submit")
    assert step.submission is not None
    assert step.submission.agency == "CSC"
    assert dict(step.submission.answers) == {
        "agency": "CSC",
        "impact_q1": ("Budget cuts to early help", "Recruitment and retention of social workers"),
        "impact_q2": (
            "Backlog at the front door",
            "Missed timescales for assessments",
            "Rise in CAMHS referrals",
        ),
        "impact_q3": ("Audit of strategy meetings",),
        "impact_q4": ("Partners hold more risk: ring our duty line on [phone]",),
        "impact_q5": ("Joint commissioning",),
        "impact_q6": ("No multi-agency response means more children come into care",),
    }


def test_back_in_the_middle_of_a_list_keeps_the_issues_given_so_far(impact: Definition) -> None:
    chat = Chat(impact)
    chat.says(["start survey", "CSC", "Budget cuts", "done", "Backlog"])
    chat.say("back")
    assert chat.asked.item_id == "impact_q1"
    assert chat.answers["impact_q2"] == ("Backlog",)
    step = chat.say("next")  # keep q1 as it was
    assert step.outcome == "answered"
    assert chat.progress.current == "impact_q3"
    assert chat.answers["impact_q1"] == ("Budget cuts",)


def test_a_screened_issue_is_not_kept(impact: Definition) -> None:
    def screen(text: str) -> ScreenVerdict | None:
        return "disclosure" if "Year 4" in text else None

    chat = Chat(impact, screen=screen)
    chat.says(["start survey", "CSC", "Budget cuts"])
    step = chat.say("A boy in Year 4 told us about his stepdad")
    assert step.outcome == "screened"
    assert chat.progress.pending == ("Budget cuts",)
    assert "skip" not in (chat.asked.note or "")  # required: answer again, no skip offered
