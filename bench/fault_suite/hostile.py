"""A hostile corpus against /api/messages, and odd text carried all the way into storage.

The corpus (at least ``hostile_requests`` requests, generated from a seed):
lone surrogates, NULs, unicode edge cases and injection strings in every text
field, fields of the wrong JSON type, mentions without names, oversize ids,
deep JSON, huge bodies, invalid bodies and wrong content types, unknown
activity types. About half arrive in the middle of a survey. Each must get a
2xx or a 4xx, never a 5xx, a time-out or the apology of a crashed turn; and a
sample of the identities used must still be able to start the survey after.

Then people complete surveys whose free text holds odd characters, next to
people whose answers are plain: every plain survey must be stored exactly as
given, ``python -m storage flush --all`` and ``close-wave`` must succeed, and
the wave key must be gone afterwards.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.fault_suite.client import APOLOGY_WORDS, Person, activity, read_screen
from bench.fault_suite.context import Fault, Run, drive, finish_checks, poster
from bench.fault_suite.databases import fresh_database
from bench.fault_suite.people import MARKER_ITEM, Turn
from bench.fault_suite.process import TRACEBACK, BotProcess, bot_environment, storage_command
from bench.fault_suite.results import Result, check_stored
from storage.cli import table_counts
from storage.database import Database
from storage.waves import latest_wave

MAX_BODY = 262144  # the bot's default MAX_BODY_BYTES

ODD_TEXT = (
    "\ud800", "abc\ud800def", "\udfff", "x\udc00\ud800y", "\x00", "a\x00b", "\ud800\x00",
)
UNICODE_EDGES = (
    "\u202eevil", "\u200b\u200c\u200d", "\ufeffbom", "\uffff", "\U0010ffff", "\ufffd", "👩‍👩‍👧‍👦",
    "e" + "\u0301" * 500, "２", "٣", "ǅ", "İstanbul", "ﬁ", "\r\n\t", "\x1b[31mred", "\x7f", "\u0085",
    "\u2028\u2029", "Ⅻ", "𝟘", " ", "", "\u00a0",
)
INJECTIONS = (
    "'; DROP TABLE responses; --", "\" OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}",
    "${jndi:ldap://127.0.0.1/a}", "../../../../etc/passwd", "%s%s%s%n", "{0.__class__}", "$(reboot)",
    "`id`", "\\", '{"type": "AdaptiveCard"}', "[link](javascript:alert(1))", "@everyone",
    "<at>Safeguarding</at>", "NULL", "undefined", "-1", "1e309", "NaN",
)
POISONS = ODD_TEXT + UNICODE_EDGES + INJECTIONS
TEXT_FIELDS = (
    ("text",), ("from", "name"), ("from", "id"), ("from", "aadObjectId"), ("conversation", "id"),
    ("conversation", "tenantId"), ("conversation", "conversationType"), ("conversation", "name"),
    ("channelData", "tenant", "id"), ("recipient", "id"), ("recipient", "name"), ("id",), ("replyToId",),
    ("locale",), ("timestamp",), ("channelId",), ("textFormat",), ("value", "answer"), ("value", "item"),
    ("value", "command"), ("value", "action"), ("value", "topic"), ("entities", 0, "text"),
    ("entities", 0, "mentioned", "name"), ("entities", 0, "mentioned", "id"), ("serviceUrl",),
    ("type",), ("deliveryMode",), ("localTimezone",),
)
WRONG_TYPES: tuple[Any, ...] = (1, 1.5, True, None, [], {}, ["a"], {"a": 1}, "", -(2**70))
TYPED_FIELDS = (
    ("type",), ("id",), ("text",), ("from",), ("from", "id"), ("from", "name"), ("from", "aadObjectId"),
    ("conversation",), ("conversation", "id"), ("conversation", "conversationType"), ("recipient",),
    ("channelData",), ("channelData", "tenant"), ("entities",), ("entities", 0), ("attachments",),
    ("value",), ("value", "item"), ("value", "answer"), ("value", "command"), ("timestamp",),
    ("locale",), ("serviceUrl",), ("channelId",), ("replyToId",), ("deliveryMode",), ("textFormat",),
    ("membersAdded",), ("suggestedActions",),
)
MENTIONS: tuple[Any, ...] = (
    [{"type": "mention"}],
    [{"type": "mention", "mentioned": {"id": "28:fault-suite-bot"}}],
    [{"type": "mention", "mentioned": {"id": "28:fault-suite-bot"}, "text": "<at>x</at>"}],
    [{"type": "mention", "mentioned": None, "text": "<at>x</at>"}],
    [{"type": "mention", "mentioned": {"name": None, "id": None}}],
    [{"type": "mention", "mentioned": "28:fault-suite-bot"}],
    [{"type": "mention", "mentioned": {"id": "28:fault-suite-bot", "name": 7}, "text": 7}],
    [{"type": "mention", "mentioned": {"id": "28:fault-suite-bot", "name": ""}, "text": ""}],
    [None],
    [{"type": None}],
    ["mention"],
    [{"mentioned": {"id": "28:fault-suite-bot", "name": "Safeguarding"}}],
)
OTHER_TYPES = (
    "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "typing", "endOfConversation",
    "event", "messageUpdate", "messageDelete", "unknownType", "MESSAGE", " message",
)
CONTENT_TYPES = (
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=utf-16", "application/xml", "APPLICATION/JSON", "application/json-patch+json",
)
BAD_BODIES = (
    b"", b"null", b"[]", b"123", b'"activity"', b"{", b'{"type": "message",', b"\xff\xfe\x00{",
    b"\xef\xbb\xbf{}", b'{"type": "message"}' * 2, b"{\"text\": \"\\ud800\"", b"\x00" * 64,
    b'{"type": "message", "text": "\xc3\x28"}', b"NaN", b"{\"a\": NaN}", b"{\"a\": Infinity}",
)


@dataclass(frozen=True)
class Case:
    kind: str
    detail: str
    body: bytes
    content_type: str | None = "application/json"
    user: str | None = None  # whose identity the body carries (for the follow-up check), if known
    mid_survey: bool = False


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set ``path`` in ``document``, making the dicts and the one-element lists on the way."""
    *parents, last = path
    node = document
    for index, step in enumerate(parents):
        following = path[index + 1]
        if isinstance(node, list):
            while len(node) <= step:
                node.append({})
            node = node[step]
            continue
        if not isinstance(node.get(step), dict | list):
            node[step] = [] if isinstance(following, int) else {}
        node = node[step]
    if isinstance(node, list):
        while len(node) <= last:
            node.append({})
    node[last] = value


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 24 else f"{text[:16]}...({len(text)} chars)"


def _dump(document: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as \\udXXX escapes, as a client's JSON encoder would send them.
    return json.dumps(document, ensure_ascii=True).encode()


class Corpus:
    """The hostile requests, generated in a fixed order from ``rng``."""

    def __init__(self, service_url: str, rng: random.Random) -> None:
        self.service_url = service_url
        self.rng = rng
        self.count = 0

    def base(self, mid_survey: bool) -> tuple[dict[str, Any], str]:
        self.count += 1
        user = f"hostile-{self.count}-{self.rng.getrandbits(32):08x}"
        body = activity(self.service_url, user, text="hello")
        if mid_survey:
            body["text"] = "2"
        return body, user

    def case(self, kind: str, path: tuple[Any, ...], value: Any, mid: bool) -> Case:
        body, user = self.base(mid)
        _set(body, path, value)
        identity = path[:1] not in {("from",), ("conversation",)}
        detail = f"{'.'.join(map(str, path))}={_short(value)}"
        return Case(kind, detail, _dump(body), user=user if identity else None, mid_survey=mid)

    def cases(self, at_least: int) -> Iterator[Case]:
        made = 0
        for mid in (False, True):
            for path in TEXT_FIELDS:
                for poison in POISONS:
                    made += 1
                    yield self.case("odd text in a field", path, poison, mid)
            for path in TYPED_FIELDS:
                for wrong in WRONG_TYPES:
                    made += 1
                    yield self.case("wrong field type", path, wrong, mid)
            for mention in MENTIONS:
                for text in ("<at>Safeguarding</at> hello", "hello", None):
                    body, user = self.base(mid)
                    body["entities"] = copy.deepcopy(mention)
                    if text is not None:
                        body["text"] = text
                    made += 1
                    yield Case("mention without a name", f"entities={_short(mention)}, text={_short(text)}",
                               _dump(body), user=user, mid_survey=mid)
            for path in (("from", "aadObjectId"), ("from", "id"), ("conversation", "id"), ("id",),
                         ("replyToId",), ("channelData", "tenant", "id"), ("value", "item"), ("locale",),
                         ("recipient", "id"), ("channelId",)):
                for size in (401, 1000, 10_000, 100_000):
                    made += 1
                    yield self.case("oversize id", path, "x" * size, mid)
            for depth in (100, 1000, 5000, 50_000):
                for path in (("value",), ("channelData",), ("entities",), ("attachments",), ("text",)):
                    body, user = self.base(mid)
                    raw = _dump(body)
                    key = json.dumps(path[0]).encode()
                    nested = b"[" * depth + b"1" + b"]" * depth
                    raw = raw[:-1] + b", " + key + b": " + nested + b"}"
                    made += 1
                    yield Case("deep JSON", f"{path[0]} nested {depth} deep", raw, user=user, mid_survey=mid)
            for kind in OTHER_TYPES:
                for value in (None, "x", {"action": {"data": {"item": "agency", "answer": "\ud800"}}}, []):
                    body, user = self.base(mid)
                    body["type"] = kind
                    body["name"] = "adaptiveCard/action"
                    body["value"] = value
                    body["membersAdded"] = [{"id": "\ud800"}, {}, None]
                    made += 1
                    yield Case("unusual activity type", f"type={kind}, value={_short(value)}", _dump(body),
                               user=user, mid_survey=mid)
            for content_type in CONTENT_TYPES:
                body, user = self.base(mid)
                made += 1
                yield Case("wrong content type", f"Content-Type: {content_type}", _dump(body), content_type,
                           user=user, mid_survey=mid)
            for raw in BAD_BODIES:
                made += 1
                yield Case("not a JSON activity", repr(raw[:24]), raw, mid_survey=mid)
        for size in (MAX_BODY + 1, 1_000_000, 8_000_000):
            body, _ = self.base(False)
            body["text"] = "a" * size
            made += 1
            yield Case("huge body", f"{size} characters of text", _dump(body))
        for size in (20_000, 100_000, 200_000):  # long, but under the body limit
            body, user = self.base(True)
            body["text"] = "help " * (size // 5)
            made += 1
            yield Case("long message", f"{size} characters of text", _dump(body), user=user, mid_survey=True)
        while made < at_least:  # random mixtures of the above, up to the count asked for
            mid = self.rng.random() < 0.5
            body, user = self.base(mid)
            for _ in range(self.rng.randint(2, 4)):
                path = self.rng.choice(TEXT_FIELDS + TYPED_FIELDS)
                value = self.rng.choice(POISONS + WRONG_TYPES)
                _set(body, path, value)
            made += 1
            yield Case("mixture", "random fields", _dump(body), mid_survey=mid)


async def _post(session: aiohttp.ClientSession, url: str, case: Case) -> tuple[int | None, str]:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    try:
        async with session.post(url + "/api/messages", data=io.BytesIO(case.body), headers=headers,
                                timeout=aiohttp.ClientTimeout(total=120)) as response:
            return response.status, (await response.read()).decode(errors="replace")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, type(exc).__name__


async def _starts(session: aiohttp.ClientSession, url: str, service_url: str, user: str) -> bool:
    """Whether ``user`` can start (or is shown) the survey with a plain "start survey"."""
    body = activity(service_url, user, text="start survey")
    async with session.post(url + "/api/messages", json=body) as response:
        if response.status != 200:
            return 400 <= response.status < 500  # refused at the edge, with a reason: fine
        replies = (await response.json()).get("activities", [])
    return read_screen(replies).kind in {"item", "summary", "done"}


async def _corpus(run: Run, result: Result, bot: BotProcess, select: Select | None) -> None:
    corpus = Corpus(run.service_url, run.rng)
    cases = [case for case in corpus.cases(run.bounds.hostile_requests) if select is None or select(case)]
    gate = asyncio.Semaphore(run.bounds.concurrency)
    kinds: dict[str, int] = {}

    async def one(case: Case) -> None:
        async with gate:
            if case.mid_survey and case.user:
                start = activity(run.service_url, case.user, text="start survey")
                await _post(run.session, bot.url, Case("setup", "start survey", _dump(start)))
            status, text = await _post(run.session, bot.url, case)
            result.tried += 1
            kinds[case.kind] = kinds.get(case.kind, 0) + 1
            reasons = []
            if status is None:
                reasons.append(f"{case.kind}: no answer ({text})")
            elif status >= 500:
                result.server_errors += 1
                reasons.append(f"{case.kind}: HTTP {status}")
            elif status == 200 and APOLOGY_WORDS in text:
                reasons.append(f"{case.kind}: the turn failed (apology) instead of a 4xx")
            if case.user and (select is not None or run.rng.random() < 0.1) and not await _starts(
                run.session, bot.url, run.service_url, case.user
            ):
                reasons.append(f"{case.kind}: the survey cannot start afterwards for that id")
            result.fail_once(reasons)
            if reasons:
                where = " mid-survey" if case.mid_survey else ""
                result.examples.append(f"{case.kind} [{case.detail}]{where}: " + "; ".join(reasons))

    await asyncio.gather(*(one(case) for case in cases))
    result.notes.append("corpus: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))


async def _odd_text_surveys(run: Run, result: Result, url: str, bot: BotProcess, plain: int) -> list[Person]:
    """Surveys with odd free text beside plain ones; then flush --all and close-wave must work."""
    odd = run.people(len(ODD_TEXT), "oddtext")
    for person, poison in zip(odd, ODD_TEXT, strict=True):
        clean = person.plan.turns[MARKER_ITEM]
        person.plan.turns[MARKER_ITEM] = Turn(MARKER_ITEM, text=f"{poison} {clean.text}")
        person.fallbacks[MARKER_ITEM] = clean
    plain_people = run.people(plain, "plain")
    send = poster(run.session, lambda _: bot)

    async def recover(person: Person, body: dict) -> None:
        await asyncio.sleep(0.2)

    await drive(odd, send, recover, run.bounds.concurrency)
    await drive(plain_people, send, recover, run.bounds.concurrency)
    env = bot_environment(url, run.workdir)
    db = await Database.open(url)
    try:
        opened = await latest_wave(db)
    finally:
        await db.close()
    wave_id = str(opened.id if opened else 1)
    for command in (("flush", "--all"), ("close-wave", wave_id)):
        done = await storage_command(env, *command)
        result.tried += 1
        if done.returncode != 0 or TRACEBACK in done.output:
            result.fail(f"python -m storage {' '.join(command)} failed after odd free text")
    db = await Database.open(url)
    try:
        counts = await table_counts(db)
        wave = await latest_wave(db)
    finally:
        await db.close()
    result.tried += 1
    if counts.get("wave_keys"):
        result.fail("the wave key survived close-wave")
    if wave is None or not wave.closed:
        result.fail("the wave is not marked closed")
    checked = Result("", "", "")
    await check_stored(url, plain_people, checked, loose=odd)
    result.tried += len(plain_people)
    for reason, count in checked.reasons.items():
        if "counted as wrong" in reason:
            result.reasons[f"beside odd text: {reason}"] += count
        else:
            result.fail(f"survey beside odd text: {reason}", count)
    result.lost += checked.lost
    result.duplicated += checked.duplicated
    result.wrong += checked.wrong
    result.tried += len(odd)
    return odd + plain_people


Select = Callable[[Case], bool]


def hostile_fault(select: Select | None = None, *, plain_surveys: int = 10, odd_text: bool = True) -> Fault:
    """The hostile fault: the corpus (only the cases ``select`` keeps, when given), then surveys
    with odd free text beside ``plain_surveys`` plain ones and the storage commands after them."""

    async def hostile(run: Run) -> Result:
        result = Result("hostile corpus", run.backend, "request")
        async with fresh_database(run.backend, run.workdir, "hostile") as url:
            bot = BotProcess(f"hostile-{run.backend}", bot_environment(url, run.workdir), run.workdir)
            await bot.start()
            await _corpus(run, result, bot, select)
            people = await _odd_text_surveys(run, result, url, bot, plain_surveys) if odd_text else []
            await finish_checks(result, [bot], run.bounds, people)
            await bot.stop()
        return result

    return hostile

