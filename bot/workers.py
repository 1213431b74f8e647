"""The CPU-heavy pure work of a turn with a long input, in worker processes, off the event loop.

A thread is not enough: reading a large body, emergency detection, ranking a
question against the knowledge base and redaction are pure Python (regular
expressions, scikit-learn's analysers) and hold the GIL, so while long
messages were being worked on in threads the event loop waited for the GIL at
every step: with four clients sending 256 KB messages, ``/healthz`` took 5.6x
its idle time, and 0.95x with one worker process (bench/long_message_bench.py,
on a busy 2-core machine). In a worker process they hold that process's GIL
only.

Only large inputs go to a worker (a body of ``LARGE_BODY`` bytes or more, a
text of ``LARGE_TEXT`` characters or more): nearly every turn is small, and
costs less than the round trip to another process, so it runs in the event
loop itself: in a thread it would hold the same GIL for the same time, and the
hop there and back cost more CPU than reading a small body. With
``TURN_WORKERS=0``, or when the pool cannot be used, large inputs run in
threads: slower for the others under load, never wrong.

Workers are spawned, not forked (the bot has threads and open database
connections), each loads its own copy of the knowledge base once, and the pool
is used only once warm (threads until then), so no turn waits for a worker to
load it. A worker ignores Ctrl-C (the bot shuts the pool down itself) and exits when
the bot's process ends, however it ends, even ``kill -9``. A worker that dies
breaks the pool: it is replaced, and that turn's work runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, TypeVar

from botbuilder.schema import Activity

from bot.inbound import read_activity
from common.partnership import load_partnership
from guidance.knowledge import KnowledgeBase, load_knowledge_base

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Bodies at least this big are read in a worker (the largest accepted is MAX_BODY_BYTES).
LARGE_BODY = 32 * 1024
#: Texts at least this long are worked on in a worker (the longest kept is bot.inbound.MAX_TEXT).
LARGE_TEXT = 1000

# In a worker process: its own knowledge base, loaded by _start_worker.
_knowledge: KnowledgeBase | None = None


def _exit_with_parent() -> None:
    """Wait for the bot's process to end, then end this one (nothing else would: the pool's queue
    never closes when its owner is killed)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os._exit(0)


def _start_worker(partnership_file: Path) -> None:
    """A worker's start: leave Ctrl-C to the bot, follow the bot's end, load the knowledge base."""
    global _knowledge
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    _knowledge = load_knowledge_base(load_partnership(partnership_file))


def _ready() -> int:
    return os.getpid()


def _with_knowledge(work: Callable[..., T], *args: Any) -> T:
    if _knowledge is None:
        raise RuntimeError("only a turn worker, which loads the knowledge base when it starts, runs this")
    return work(_knowledge, *args)


class TurnWorkers:
    """Runs a turn's heavy pure work in a warmed process pool when its input is large, else in a thread.

    ``start()`` when the app starts, ``close()`` when it stops. The work
    functions must be module-level (they are sent to a worker by name) and
    return what can be pickled.
    """

    def __init__(self, knowledge: KnowledgeBase, partnership_file: Path, processes: int) -> None:
        self.knowledge = knowledge
        self._partnership_file = partnership_file
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None  # only once warm
        self._warming: ProcessPoolExecutor | None = None
        self._starting: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the pool in the background: threads do the work until every worker has loaded the
        knowledge base, so neither start-up nor any turn waits for that."""
        if self._processes > 0 and not self._closing:
            self._starting = asyncio.get_running_loop().create_task(self._start_pool())

    async def _start_pool(self) -> None:
        pool = self._warming = ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._partnership_file,),
        )
        loop = asyncio.get_running_loop()
        try:
            # Submitted together, before any worker is up, so that each starts a worker of its own.
            await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(self._processes)))
        except BrokenProcessPool:
            if not self._closing:
                log.warning("turn worker processes could not start; long messages are worked on in threads")
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            return
        finally:
            self._warming = None
        if self._closing:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            return
        self._pool = pool
        log.info("%d turn worker process(es) ready", self._processes)

    async def settled(self) -> None:
        """Wait for a start in progress (at start-up, or after a worker died) to finish."""
        if self._starting is not None:
            await self._starting

    async def close(self) -> None:
        """Stop the workers and wait for them to exit, so none is left behind.

        Workers still loading are ended at once rather than waited for (a bot
        stopped just after it started would otherwise take as long as they do).
        """
        self._closing = True
        warming = self._warming
        if warming is not None:
            # No public way to stop a pool's workers before Python 3.14 (terminate_workers).
            processes = getattr(warming, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
        await self.settled()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    @property
    def processes(self) -> int:
        """Worker processes ready now (0: everything runs in threads)."""
        return self._processes if self._pool is not None else 0

    async def read(self, raw: bytes) -> tuple[dict[str, Any], Activity]:
        """:func:`bot.inbound.read_activity`, in a worker for a body of LARGE_BODY bytes or more."""
        call = partial(read_activity, raw)
        return await self._run(len(raw) >= LARGE_BODY, call, call)

    async def on_text(self, length: int, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``, in a worker when the text it reads is LARGE_TEXT characters or more."""
        call = partial(work, *args)
        return await self._run(length >= LARGE_TEXT, call, call)

    async def with_knowledge(self, length: int, work: Callable[..., T], *args: Any) -> T:
        """``work(knowledge base, *args)``, in a worker when the text is LARGE_TEXT characters or more."""
        return await self._run(
            length >= LARGE_TEXT, partial(_with_knowledge, work, *args), partial(work, self.knowledge, *args)
        )

    async def _run(self, large: bool, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if not large:
            return local()  # see the module's docstring: a thread would only add a hop
        pool = self._pool
        if pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, remote)
            except BrokenProcessPool:
                self._replace(pool)
        return await asyncio.to_thread(local)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A worker died (killed, out of memory): threads until a new pool is warm."""
        if self._pool is not broken:
            return  # another turn has seen it first
        log.warning("a turn worker process ended unexpectedly; starting new ones")
        self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
        if self._starting is None or self._starting.done():
            self._starting = asyncio.create_task(self._start_pool())
