"""Messages the bot starts itself: invitations and agency leads' summaries.

Teams throttles bots (HTTP 429 with Retry-After) and occasionally fails with
5xx, so every send here is bounded in concurrency, waits as long as Teams asks
(plus a little jitter, so a crowd of senders does not return at the same
instant), holds every other send back while it waits, retries a few times and
then gives up with a result that says why, so a run over thousands of people
never stops on one failure and can be resumed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity

from assessments.screening import MAX_TEXT
from bot.cards import card, card_activity, text_activity
from bot.hosts import ConnectionFailed, Host, NotAConnector, SendFailed
from bot.identity import TEAMS, channel_key
from bot.pacing import Pacer, retry_after_seconds
from common.partnership import AgencyLead
from common.settings import Settings
from storage.conversations import installed_personal
from storage.database import Database

log = logging.getLogger(__name__)

RETRYABLE = frozenset({500, 502, 503, 504})
SUMMARY_INPUT = "agency_summary"

SUMMARY_REQUEST = (
    "The board asks each agency for a summary of its findings: what these results tell you and what "
    "your agency will do. Write it here; it appears in the partnership report under your agency's name."
)


@dataclass(frozen=True)
class SendPolicy:
    """How hard to try: concurrent sends, attempts per message, back-off and its ceiling (seconds)."""

    concurrency: int = 8
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.2  # up to this fraction of each wait is added at random


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send: ``ok``, how many attempts, the last HTTP status and why it failed."""

    ok: bool
    attempts: int
    status: int | None = None
    activity_id: str | None = None
    error: str | None = None


class _GiveUp(Exception):
    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ProactiveSender:
    """Sends activities to stored conversation references through the host (bot.hosts).

    The host holds the app id and credentials; from ``settings`` comes the
    pace (TEAMS_SENDS_PER_SECOND per tenant, see bot.pacing), which every
    attempt, retries included, waits for. ``db`` is needed only by
    :meth:`send_summary`, to find an agency lead's conversation.
    """

    def __init__(
        self,
        settings: Settings,
        host: Host,
        *,
        policy: SendPolicy | None = None,
        db: Database | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._host = host
        self._db = db
        self._policy = policy or SendPolicy()
        self._slots = asyncio.Semaphore(self._policy.concurrency)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._pacer = Pacer(settings.teams_sends_per_second, clock=clock, sleep=sleep)
        self._resume_at = 0.0  # clock time before which nobody sends (set by a 429)

    async def send(self, reference: Mapping[str, Any], activity: Activity | str) -> Delivery:
        """Send ``activity`` (or plain text) to the conversation of a stored reference dict."""
        conversation = reference.get("conversation")
        if (
            not isinstance(conversation, Mapping)
            or not conversation.get("id")
            or not reference.get("serviceUrl")
        ):
            return Delivery(False, 0, error="the stored conversation reference is incomplete")
        message = text_activity(activity) if isinstance(activity, str) else activity
        async with self._slots:
            return await self._deliver(reference, str(conversation.get("tenantId") or ""), message)

    async def send_each(self, references: Sequence[Mapping[str, Any]], activity: Activity) -> list[Delivery]:
        """Send ``activity`` to every reference at once (each paced as usual); one Delivery per reference.

        For a batch whose outcomes are recorded together: a send that raises (a
        fault here, not a connector's answer, which is already a failed
        Delivery) is a failed Delivery too, so the others' outcomes are still
        recorded. Cancellation is not caught.
        """
        results = await asyncio.gather(
            *(self.send(ref, activity) for ref in references), return_exceptions=True
        )
        deliveries = []
        for result in results:
            if isinstance(result, Delivery):
                deliveries.append(result)
            elif isinstance(result, Exception):
                log.error("a send failed unexpectedly", exc_info=result)
                deliveries.append(Delivery(False, 0, error=f"the send raised {type(result).__name__}"))
            else:
                raise result
        return deliveries

    async def send_card(
        self, reference: Mapping[str, Any], card: Mapping[str, Any], summary: str
    ) -> Delivery:
        """Send one Adaptive Card to the conversation of ``reference``."""
        return await self.send(reference, card_activity(dict(card), summary=summary))

    async def send_summary(self, lead: AgencyLead, summary: Mapping[str, Any], link: str) -> Delivery:
        """Send an agency lead their collated return: headline figures and the report link.

        Implements ``analysis.delivery.TeamsSender``; reaches the lead as :meth:`send_to_lead` does.
        """
        content = summary_card(summary, link)
        return await self.send_to_lead(lead, card_activity(content, summary=content["fallbackText"]))

    async def send_to_lead(self, lead: AgencyLead, activity: Activity | str) -> Delivery:
        """Send to an agency lead's personal chat with the bot, found by their Teams (AAD object) id.

        Needs ``db``. A lead who has not installed the bot cannot be messaged:
        that is a failed Delivery saying so, not an exception.
        """
        if not lead.teams_user:
            return Delivery(False, 0, error="no Teams user is set for this lead")
        if self._db is None:
            return Delivery(False, 0, error="no database to find the lead's conversation in")
        person = channel_key(TEAMS, lead.teams_user)
        stored = next(iter(await installed_personal(self._db, user_id=person)), None)
        if stored is None:
            return Delivery(False, 0, error="the lead has not installed the bot in Teams")
        return await self.send(stored.reference, activity)

    async def _deliver(self, reference: Mapping[str, Any], tenant: str, message: Activity) -> Delivery:
        policy = self._policy
        attempt = 0
        status: int | None = None
        while True:
            attempt += 1
            await self._turn(tenant)
            try:
                activity_id = await self._host.send_proactive(reference, message)
            except SendFailed as exc:
                status = exc.status
                try:
                    delay = self._delay_after(status, exc.retry_after, attempt)
                except _GiveUp as give_up:
                    return Delivery(False, attempt, give_up.status, error=give_up.reason)
            except NotAConnector:
                # e.g. a reference stored by the local chat page, whose service is the bot itself:
                # whatever answered is not a Bot Connector, and asking again will not change that.
                reason = "the service answered with something other than a Bot Connector reply"
                return Delivery(False, attempt, None, error=reason)
            except ConnectionFailed as exc:
                status = None
                if attempt >= policy.attempts:
                    return Delivery(False, attempt, None, error=f"connection failed: {exc}")
                delay = self._backoff(attempt)
            except Exception as exc:
                # Any other answer the client library could not read (an empty body makes msrest
                # raise ValueError): that person fails with the reason and a run over thousands goes on.
                reason = f"the service gave an answer that could not be read ({type(exc).__name__})"
                return Delivery(False, attempt, None, error=reason)
            else:
                return Delivery(True, attempt, 200, activity_id=activity_id)
            log.info("proactive send: status %s, retrying in %.1f s (attempt %d)", status, delay, attempt)
            if status == 429:
                self._hold_everyone(delay)  # the wait happens at the top of the loop, shared by all
            else:
                await self._sleep(delay)

    def _delay_after(self, status: int | None, header: str | None, attempt: int) -> float:
        """How long to wait before trying again; raises _GiveUp when trying again is pointless."""
        policy = self._policy
        if status == 429 or status in RETRYABLE:
            if attempt >= policy.attempts:
                raise _GiveUp(status, f"HTTP {status} after {attempt} attempts")
            asked = retry_after_seconds(header)
            if asked is not None and asked > policy.max_delay:
                reason = f"HTTP {status}: asked to wait {asked:.0f} s, more than {policy.max_delay:.0f} s"
                raise _GiveUp(status, reason)
            return self._with_jitter(asked) if asked is not None else self._backoff(attempt)
        raise _GiveUp(status, f"HTTP {status}: not retried")

    def _backoff(self, attempt: int) -> float:
        policy = self._policy
        return self._with_jitter(min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)))

    def _with_jitter(self, delay: float) -> float:
        return delay + delay * self._policy.jitter * self._rng.random()

    async def _turn(self, tenant: str) -> None:
        """Wait out any hold (a 429's Retry-After), then this send's slot in the tenant's pace.

        A 429 that comes while a send waits for its slot holds it too: the
        senders queued behind the throttled one hold slots up to a second
        ahead, and sending in them would meet the same full window at the
        connector (each 429 more holds everyone back again). So the slot is
        given up, and the send waits for the hold and takes a fresh one.
        """
        await self._wait_for_quiet()
        await self._pacer.wait(tenant)
        if self._resume_at > self._clock():
            await self._wait_for_quiet()
            await self._pacer.wait(tenant)

    def _hold_everyone(self, delay: float) -> None:
        self._resume_at = max(self._resume_at, self._clock() + delay)

    async def _wait_for_quiet(self) -> None:
        remaining = self._resume_at - self._clock()
        if remaining > 0:
            await self._sleep(remaining)


def summary_card(summary: Mapping[str, Any], link: str) -> dict[str, Any]:
    """An agency's headline figures (the analysis summary dict, as its plain text) and a report button."""
    # Imported here: the analysis stack (pandas) is only needed when summaries are sent.
    from analysis.delivery import summary_text

    title, _, rest = summary_text(summary).partition("\n\n")
    body = [{"type": "TextBlock", "text": title, "wrap": True, "weight": "Bolder"}]
    lines = [line for line in rest.splitlines() if line]
    body += [{"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in lines]
    actions: list[dict[str, Any]] = [{"type": "Action.OpenUrl", "title": "Open the full report", "url": link}]
    if summary.get("ask_summary"):  # the board asks each agency for its own summary of the findings
        body += [
            {"type": "TextBlock", "text": SUMMARY_REQUEST, "wrap": True, "separator": True},
            {
                "type": "Input.Text",
                "id": SUMMARY_INPUT,
                "isMultiline": True,
                "maxLength": MAX_TEXT,
                "label": "Your agency's summary of the findings",
                "placeholder": "What the findings tell you, and what your agency will do about them",
            },
        ]
        data = {"action": "agency_summary", "wave": summary["wave"], "agency": summary["agency"]}
        actions.append({"type": "Action.Submit", "title": "Send our summary to the board", "data": data})
    content = card(body, title)
    content["actions"] = actions
    return content
