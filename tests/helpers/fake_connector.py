"""A local fake of the Bot Connector service: the one edge of the bot we cannot reach here.

It answers the calls the bot makes to Teams (send, reply, update, create
conversation) on 127.0.0.1, records them, and can be told to answer the next
calls with 429 (with Retry-After) or 5xx. The shared Teams activities carry
serviceUrl ``http://127.0.0.1:3980/...``: run the fake on port 3980, or move
an activity onto the fake's port with ``pointed_at``.

Run alone (for the benchmarks): ``python -m tests.helpers.fake_connector --port 3980``;
``GET /_fake/counts`` then tells how many calls of each kind it answered. With
``per_second`` (``--per-second 50``) it throttles as Teams does: a send to a
tenant that already had that many in the last second is answered 429 with
Retry-After, and ``counts["throttled"]`` says how often; ``GET /_fake/recipients``
tells how many conversations were sent to and the most and the least any one received.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

SHARED_SERVICE_ORIGIN = "http://127.0.0.1:3980"

_ROUTE = re.compile(
    r"^(?P<prefix>.*?)/v3/conversations(?:/(?P<conv>[^/]+)/activities(?:/(?P<act>[^/]+))?)?/?$"
)


@dataclass(frozen=True)
class Call:
    """One request the bot made: what, where, and the JSON it sent."""

    method: str
    kind: str  # "send", "reply", "update", "delete" or "create"
    prefix: str  # the service URL's path before /v3, e.g. "/amer"
    conversation_id: str | None
    activity_id: str | None
    body: Any
    authorization: str | None
    at: float  # time.monotonic() when it arrived


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: str | None
    matches: Callable[[Call], bool]
    body: str | None = None  # answered as is, with ``content_type``, instead of a JSON error
    content_type: str = "text/plain"


@dataclass
class FakeConnector:
    """The fake service; ``async with FakeConnector() as fake:`` then point serviceUrl at ``fake.url``."""

    port: int = 0
    record: bool = True
    delay: float = 0.0  # seconds each answer takes, to hold calls in flight
    per_second: int = 0  # Teams' limit per tenant: more sends in one second get 429 (0: no limit)
    in_flight: int = 0
    max_in_flight: int = 0
    calls: list[Call] = field(default_factory=list)  # answered with success
    refused: list[Call] = field(default_factory=list)  # answered with an injected fault
    counts: dict[str, int] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _recent: dict[str, collections.deque[float]] = field(default_factory=dict)  # send times per tenant
    _received: collections.Counter[str] = field(default_factory=collections.Counter)  # sends per conversation
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        conversation: str | None = None,
        body: str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """Answer the next ``times`` matching calls with ``status`` (and a Retry-After header).

        With ``body`` the answer is that text as ``content_type`` (say an HTML error page, a
        text/plain "OK" or an empty body) instead of a Bot Connector's JSON error.
        """

        def matches(call: Call) -> bool:
            return conversation is None or call.conversation_id == conversation

        header = None if retry_after is None else str(retry_after)
        self._faults.append(_Fault(status, times, header, matches, body, content_type))

    def sent(self, conversation: str | None = None) -> list[Any]:
        """Bodies of the activities sent or replied (not updates), optionally to one conversation."""
        return [
            c.body
            for c in self.calls
            if c.kind in {"send", "reply"} and (conversation is None or c.conversation_id == conversation)
        ]

    async def wait_for_calls(self, count: int) -> None:
        """Return once at least ``count`` calls have been answered with success."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: len(self.calls) >= count)

    def of_kind(self, kind: str) -> list[Call]:
        return [c for c in self.calls if c.kind == kind]

    async def __aenter__(self) -> FakeConnector:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/_fake/counts":
            return web.json_response(self.counts)
        if request.path == "/_fake/recipients":
            most = max(self._received.values(), default=0)
            least = min(self._received.values(), default=0)
            return web.json_response({"conversations": len(self._received), "most": most, "least": least})
        match = _ROUTE.match(request.raw_path.split("?", 1)[0])
        if match is None:
            return web.json_response({"error": {"code": "NotFound", "message": request.path}}, status=404)
        conversation = unquote(match["conv"]) if match["conv"] else None
        activity = unquote(match["act"]) if match["act"] else None
        kind = _kind(request.method, conversation, activity)
        if kind is None:
            return web.json_response({"error": {"code": "MethodNotAllowed"}}, status=405)
        body = await request.json() if request.can_read_body else None
        auth = request.headers.get("Authorization")
        now = time.monotonic()
        call = Call(request.method, kind, match["prefix"], conversation, activity, body, auth, now)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self._answer(call)
        finally:
            self.in_flight -= 1
            async with self._arrived:
                self._arrived.notify_all()

    def _throttled(self, call: Call) -> bool:
        """Whether this send goes over ``per_second`` for its tenant (a sliding one-second window)."""
        if not self.per_second or call.kind not in {"send", "reply", "create"}:
            return False
        body = call.body if isinstance(call.body, dict) else {}
        tenant = str((body.get("conversation") or {}).get("tenantId") or "")
        recent = self._recent.setdefault(tenant, collections.deque())
        while recent and call.at - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.per_second:
            return True
        recent.append(call.at)
        return False

    def _answer(self, call: Call) -> web.Response:
        kind = call.kind
        if self._throttled(call):
            self.counts["throttled"] = self.counts.get("throttled", 0) + 1
            error = {"error": {"code": "Throttled", "message": "more than the fake's per-second limit"}}
            return web.json_response(error, status=429, headers={"Retry-After": "1"})
        self.counts[kind] = self.counts.get(kind, 0) + 1
        fault = next((f for f in self._faults if f.remaining > 0 and f.matches(call)), None)
        if fault is not None:
            fault.remaining -= 1
            if self.record:
                self.refused.append(call)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            if fault.body is not None:
                return web.Response(
                    status=fault.status, text=fault.body, content_type=fault.content_type, headers=headers
                )
            code = "Throttled" if fault.status == 429 else "ServiceError"
            error = {"error": {"code": code, "message": "injected by the fake connector"}}
            return web.json_response(error, status=fault.status, headers=headers)
        if self.record:
            self.calls.append(call)
        if kind in {"send", "reply"} and call.conversation_id:
            self._received[call.conversation_id] += 1
        if kind == "create":
            new_id = f"a:fake-conversation-{next(self._ids)}"
            return web.json_response({"id": new_id, "activityId": f"fake-{next(self._ids)}"}, status=201)
        if kind == "delete":
            return web.Response(status=200)
        return web.json_response({"id": call.activity_id if kind == "update" else f"fake-{next(self._ids)}"})


def _kind(method: str, conversation: str | None, activity: str | None) -> str | None:
    if conversation is None:
        return "create" if method == "POST" else None
    if method == "POST":
        return "reply" if activity else "send"
    if method == "PUT" and activity:
        return "update"
    if method == "DELETE" and activity:
        return "delete"
    return None


def pointed_at(activity: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A copy of ``activity`` whose serviceUrl is moved from the shared fixtures' origin to ``base_url``."""
    moved = copy.deepcopy(activity)
    service_url = moved.get("serviceUrl") or SHARED_SERVICE_ORIGIN + "/"
    moved["serviceUrl"] = base_url.rstrip("/") + service_url.removeprefix(SHARED_SERVICE_ORIGIN)
    return moved


async def _serve(port: int, per_second: int) -> None:
    fake = FakeConnector(port=port, record=False, per_second=per_second)
    async with fake:
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local fake Bot Connector (counts calls, records nothing).")
    parser.add_argument("--port", type=int, default=3980)
    parser.add_argument("--per-second", type=int, default=0, help="sends per tenant per second before 429")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.per_second))


if __name__ == "__main__":
    main()
