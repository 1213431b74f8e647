"""The survey engine's hook for free-text answers: emergency, disclosure, or nothing to act on."""

from __future__ import annotations

import pytest

from common.errors import ContentError
from guidance.screening import (
    disclosure_about,
    screen,
    self_disclosure,
    self_disclosure_cues,
    support_message,
)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("a child on my caseload told me her stepdad hits her", "disclosure"),
        ("one of my residents said her carer shouts at her and takes her money", "disclosure"),
        ("I'm worried about a boy in my class who has bruises most Mondays", "disclosure"),
        ("my client says her son takes her pension every week", "disclosure"),
        ("a girl in year 9 disclosed that she is being groomed online", "disclosure"),
        ("he's going to kill her tonight", "emergency"),
        (
            "training was fine but a pupil just told me he's scared to go home because dad will hurt him",
            "emergency",
        ),
        ("thresholds are unclear", None),
        ("the MASH takes too long to reply to emails", None),
        ("more training on neglect and domestic abuse would help", None),
        ("I noticed more awareness of exploitation after the course", None),
        ("better joint working between police and health", None),
        ("", None),
    ],
)
def test_screen(text: str, verdict: str | None) -> None:
    assert screen(text) == verdict


# Disclosures about the writer themselves (issue 12): recognised, told apart from
# disclosures about others, and given a support message with the local contacts.
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("honestly things at home are bad, my husband hits me when he drinks", "domestic-abuse"),
        ("my girlfriend won't let me see my friends and checks my phone every night", "domestic-abuse"),
        ("i'm being abused at home and nobody at work knows", "domestic-abuse"),
        ("I've been cutting myself again since the review", "self-harm"),
        ("most nights I think about ending it all", "self-harm"),
        ("i dont want to be here anymore", "self-harm"),
        ("a dad punched me during a home visit and it was never followed up", "harmed-at-work"),
        ("I was assaulted by a resident on a night shift", "harmed-at-work"),
        ("my manager harasses me in the office", "harmed-at-work"),
    ],
)
def test_a_disclosure_about_the_writer_is_recognised_with_its_kind(text: str, kind: str) -> None:
    assert self_disclosure(text) == kind
    assert disclosure_about(text) == "self"
    assert screen(text) is not None  # so the words are screened out ("emergency" may come first)


@pytest.mark.parametrize(
    "text",
    [
        "a colleague told me her husband hits her",  # about someone else
        "my client says her partner threatens her",
        "training on self-harm for teachers please",
        "staff get threatened by parents, we need a lone working policy",
        "I was hit by the cuts like every team",
        "my manager is supportive",
        "more support for staff dealing with suicide cases",
    ],
)
def test_comments_and_disclosures_about_others_are_not_about_the_writer(text: str) -> None:
    assert self_disclosure(text) is None


def test_the_support_message_names_the_local_contacts_and_999(partnership) -> None:
    for kind in ("domestic-abuse", "self-harm", "harmed-at-work"):
        message = support_message(kind, partnership.contacts)
        assert "999" in message
        assert partnership.contacts["eap_contact"] in message
    assert partnership.contacts["domestic_abuse_helpline"] in support_message(
        "domestic-abuse", partnership.contacts
    )
    with pytest.raises(ContentError, match="eap_contact"):
        support_message("self-harm", {})


def test_a_self_disclosure_file_without_support_text_names_the_kind(tmp_path) -> None:
    path = tmp_path / "self.yaml"
    path.write_text("groups:\n  - name: self-harm\n    any: ['hurt myself']\nsupport: {}\n", encoding="utf-8")
    with pytest.raises(ContentError, match="self-harm"):
        self_disclosure_cues(path)
