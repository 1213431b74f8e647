"""Every conversation rule of the practitioner questionnaire, one step of ``advance`` at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from surveys.engine import COMMANDS, MAX_TEXT, advance, start, visible_items
from surveys.model import Definition
from surveys.turns import Progress, Said, ScreenVerdict
from tests.surveys.chat import Chat

# One full set of answers along the longest path (works_with Both, raised_concern Yes).
ALL_SHOWN: dict[str, Any] = {
    "agency": "EDU",
    "works_with": "Both",
    "role_level": "Frontline practitioner",
    "training_recency": "In the last 6 months",
    "training_applied": "Agree",
    "knowledge_sufficient": "Agree",
    "know_where_info": "Agree",
    "thresholds_children": "Agree",
    "thresholds_adults": "Agree",
    "raised_concern": "Yes",
    "referral_feedback": "Sometimes",
    "know_how_escalate": "Agree",
    "escalated": "No",
    "discuss_safeguarding": "Yes",
    "supported_concern": "Somewhat",
    "reflective_supervision": "Agree",
    "able_raise_concerns": "Agree",
    "tools_used": ("Neglect Tool",),
    "info_sharing_confident": "Agree",
    "joint_working": 3,
    "one_change": "More joint training",
    "anything_else": None,
}
# Typed answers that reach the first free-text item on the children-only, no-concern path.
TO_ONE_CHANGE = [
    "start survey", "TVP", "children", "1", "1", "agree", "agree", "agree", "agree", "no", "agree",
    "no", "yes", "agree", "agree", "dash", "agree", "3",
]  # fmt: skip


def at(item_id: str, **changes: Any) -> Progress:
    """Progress part way through: everything before ``item_id`` answered as in ALL_SHOWN."""
    ids = list(ALL_SHOWN)
    answers = {k: ALL_SHOWN[k] for k in ids[: ids.index(item_id)]} | changes
    return Progress("practitioner", 1, status="in_progress", current=item_id, answers=answers, reminded=True)


def at_summary() -> Progress:
    return Progress("practitioner", 1, status="confirming", answers=dict(ALL_SHOWN), reminded=True)


# -- typed answers, table-driven -------------------------------------------------------

ABSENT = object()
DASH = "Domestic abuse risk checklist (DASH)"


@pytest.mark.parametrize(
    ("item", "said", "outcome", "stored"),
    [
        ("agency", "14", "answered", "EDU"),
        ("agency", "Oxford University Hospitals NHS FT", "answered", "OUH"),
        ("agency", "cherwell", "answered", "CDC"),
        ("agency", "ouh", "answered", "OUH"),
        ("agency", "the council", "reprompt", ABSENT),
        ("agency", "17", "reprompt", ABSENT),
        ("agency", "a bakery", "no_match", ABSENT),
        ("works_with", "3", "answered", "Both"),
        ("role_level", "idk", "no_match", ABSENT),
        ("role_level", "3", "answered", "Senior manager"),
        ("training_applied", "agree", "answered", "Agree"),
        ("training_applied", "agree strongly", "answered", "Strongly agree"),
        ("training_applied", "1", "answered", "Strongly agree"),
        ("training_applied", "strongly", "reprompt", ABSENT),
        ("training_applied", "7", "reprompt", ABSENT),
        ("training_applied", "0", "reprompt", ABSENT),
        ("training_applied", "I don't agree", "no_match", ABSENT),
        ("raised_concern", "maybe", "no_match", ABSENT),
        ("raised_concern", "y", "answered", "Yes"),
        ("escalated", "no", "answered", "No"),
        ("escalated", "not needed", "answered", "Not needed"),
        ("tools_used", "1, 4", "answered", ("Neglect Tool", DASH)),
        ("tools_used", "neglect tool and DASH", "answered", ("Neglect Tool", DASH)),
        ("tools_used", "None of these", "answered", ("None of these",)),
        ("tools_used", "none, dash", "reprompt", ABSENT),
        ("tools_used", "dash and a toolkit", "reprompt", ABSENT),
        ("joint_working", "4", "answered", 4),
        ("joint_working", "4/5", "answered", 4),
        ("joint_working", "four", "answered", 4),
        ("joint_working", "10/10", "reprompt", ABSENT),
        ("joint_working", "7", "reprompt", ABSENT),
        ("joint_working", "well", "no_match", ABSENT),
        ("one_change", "More time for DSLs", "answered", "More time for DSLs"),
        ("one_change", "skip", "skipped", None),
        ("anything_else", "Ring Mr Smith on 01632 960402", "answered", "Ring [name] on [phone]"),
    ],
)
def test_a_typed_answer(practitioner: Definition, item: str, said: str, outcome: str, stored: object) -> None:
    step = advance(practitioner, at(item), Said(text=said))
    assert step.outcome == outcome
    if stored is ABSENT:
        assert item not in step.progress.answers
        assert step.progress.current == item, "a re-prompt stays on the same item"
        assert step.replies[-1].item_id == item
    else:
        assert step.progress.answers[item] == stored
        assert step.progress.current != item


def test_a_reprompt_says_what_was_wrong_and_shows_the_valid_choices(practitioner: Definition) -> None:
    step = advance(practitioner, at("agency"), Said(text="the council"))
    prompt = step.replies[-1]
    assert [c.label for c in prompt.choices] == [c.label for c in practitioner.item("agency").choices]
    assert prompt.note is not None
    assert "Cherwell District Council" in prompt.note
    assert "Oxford City Council" in prompt.note


def test_an_answer_names_what_was_understood(practitioner: Definition) -> None:
    step = advance(practitioner, at("agency"), Said(text="cherwell"))
    assert step.answered == ("agency", "Cherwell District Council")
    step = advance(practitioner, at("tools_used"), Said(text="1, 4"))
    assert step.answered == ("tools_used", "Neglect Tool; Domestic abuse risk checklist (DASH)")


# -- starting, position and branching ----------------------------------------------------


def test_nothing_is_asked_until_the_survey_is_started(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    step = chat.say("hello")
    assert step.outcome == "ignored"
    assert chat.progress.status == "not_started"
    assert "start survey" in chat.said_text()
    step = chat.say("Start survey")
    assert step.outcome == "started"
    assert step.replies[0].text == practitioner.intro
    assert chat.asked.item_id == "agency"
    assert (chat.asked.position, chat.asked.total) == (1, 22)


@pytest.mark.parametrize("said", [Said(text="start"), Said(value={"command": "start"})])
def test_start_or_the_start_button_starts_it_too(practitioner: Definition, said: Said) -> None:
    step = advance(practitioner, start(practitioner), said)
    assert step.outcome == "started"
    assert step.progress.current == "agency"


def test_the_total_follows_the_branching(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    seen = []
    for text in TO_ONE_CHANGE:
        chat.say(text)
        seen.append((chat.asked.item_id, chat.asked.position, chat.asked.total))
    assert seen[0] == ("agency", 1, 22)
    assert seen[2] == ("role_level", 3, 21)  # children only: thresholds_adults is not shown
    assert ("know_how_escalate", 10, 19) in seen  # no concern raised: two follow-ups gone
    assert seen[-1] == ("one_change", 18, 19)
    assert [p for _, p, _ in seen] == list(range(1, 19))


def test_visible_items_count_unanswered_branches_as_shown(practitioner: Definition) -> None:
    assert len(visible_items(practitioner, {})) == 22
    assert len(visible_items(practitioner, {"training_recency": "Never"})) == 21
    assert len(visible_items(practitioner, {"works_with": "Both", "raised_concern": "No"})) == 20


# -- back, next, skip -------------------------------------------------------------------


def test_back_shows_the_previous_item_with_its_answer_kept(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "3"])
    step = chat.say("back")
    assert step.outcome == "back"
    assert chat.asked.item_id == "works_with"
    assert chat.asked.current == "Both"
    assert chat.answers["works_with"] == "Both"
    step = chat.say("next")
    assert step.outcome == "answered"
    assert chat.asked.item_id == "role_level"


def test_back_at_the_first_item_stays_there(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.say("start survey")
    step = chat.say("back")
    assert chat.asked.item_id == "agency"
    assert "first question" in (step.replies[-1].note or "").lower()


def test_changing_an_answer_drops_answers_of_items_no_longer_shown(practitioner: Definition) -> None:
    progress = at("know_how_escalate")
    assert progress.answers["referral_feedback"] == "Sometimes"
    step = advance(practitioner, progress, Said(text="back"))
    step = advance(practitioner, step.progress, Said(text="back"))
    assert step.progress.current == "raised_concern"
    step = advance(practitioner, step.progress, Said(text="no"))
    assert "referral_feedback" not in step.progress.answers
    assert step.progress.current == "know_how_escalate"
    assert step.replies[-1].total == 20


def test_changing_an_answer_asks_items_that_are_newly_shown(practitioner: Definition) -> None:
    progress = at("raised_concern", raised_concern="No")
    progress = Progress.from_json({**progress.to_json(), "current": "know_how_escalate"})
    step = advance(practitioner, progress, Said(text="back"))
    assert step.progress.current == "raised_concern"
    step = advance(practitioner, step.progress, Said(text="yes"))
    assert step.progress.current == "referral_feedback"


def test_skip_is_refused_politely_for_a_required_item(practitioner: Definition) -> None:
    step = advance(practitioner, at("training_recency"), Said(text="skip"))
    assert step.outcome == "reprompt"
    assert step.progress.current == "training_recency"
    assert "can't be skipped" in (step.replies[-1].note or "")
    assert "skip" not in step.replies[-1].actions


def test_an_optional_item_can_be_skipped(practitioner: Definition) -> None:
    step = advance(practitioner, at("one_change"), Said(text="skip"))
    assert step.outcome == "skipped"
    assert step.progress.answers["one_change"] is None
    assert step.progress.current == "anything_else"


# -- pause, resume, restart, help -------------------------------------------------------


def test_stop_pauses_and_a_later_message_offers_resume_or_a_question(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14"])
    step = chat.say("stop")
    assert step.outcome == "paused"
    assert chat.progress.status == "paused"
    assert chat.progress.current == "works_with"
    step = chat.say("hi")
    assert step.outcome == "ignored"
    assert step.replies[-1].actions == ("resume", "ask")
    assert "question 2 (up to 20 more)" in chat.said_text()
    assert chat.answers == {"agency": "EDU"}
    step = chat.say("resume")
    assert step.outcome == "resumed"
    assert chat.asked.item_id == "works_with"
    assert chat.progress.status == "in_progress"


@pytest.mark.parametrize(
    ("status", "reply", "outcome", "now"),
    [
        ("paused", "yes", "resumed", "in_progress"),
        ("paused", "go on", "resumed", "in_progress"),
        ("paused", "not now", "ignored", "paused"),
        ("paused", "no", "ignored", "paused"),
        ("restarting", "sure", "restarted", "in_progress"),
        ("restarting", "later", "restart_cancelled", "in_progress"),
        ("confirming", "later", "paused", "paused"),
        ("confirming", "no", "reprompt", "confirming"),
        ("confirming", "1", "no_match", "confirming"),  # the summary's buttons are not numbered
        ("confirming", "ok", "submitted", "submitting"),
    ],
)
def test_a_short_reply_answers_the_question_just_asked(
    practitioner: Definition, status: str, reply: str, outcome: str, now: str
) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14"])
    if status == "paused":
        chat.say("pause")
    elif status == "restarting":
        chat.say("restart")
    else:
        chat.progress = at_summary()
    assert chat.progress.status == status
    step = chat.say(reply)
    assert (step.outcome, chat.progress.status) == (outcome, now)


def test_a_card_for_the_paused_item_does_not_answer_it_until_resumed(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "pause"])
    step = chat.press(item="works_with", answer="Both")
    assert step.outcome == "ignored"
    assert "works_with" not in chat.answers


def test_pause_at_the_summary_resumes_at_the_summary(practitioner: Definition) -> None:
    step = advance(practitioner, at_summary(), Said(text="pause"))
    step = advance(practitioner, step.progress, Said(text="resume"))
    assert step.progress.status == "confirming"
    assert step.replies[-1].kind == "summary"


def test_restart_asks_first_and_no_keeps_everything(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "3"])
    step = chat.say("restart")
    assert step.outcome == "restart_asked"
    assert chat.asked.kind == "confirm"
    assert [c.value for c in chat.asked.choices] == ["yes", "no"]
    step = chat.say("no")
    assert step.outcome == "restart_cancelled"
    assert chat.asked.item_id == "role_level"
    assert chat.answers == {"agency": "EDU", "works_with": "Both"}


def test_restart_confirmed_clears_the_unsubmitted_answers(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(TO_ONE_CHANGE)
    assert chat.progress.reminded
    chat.say("restart")
    step = chat.say("yes")
    assert step.outcome == "restarted"
    assert chat.answers == {}
    assert chat.asked.item_id == "agency"
    assert chat.asked.position == 1
    assert not chat.progress.reminded


def test_restart_waits_for_a_clear_yes_or_no(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "restart"])
    step = chat.say("hmm")
    assert step.outcome == "reprompt"
    assert chat.progress.status == "restarting"
    assert chat.press(command="yes").outcome == "restarted"


def test_help_explains_the_words_and_asks_the_same_item_again(practitioner: Definition) -> None:
    step = advance(practitioner, at("role_level"), Said(text="help"))
    assert step.outcome == "help"
    helptext = step.replies[0].text
    for word in ("back", "skip", "pause", "resume", "restart", "help"):
        assert word in helptext
    assert step.replies[-1].item_id == "role_level"


def test_every_command_word_maps_to_a_known_command() -> None:
    commands = {"back", "skip", "next", "pause", "resume", "restart", "help", "submit", "start"}
    assert set(COMMANDS.values()) == commands
    assert COMMANDS["stop"] == COMMANDS["pause"] == "pause"


def test_start_survey_in_the_middle_says_where_you_are(practitioner: Definition) -> None:
    step = advance(practitioner, at("role_level"), Said(text="start survey"))
    assert step.progress.current == "role_level"
    assert step.outcome == "reprompt"


def test_submit_before_the_end_is_not_a_submission(practitioner: Definition) -> None:
    step = advance(practitioner, at("role_level"), Said(text="submit"))
    assert step.submission is None
    assert step.progress.current == "role_level"


def test_submit_after_going_back_to_a_finished_questionnaire_shows_the_summary(
    practitioner: Definition,
) -> None:
    step = advance(practitioner, at_summary(), Said(text="back"))
    step = advance(practitioner, step.progress, Said(text="submit"))
    assert step.outcome == "summary"
    assert step.submission is None
    assert step.progress.status == "confirming"
    assert step.replies[-1].kind == "summary"


# -- free text ---------------------------------------------------------------------------


def test_the_reminder_comes_once_before_the_first_free_text_item(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(TO_ONE_CHANGE[:-1])
    step = chat.say("3")
    assert [p.text for p in step.replies][-2] == practitioner.free_text_reminder
    assert chat.asked.item_id == "one_change"
    step = chat.say("Shorter training")
    assert practitioner.free_text_reminder not in [p.text for p in step.replies]
    chat.say("back")
    step = chat.say("back")
    step = chat.say("next")
    assert practitioner.free_text_reminder not in [p.text for p in step.replies]


def test_at_a_free_text_item_command_words_still_work(practitioner: Definition) -> None:
    step = advance(practitioner, at("one_change"), Said(text="Back"))
    assert step.outcome == "back"
    assert step.progress.current == "joint_working"
    step = advance(practitioner, at("one_change"), Said(text="pause"))
    assert step.progress.status == "paused"


def test_at_a_free_text_item_other_text_is_the_answer(practitioner: Definition) -> None:
    step = advance(practitioner, at("one_change"), Said(text="Skip the jargon in training"))
    assert step.progress.answers["one_change"] == "Skip the jargon in training"


def test_free_text_is_redacted_before_it_is_kept(practitioner: Definition) -> None:
    said = "My client Jane Doe, DOB 02/09/2013, NHS 943 476 5919, lives at OX4 7AB: ring 07700 900318"
    step = advance(practitioner, at("one_change"), Said(text=said))
    kept = step.progress.answers["one_change"]
    assert kept == (
        "My client [name], DOB [date of birth], NHS [NHS number], lives at [postcode]: ring [phone]"
    )
    assert "07700" not in str(step.progress.to_json())
    assert step.answered == ("one_change", kept)


def test_a_very_long_answer_is_refused_not_cut(practitioner: Definition) -> None:
    step = advance(practitioner, at("one_change"), Said(text="x" * (MAX_TEXT + 1)))
    assert step.outcome == "reprompt"
    assert "one_change" not in step.progress.answers


@pytest.mark.parametrize(
    ("verdict", "words"), [("emergency", "999"), ("disclosure", "usual safeguarding route")]
)
def test_a_screened_answer_is_not_kept_and_says_what_to_do_now(
    practitioner: Definition, verdict: ScreenVerdict, words: str
) -> None:
    screened: list[str] = []

    def screen(text: str) -> ScreenVerdict | None:
        screened.append(text)
        return verdict if "Jack" in text else None

    chat = Chat(practitioner, screen=screen)
    chat.says(TO_ONE_CHANGE)
    step = chat.say("Jack in Year 4 told me his dad hits him and I'm worried")
    assert step.outcome == "screened"
    assert screened == ["Jack in Year 4 told me his dad hits him and I'm worried"]
    assert "one_change" not in chat.answers
    assert "Jack" not in str(chat.progress.to_json())
    told = chat.said_text()
    assert words in told
    assert "today" in told
    assert "999" in told
    assert "has not been kept" in told
    assert chat.asked.item_id == "one_change"
    assert "skip" in (chat.asked.note or "")
    step = chat.say("Quicker feedback from the MASH")
    assert chat.answers["one_change"] == "Quicker feedback from the MASH"


def test_command_words_are_not_screened(practitioner: Definition) -> None:
    def screen(text: str) -> ScreenVerdict | None:
        raise AssertionError(f"screened {text!r}")

    step = advance(practitioner, at("one_change"), Said(text="skip"), screen=screen)
    assert step.outcome == "skipped"


# -- summary, confirmation, submission --------------------------------------------------


def test_the_last_answer_leads_to_a_summary_and_nothing_is_submitted_yet(practitioner: Definition) -> None:
    step = advance(practitioner, at("anything_else"), Said(text="skip"))
    assert step.progress.status == "confirming"
    assert step.submission is None
    summary = step.replies[-1]
    assert summary.kind == "summary"
    assert len(summary.lines) == 22
    assert summary.lines[0] == ("Which organisation do you work for?", "Education (schools and colleges)")
    assert ("Anything else you would like the safeguarding boards to know?", "Skipped") in summary.lines
    assert ("How well do agencies in this area work together to keep children and adults safe?",
            "3 out of 5") in summary.lines  # fmt: skip


@pytest.mark.parametrize(("said", "outcome"), [("no", "reprompt"), ("what is the MASH?", "no_match")])
def test_the_summary_waits_for_a_clear_confirmation(
    practitioner: Definition, said: str, outcome: str
) -> None:
    step = advance(practitioner, at_summary(), Said(text=said))
    assert step.outcome == outcome
    assert step.submission is None
    assert step.progress.status == "confirming"
    assert step.replies[-1].kind == "summary"


@pytest.mark.parametrize("said", [Said(text="submit"), Said(text="Yes"), Said(value={"command": "submit"})])
def test_confirming_makes_a_submission_with_every_item(practitioner: Definition, said: Said) -> None:
    step = advance(practitioner, at_summary(), said)
    assert step.outcome == "submitted"
    assert step.progress.status == "submitting"
    assert step.submission is not None
    assert step.submission.agency == "EDU"
    assert (step.submission.questionnaire, step.submission.version) == ("practitioner", 1)
    assert list(step.submission.answers) == [item.id for item in practitioner.items]
    assert dict(step.submission.answers) == ALL_SHOWN
    assert step.replies[-1].text == practitioner.done_message


def test_items_not_shown_are_none_in_the_submission(practitioner: Definition) -> None:
    answers = {k: v for k, v in ALL_SHOWN.items() if k not in {"thresholds_adults"}}
    answers["works_with"] = "Children and families"
    progress = Progress("practitioner", 1, status="confirming", answers=answers, reminded=True)
    step = advance(practitioner, progress, Said(text="submit"))
    assert step.submission is not None
    assert step.submission.answers["thresholds_adults"] is None


def test_back_from_the_summary_goes_to_the_last_item(practitioner: Definition) -> None:
    step = advance(practitioner, at_summary(), Said(text="back"))
    assert step.progress.status == "in_progress"
    assert step.progress.current == "anything_else"


def test_submitting_again_after_a_failed_save_gives_the_same_submission(practitioner: Definition) -> None:
    first = advance(practitioner, at_summary(), Said(text="submit"))
    retry = advance(practitioner, first.progress, Said(text="submit"))
    assert retry.submission == first.submission
    other = advance(practitioner, first.progress, Said(text="hello"))
    assert other.outcome == "ignored"
    assert other.submission is None


def test_after_submission_further_messages_just_say_it_is_done(practitioner: Definition) -> None:
    done = Progress("practitioner", 1, status="submitted")
    step = advance(practitioner, done, Said(text="start survey"))
    assert step.outcome == "ignored"
    assert step.progress == done
    assert "already completed" in step.replies[0].text


# -- card submissions --------------------------------------------------------------------


def test_card_answers_for_the_current_item(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.say("start survey")
    assert chat.press(item="agency", answer="CDC").outcome == "answered"
    assert chat.answers["agency"] == "CDC"
    chat.press(item="works_with", answer="Both")
    assert chat.answers["works_with"] == "Both"
    one = {"item": "tools_used", "answer": ["Neglect Tool"]}
    step = advance(practitioner, at("tools_used"), Said(value=one))
    assert step.progress.answers["tools_used"] == ("Neglect Tool",)
    value = {"item": "tools_used", "answer": "Neglect Tool,Mental Capacity Assessment"}
    step = advance(practitioner, at("tools_used"), Said(value=value))
    assert step.progress.answers["tools_used"] == ("Neglect Tool", "Mental Capacity Assessment")
    step = advance(practitioner, at("joint_working"), Said(value={"item": "joint_working", "answer": "5"}))
    assert step.progress.answers["joint_working"] == 5


def test_a_card_answer_that_is_not_a_choice_is_reprompted(practitioner: Definition) -> None:
    both = {"item": "tools_used", "answer": ["Neglect Tool", "None of these"]}
    step = advance(practitioner, at("tools_used"), Said(value=both))
    assert step.outcome == "reprompt"
    assert "tools_used" not in step.progress.answers


def test_a_stale_card_after_back_does_not_touch_progress(practitioner: Definition) -> None:
    chat = Chat(practitioner)
    chat.says(["start survey", "14", "3", "back"])
    before = chat.progress
    step = chat.press(item="role_level", answer="Volunteer")  # the card we went back from
    assert step.outcome == "stale"
    assert chat.progress == before
    assert chat.asked.item_id == "works_with"


def test_a_stale_card_at_the_summary_shows_the_summary_again(practitioner: Definition) -> None:
    step = advance(practitioner, at_summary(), Said(value={"item": "agency", "answer": "TVP"}))
    assert step.outcome == "stale"
    assert step.progress == at_summary()
    assert step.replies[-1].kind == "summary"


# -- robustness ------------------------------------------------------------------------

ODD = [
    Said(), Said(text=""), Said(text="   "), Said(text="🙂"), Said(text=","), Said(text="and"),
    Said(text="1,"), Said(text="-1"), Said(text="none and none"), Said(text="?"),
    Said(value={}), Said(value={"item": None}), Said(value={"answer": 3}), Said(value={"command": "bogus"}),
    Said(value={"item": "agency"}), Said(text="4/0"), Said(text="1/5/5"),
]  # fmt: skip


@pytest.mark.parametrize("item", list(ALL_SHOWN))
def test_odd_input_at_any_item_gets_a_reply_and_loses_nothing(practitioner: Definition, item: str) -> None:
    progress = at(item)
    for said in ODD:
        step = advance(practitioner, progress, said)
        assert step.replies, f"no reply to {said}"
        kept = {k: v for k, v in step.progress.answers.items() if k != item}
        assert kept == dict(progress.answers), f"{said} changed earlier answers"
        assert Progress.from_json(json.loads(json.dumps(step.progress.to_json()))) == step.progress


def test_progress_from_an_older_definition_is_repaired_not_stuck(practitioner: Definition) -> None:
    old = Progress("practitioner", 1, status="in_progress", current="removed_item",
                   answers={"agency": "TVP", "removed_item": "x"})  # fmt: skip
    step = advance(practitioner, old, Said(text="help"))
    assert step.progress.current == "works_with"
    assert "removed_item" not in step.progress.answers


def test_progress_of_another_questionnaire_is_a_programming_error(practitioner: Definition) -> None:
    with pytest.raises(ValueError, match="impact-assessment"):
        advance(practitioner, Progress("impact-assessment", 1), Said(text="start"))


def test_start_is_a_fresh_progress(practitioner: Definition) -> None:
    assert start(practitioner) == Progress("practitioner", 1)


def test_a_question_typed_at_a_choice_item_is_left_for_the_guidance(practitioner: Definition) -> None:
    said = "how do I escalate a concern when I disagree with another agency's decision?"
    step = advance(practitioner, at("know_how_escalate"), Said(text=said))
    assert step.outcome == "no_match"
    assert step.progress == at("know_how_escalate")
    note = step.replies[-1].note or ""
    assert "“how do I escalate a concern when I…”" in note
    assert said not in note
