"""Handling many people at once for a proactive run (invitations, reminders), in batches, safe to interrupt.

People are taken ``batch`` at a time, so the database work around the sends
(who has answered, claims, outcomes) is one transaction per batch rather than
several per person: that work, not the send, was most of the CPU per person.
A few workers each handle one batch at a time, so one batch is being checked
and recorded while the others' sends keep the pacer busy; the pacer, not the
worker count, sets the rate. Each batch's work (checks, the sends, recording
the outcomes) runs as a task shielded from cancellation, so Ctrl-C or a lost
lease lets the batches under way finish and be recorded (for up to
``DRAIN_SECONDS``) instead of leaving messages sent but not written down; at
most ``workers * batch`` people are under way at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from tqdm import tqdm

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# People checked, sent to and recorded together: one transaction per step for all of them.
BATCH = 16
# Batches handled at once: enough that recording one and checking the next never leaves the pacer idle.
WORKERS = 3
# How long, after an interruption, sends already under way may take to finish and be recorded.
DRAIN_SECONDS = 30.0


async def fan_out(
    items: Iterable[T],
    handle: Callable[[list[T]], Awaitable[Sequence[R]]],
    tally: Callable[[R], None],
    *,
    batch: int = BATCH,
    workers: int = WORKERS,
    desc: str = "",
    show_progress: bool | None = None,
) -> None:
    """Run ``handle`` on ``batch`` items at a time, ``workers`` batches at once; ``tally`` each result.

    ``handle`` returns one result per item of its batch. ``show_progress`` None
    shows a progress bar (counting items) only on a terminal. An exception from
    ``handle`` (say the database went away) stops the run after the batches
    under way are drained, and is raised.
    """
    pending = list(items)
    size = max(1, batch)
    queue: asyncio.Queue[list[T]] = asyncio.Queue()
    for start in range(0, len(pending), size):
        queue.put_nowait(pending[start : start + size])
    disable = None if show_progress is None else not show_progress  # None: tqdm hides itself off a terminal
    bar = tqdm(total=len(pending), unit="person", desc=desc, disable=disable)
    under_way: set[asyncio.Future[Sequence[R]]] = set()

    async def worker() -> None:
        while not queue.empty():
            chunk = queue.get_nowait()
            task = asyncio.ensure_future(handle(chunk))
            under_way.add(task)
            task.add_done_callback(under_way.discard)
            # Shielded: cancelling the run must not abandon sends whose outcomes are not yet recorded.
            for result in await asyncio.shield(task):
                tally(result)
            bar.update(len(chunk))

    running = [asyncio.ensure_future(worker()) for _ in range(max(1, workers))]
    try:
        await asyncio.gather(*running)
    except BaseException:  # Ctrl-C (cancelled) or a failure such as the database going away
        for task in running:
            task.cancel()
        if under_way:
            log.warning("Stopping: letting %d batches under way finish and be recorded.", len(under_way))
            await asyncio.wait(under_way, timeout=DRAIN_SECONDS)
        raise
    finally:
        bar.close()
