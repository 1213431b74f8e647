"""What every fault is given: the backend, a work folder, the run's bounds, a seeded random source."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.fault_suite.client import Exchange, Person, Recover, Send, complete
from bench.fault_suite.people import Plan, plan, practitioner_definition
from bench.fault_suite.process import BotProcess
from bench.fault_suite.results import Result


@dataclass(frozen=True)
class Bounds:
    """How much each fault does; the defaults keep the whole run within about ten minutes on 2 cores."""

    surveys: int = 100  # kill -9 fault
    kill_every: int = 80  # turns between kills, on average (uniformly from a third to five thirds of it)
    duplicate_surveys: int = 30
    replica_surveys: int = 30
    outage_surveys: int = 30
    outage_seconds: float = 36.0
    hostile_requests: int = 3000
    forged_each: int = 10
    concurrency: int = 8
    max_rss_mib: float = 600.0
    fault_seconds: float = 600.0


@dataclass
class Run:
    backend: str  # "sqlite" or "postgres"
    workdir: Path
    bounds: Bounds
    service_url: str  # the fake Bot Connector's, for replies that are not returned inline
    rng: random.Random
    session: aiohttp.ClientSession
    _plans: int = field(default=0)

    def people(self, count: int, label: str) -> list[Person]:
        """``count`` new people with random plans (markers unique across the whole run)."""
        definition = practitioner_definition("config/partnership.example.yaml")
        made = []
        for _ in range(count):
            self._plans += 1
            answers: Plan = plan(definition, self._plans, self.rng)
            made.append(Person(f"{label}-{self._plans}-{self.rng.getrandbits(32):08x}", answers,
                               self.service_url))
        return made


async def drive(people: Sequence[Person], send: Send, recover: Recover, concurrency: int,
                max_turns: int = 120) -> None:
    """Every person through their survey, ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(person: Person) -> None:
        async with gate:
            await complete(person, send, recover, max_turns=max_turns)

    await asyncio.gather(*(one(person) for person in people))


def poster(session: aiohttp.ClientSession, bot: Callable[[Person], BotProcess]) -> Send:
    """A Send that posts each activity once, to the bot ``bot(person)`` picks."""

    async def send(person: Person, body: dict) -> Exchange:
        return await person.post(session, bot(person).url, body)

    return send


async def finish_checks(
    result: Result, bots: Sequence[BotProcess], bounds: Bounds, people: Sequence[Person] = ()
) -> None:
    """The process checks every fault ends with: alive, answering /healthz, RSS bounded, no tracebacks,
    and no log line holding a person's id or what they wrote (their plan's marker)."""
    private = [p.user for p in people] + [p.plan.marker for p in people]
    for bot in bots:
        leaking = [line for line in bot.log_lines() if any(word in line for word in private)]
        if leaking:
            result.leaks += len(leaking)
            result.fail(f"{bot.name}: log lines holding a person's id or free text", len(leaking))
        bot.note_rss()
        result.rss_mib = max(result.rss_mib, bot.peak_rss_mib)
        if not bot.alive or not await bot.healthy():
            result.alive = False
            result.fail(f"{bot.name} not alive and answering /healthz at the end")
        result.tracebacks += bot.tracebacks()
    if result.rss_mib > bounds.max_rss_mib:
        result.fail(f"resident memory {result.rss_mib:.0f} MiB over the {bounds.max_rss_mib:.0f} MiB bound")


Fault = Callable[[Run], Awaitable[Result]]


class TurnCount:
    """Turns sent so far, which a fault can wait on (to strike after a number of them)."""

    def __init__(self) -> None:
        self.value = 0
        self._changed = asyncio.Condition()

    async def add(self) -> None:
        async with self._changed:
            self.value += 1
            self._changed.notify_all()

    async def reach(self, count: int, stop: asyncio.Event) -> None:
        """Return once ``count`` turns were sent, or ``stop`` is set (and ``wake`` called)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.value >= count or stop.is_set())

    async def wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()
