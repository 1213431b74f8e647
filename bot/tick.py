"""``python -m bot tick``: do whatever is due now, once; run it every few minutes from a scheduler.

One idempotent run, safe from cron, a systemd timer or a Kubernetes CronJob on
any number of replicas: a lease in the database (storage.lease) lets one run
act at a time, and a run that finds the lease held says so and exits 0. In
order, each step independent of the others' failures:

1. housekeeping: whole batches of confirmed responses waiting are stored, and
   everything past its retention period is deleted (real time: rows are
   stamped with real time, whatever date the run acts for);
2. closing every live wave whose close date has passed (storage.submissions.close_wave:
   flush, then destroy the key), its reports first put down as due;
3. building and sending the reports of waves the tick closed (the analysis
   package's own report and delivery code), each lead once (storage.jobs); a
   wave of a questionnaire that is not collated (the impact return) has none;
4. survey reminders for open waves (bot.reminders);
5. the agencies' self-assessment deadlines (bot.deadlines).

Every send is recorded before and after it goes, so a rerun after a crash, or
a second tick, sends nothing twice. ``--now`` acts for another moment (open
local use only: common.clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.deadlines import lead_key, remind_deadlines
from bot.hosts import create_host
from bot.proactive import ProactiveSender
from bot.reminders import remind_wave, reminded_today
from common.clock import real_now, simulated
from common.errors import SafeguardingBotError
from common.partnership import Partnership, load_partnership
from common.settings import Settings, settings_from_environment
from storage import jobs, lease, processed
from storage.database import Database
from storage.errors import StorageUnavailable
from storage.retention import Retention, enforce
from storage.submissions import close_wave, closed_waves_with_keys, recover
from storage.waves import list_waves

log = logging.getLogger(__name__)

LEASE = "tick"
REPORTS = "wave-reports/"  # a wave's reports are due: "wave-reports/<wave>"
REPORT_TO_LEAD = "wave-report-to/"  # one lead's: "wave-report-to/<wave>/<agency>/<lead>"


@dataclass
class TickOutcome:
    """What one run did, step by step, in lines an operator reads; ``failed`` steps make exit status 1."""

    acted: bool = True
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Tick:
    """Everything a run needs; ``now`` is the moment it acts for (real, or simulated in tests)."""

    db: Database
    settings: Settings
    partnership: Partnership
    sender: ProactiveSender
    now: datetime
    show_progress: bool | None = False

    @property
    def today(self) -> date:
        return self.now.date()


# --- the steps -----------------------------------------------------------------------------------


async def housekeeping(tick: Tick) -> list[str]:
    """Store whole batches waiting, then delete what is past its retention period (real time)."""
    flushed = await recover(tick.db, tick.settings)
    moment = real_now()
    deleted = await enforce(tick.db, Retention.from_settings(tick.settings), now=moment)
    deleted["processed_activities"] = await processed.purge_expired(tick.db, today=moment.date())
    lines = (
        [f"Stored {flushed.moved} confirmed response(s) waiting for their batch."] if flushed.moved else []
    )
    gone = ", ".join(f"{table} {count}" for table, count in deleted.items() if count)
    return lines + ([f"Retention: deleted {gone}."] if gone else [])


async def close_due_waves(tick: Tick) -> list[str]:
    """Close live waves whose close date has passed (and finish any close that stopped half-way)."""
    lines = []
    unfinished = set(await closed_waves_with_keys(tick.db))
    for wave in await list_waves(tick.db):
        due = not wave.closed and wave.closes < tick.today
        if not due and wave.id not in unfinished:
            continue
        if due:
            # Put down before closing, so that a crash between the two still sends them.
            await jobs.schedule(tick.db, f"{REPORTS}{wave.id}")
        result = await close_wave(tick.db, wave.id, secret=tick.settings.secret_bytes())
        lines.append(
            f"Closed wave {wave.id} (closing date {wave.closes}): {result.flushed.moved} response(s) stored, "
            f"its key destroyed."
        )
    return lines


async def send_reports(tick: Tick) -> list[str]:
    """Build and send the reports of every wave the tick closed, each lead once."""
    due = await jobs.pending(tick.db, REPORTS)
    if not due:
        return []
    # Imported only now: the analysis stack (pandas, matplotlib, PDF) is needed only when reports are due.
    from analysis.cli import Context, NotCollated, reports_to_send
    from analysis.delivery import outgoing, send_one
    from surveys.loader import load_definitions

    ctx = Context(tick.settings, tick.partnership, load_definitions(tick.partnership), tick.db)
    lines = []
    for key in due:
        wave_id = int(key.removeprefix(REPORTS))
        try:
            wave, summary = await reports_to_send(ctx, wave_id)
        except NotCollated as exc:  # done: a rerun would only fail again, every tick
            await jobs.finish(tick.db, key, "done", str(exc), tick.today)
            lines.append(f"Reports of wave {wave_id}: none: {exc}.")
            continue
        readers = [
            (one, f"{REPORT_TO_LEAD}{wave_id}/{one.reader.agency}/{lead_key(one.reader)}")
            for one in outgoing(tick.settings, tick.partnership, summary, tick.now, wave.boards)
        ]
        readers = [(one, job) for one, job in readers if await jobs.claimable(tick.db, job)]
        if not readers:  # every reader reached, or out of attempts
            await jobs.finish(tick.db, key, "done", "", tick.today)
            continue
        sent = failed = 0
        left = False
        problems = []
        for one, job in readers:
            if not await jobs.claim(tick.db, job):  # taken meanwhile (a crashed run's claim stays taken)
                continue
            lead = one.reader
            results = await send_one(tick.settings, one, tick.sender)
            ok = bool(results) and all(result.ok for result in results)
            reasons = "; ".join(f"{r.channel}: {r.detail}" for r in results if not r.ok) or "nothing to send"
            await jobs.finish(tick.db, job, "done" if ok else "failed", "" if ok else reasons, tick.today)
            sent, failed = sent + ok, failed + (not ok)
            left = left or not ok  # tried again next tick while it has attempts left
            if not ok:
                problems.append(f"  wave {wave.id}, {lead.agency}: not sent ({reasons})")
        await jobs.finish(tick.db, key, "failed" if left else "done", "", tick.today)
        lines += [f"Reports of wave {wave.id}: sent to {sent} lead(s), {failed} failed.", *problems]
    return lines


async def send_reminders(tick: Tick) -> list[str]:
    """The survey reminders due today in every open wave, at most one a person: soonest closing first."""
    waves = sorted(
        (wave for wave in await list_waves(tick.db) if wave.is_open_on(tick.today)),
        key=lambda wave: (wave.closes, wave.id),
    )
    reminded = await reminded_today(tick.db, tick.settings, waves, tick.partnership, tick.today)
    lines = []
    for wave in waves:
        summary = await remind_wave(
            tick.db,
            tick.settings,
            tick.sender,
            wave,
            today=tick.today,
            partnership=tick.partnership,
            reminded=reminded,
            show_progress=tick.show_progress,
        )
        if summary is not None and (summary.sent or summary.failed):
            lines.append(summary.describe())
    return lines


async def deadline_reminders(tick: Tick) -> list[str]:
    """The self-assessment return and action reminders due today."""
    summary = await remind_deadlines(
        tick.db, tick.sender, tick.partnership, today=tick.today, days=tick.settings.deadline_reminder_days
    )
    return [summary.describe()] if summary.sent or summary.failed else []


Step = Callable[[Tick], Awaitable[list[str]]]
STEPS: tuple[tuple[str, Step], ...] = (
    ("housekeeping", housekeeping),
    ("closing waves", close_due_waves),
    ("reports", send_reports),
    ("survey reminders", send_reminders),
    ("deadline reminders", deadline_reminders),
)


async def run_steps(tick: Tick) -> TickOutcome:
    """Every step in order; a failed step is reported and the rest still run (the database gone stops all)."""
    outcome = TickOutcome()
    for name, step in STEPS:
        try:
            outcome.lines += await step(tick)
        except StorageUnavailable:
            raise
        except (SafeguardingBotError, LookupError) as exc:
            outcome.failed.append(name)
            outcome.lines.append(f"{name}: failed: {exc}")
        except Exception:  # a bug in one step must not stop the others; the log has no contents
            log.exception("tick step %r failed", name)
            outcome.failed.append(name)
            outcome.lines.append(f"{name}: failed (see the log)")
    stuck = await jobs.stuck(tick.db)
    if stuck:
        outcome.lines.append(
            f"{len(stuck)} send(s) were claimed by a run that stopped and are not retried (they may have "
            f"gone): {', '.join(stuck[:5])}{' ...' if len(stuck) > 5 else ''}"
        )
    return outcome


async def _keep_lease(db: Database, holder: str, seconds: int, work: asyncio.Task[TickOutcome]) -> bool:
    """Renew the lease a few times per period; if it is lost (say the database was away too long),
    stop the work (fan_out lets the sends under way finish and be recorded) and return True."""
    while not work.done():
        await asyncio.sleep(max(1.0, seconds / 3))
        try:
            held = await lease.acquire(db, LEASE, holder, seconds)
        except StorageUnavailable:
            continue  # try again; the lease lasts a while yet
        if not held:
            log.error("the tick lost its lease to another replica; stopping")
            work.cancel()
            return True
    return False


async def run_with_lease(
    db: Database,
    settings: Settings,
    partnership: Partnership,
    sender: ProactiveSender,
    *,
    now: datetime,
    holder: str | None = None,
    show_progress: bool | None = False,
) -> TickOutcome:
    """Take the lease, run every step, give the lease back; ``acted`` False when another run holds it."""
    holder = holder or lease.new_holder()
    seconds = settings.tick_lease_seconds
    if not await lease.acquire(db, LEASE, holder, seconds):
        other = await lease.current(db, LEASE)
        who = f" ({other.holder}, for up to {other.seconds_left:.0f} s more)" if other else ""
        return TickOutcome(acted=False, lines=[f"Another tick holds the lease{who}; nothing done here."])
    tick = Tick(db, settings, partnership, sender, now, show_progress)
    work = asyncio.ensure_future(run_steps(tick))
    keeper = asyncio.ensure_future(_keep_lease(db, holder, seconds, work))
    try:
        return await work
    except asyncio.CancelledError:
        if not (keeper.done() and not keeper.cancelled() and keeper.result()):
            raise  # cancelled from outside (Ctrl-C): not ours to turn into an outcome
        lost = "Stopped: another run took the lease over; what was under way was finished and recorded."
        return TickOutcome(lines=[lost], failed=["lease"])
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        with contextlib.suppress(StorageUnavailable):
            await lease.release(db, LEASE, holder)


async def _run(settings: Settings, now: datetime) -> TickOutcome:
    partnership = load_partnership(settings.partnership_file)
    db = await Database.open(settings.resolved_database_url, secret=settings.secret_bytes())
    host = create_host(settings)
    try:
        await db.require_current_schema()
        sender = ProactiveSender(settings, host, db=db)
        return await run_with_lease(db, settings, partnership, sender, now=now, show_progress=None)
    finally:
        await host.close()
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: 0 done (or another replica is at it), 1 a step failed, 2 cannot run."""
    parser = argparse.ArgumentParser(
        prog="python -m bot tick",
        description="Do what is due now: close waves past their date and send their reports, survey and "
        "deadline reminders, housekeeping. Run every few minutes; safe on several replicas at once.",
    )
    parser.add_argument(
        "--now", help="act as if it were this ISO 8601 date/time (open local use only, for trying things out)"
    )
    args = parser.parse_args(argv)
    settings = settings_from_environment()
    logging.basicConfig(level=settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter says nothing to an operator
    try:
        now = simulated(settings, args.now) if args.now else datetime.now(UTC)
        outcome = asyncio.run(_run(settings, now))
    except SafeguardingBotError as exc:
        print(f"The tick cannot run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped. The next tick carries on where this one stopped.", file=sys.stderr)
        return 130
    print(outcome.describe() or f"Nothing was due at {now:%Y-%m-%d %H:%M} UTC.")
    return 1 if outcome.failed else 0
