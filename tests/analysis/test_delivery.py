"""Delivery to agency leads: the summary card data, email through a real local SMTP server, Teams."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from analysis.delivery import deliver, lead_summary, summary_text
from analysis.links import verify_report_path
from analysis.reports import write_report
from analysis.summaries import summarise
from common.partnership import Agency, AgencyLead, Partnership
from common.settings import Settings
from tests.analysis.conftest import HEADCOUNTS, SMALL

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def partnership(*leads: AgencyLead) -> Partnership:
    return Partnership(
        name="Test Partnership",
        short_name="TP",
        agencies=(Agency("AAA", "Agency A", 40), Agency("BBB", "Agency B", 20), Agency("CCC", "Agency C")),
        contacts={},
        agency_leads=leads,
        expert_channel="",
        expert_inbox="",
        default_questionnaire="small",
        default_open_days=42,
    )


@pytest.fixture
def summary(hand_frame, small_measures):
    return summarise(hand_frame, SMALL, small_measures, HEADCOUNTS, 3)


class RecordingTeams:
    """The bot layer's sender, faked at the edge: records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[AgencyLead, dict, str]] = []

    async def send_summary(self, lead, summary, link):
        self.sent.append((lead, dict(summary), link))


def test_lead_summary_is_plain_data_with_partnership_beside(summary):
    card = lead_summary(summary.for_agency("AAA"), "AAA", "Agency A", "Test Partnership")
    assert card["responses"] == 4
    assert card["response_rate"] == 10.0
    assert card["target_met"] is True
    trained = next(f for f in card["figures"] if f["measure"] == "trained")
    assert trained == {
        "measure": "trained",
        "label": "Trained",
        "of": "of respondents",
        "unit": "%",
        "value": 75.0,
        "count": 3,
        "base": 4,
        "suppressed": False,
        "partnership": 75.0,
        "change": None,
        "change_beyond_chance": None,
    }
    told = next(f for f in card["figures"] if f["measure"] == "told")
    assert told["suppressed"]
    assert told["value"] is None
    assert told["partnership"] == 60.0
    assert "Trained: 75% (3 of respondents, base 4); partnership 75%" in summary_text(card)


def test_a_suppressed_agency_card_carries_no_numbers(summary):
    card = lead_summary(summary.for_agency("CCC"), "CCC", "Agency C", "Test Partnership")
    assert card["suppressed"]
    assert card["responses"] is None
    assert all(f["value"] is None for f in card["figures"] if f["unit"] == "%")
    assert "suppressed: too few responses (fewer than 3)" in summary_text(card)


def test_a_cover_agency_is_told_the_true_reason(summary):
    # BBB has enough responses of its own; it is hidden so that CCC cannot be worked out (issue 13)
    card = lead_summary(summary.for_agency("BBB"), "BBB", "Agency B", "Test Partnership")
    assert card["suppressed_reason"] == "cover"
    assert "hidden so that another small group's figures cannot be worked out" in summary_text(card)
    assert "fewer than" not in summary_text(card)


async def test_email_goes_by_smtp_with_the_report_attached(smtp, summary, tmp_path):
    controller, inbox = smtp
    settings = Settings.from_env(
        {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SECRET_KEY": "s"}, report_dir=tmp_path
    )
    write_report(summary.for_agency("AAA"), SMALL, "AAA", tmp_path, {"AAA": "Agency A"}, "Survey")
    results = await deliver(
        settings, partnership(AgencyLead("AAA", email="lead@example.org")), summary, NOW, None
    )
    assert [(r.agency, r.channel, r.ok) for r in results] == [("AAA", "email", True)]
    (message,) = inbox.messages
    assert message["To"] == "lead@example.org"
    assert "Agency A" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Responses: 4" in body
    link = body.split("/reports/", 1)[1].split()[0]
    assert verify_report_path(settings, link, NOW) == (summary.wave, "AAA")
    names = {part.get_filename() for part in message.iter_attachments()}
    assert names == {"report.html", "report.pdf"}


async def test_teams_goes_through_the_senders_protocol(summary, tmp_path):
    settings = Settings.from_env({"SECRET_KEY": "s"}, report_dir=tmp_path)
    teams = RecordingTeams()
    lead = AgencyLead("BBB", teams_user="aad-object-id")
    results = await deliver(settings, partnership(lead), summary, NOW, teams)
    assert [(r.channel, r.ok) for r in results] == [("teams", True)]
    ((sent_lead, card, link),) = teams.sent
    assert sent_lead == lead
    assert card["agency"] == "BBB"
    assert card["suppressed"]
    assert verify_report_path(settings, link.split("/reports/", 1)[1], NOW) == (summary.wave, "BBB")


async def test_what_cannot_be_sent_is_reported_not_dropped(summary, tmp_path):
    settings = Settings.from_env(
        {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port())}, report_dir=tmp_path
    )
    lead = AgencyLead("AAA", email="lead@example.org", teams_user="someone")
    results = await deliver(settings, partnership(lead), summary, NOW, None)
    assert [(r.channel, r.ok, r.detail) for r in results] == [
        ("teams", False, "Teams sending is not wired"),
        ("email", False, "ConnectionRefusedError"),
    ]
