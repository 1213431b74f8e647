"""Handling many people at once for a proactive run (invitations, reminders), safe to interrupt.

A fixed number of workers take people from a queue; each person's work
(checks, the send, recording the outcome) runs as a task shielded from
cancellation, so Ctrl-C or a lost lease lets the sends already under way
finish and be recorded (for up to ``DRAIN_SECONDS``) instead of leaving a
message sent but not written down. The pacer, not the worker count, sets the rate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from tqdm import tqdm

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# People handled at once: enough that the database work around each send never leaves the pacer idle.
WORKERS = 32
# How long, after an interruption, sends already under way may take to finish and be recorded.
DRAIN_SECONDS = 30.0


async def fan_out(
    items: Iterable[T],
    one: Callable[[T], Awaitable[R]],
    tally: Callable[[R], None],
    *,
    workers: int = WORKERS,
    desc: str = "",
    show_progress: bool | None = None,
) -> None:
    """Run ``one`` on every item with ``workers`` at once, passing each result to ``tally``.

    ``show_progress`` None shows a progress bar only on a terminal. An exception
    from ``one`` (say the database went away) stops the run after the work under
    way is drained, and is raised.
    """
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    disable = None if show_progress is None else not show_progress  # None: tqdm hides itself off a terminal
    bar = tqdm(total=queue.qsize(), unit="person", desc=desc, disable=disable)
    under_way: set[asyncio.Task[R]] = set()

    async def worker() -> None:
        while not queue.empty():
            task = asyncio.ensure_future(one(queue.get_nowait()))
            under_way.add(task)
            task.add_done_callback(under_way.discard)
            # Shielded: cancelling the run must not abandon a send whose outcome is not yet recorded.
            tally(await asyncio.shield(task))
            bar.update(1)

    running = [asyncio.ensure_future(worker()) for _ in range(max(1, workers))]
    try:
        await asyncio.gather(*running)
    except BaseException:  # Ctrl-C (cancelled) or a failure such as the database going away
        for task in running:
            task.cancel()
        if under_way:
            log.warning("Stopping: letting %d sends under way finish and be recorded.", len(under_way))
            await asyncio.wait(under_way, timeout=DRAIN_SECONDS)
        raise
    finally:
        bar.close()
