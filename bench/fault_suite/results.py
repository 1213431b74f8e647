"""What one fault found, checking the database itself, and the table the suite prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bench.fault_suite.client import Person
from bench.fault_suite.people import MARKER_ITEM, marker_of
from storage.database import Database
from storage.responses import read_responses


@dataclass
class Result:
    """One fault on one backend: units tried and failed, the checks, and why units failed."""

    fault: str
    backend: str
    unit: str
    tried: int = 0
    failed: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0
    server_errors: int = 0  # HTTP 5xx that are not the documented ones
    tracebacks: int = 0
    leaks: int = 0  # log lines holding a person's id or what they wrote
    alive: bool = True
    rss_mib: float = 0.0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # which units failed, for a reader (and tests)

    def fail(self, reason: str, units: int = 1) -> None:
        self.failed += units
        self.reasons[reason] += units

    def fail_once(self, reasons: list[str]) -> None:
        """One unit failed, for every reason given (each reason is counted; the unit once)."""
        if reasons:
            self.failed += 1
            self.reasons.update(reasons)

    @property
    def clean(self) -> bool:
        checks = (self.failed, self.lost, self.duplicated, self.wrong, self.server_errors, self.tracebacks,
                  self.leaks)
        return not any(checks) and self.alive


async def check_stored(
    database_url: str, people: Iterable[Person], result: Result, *, loose: Iterable[Person] = ()
) -> None:
    """Every person the bot told "submitted" is stored exactly once with their planned answers.

    Call after ``python -m storage flush --all``: responses are read back from
    the response table and found by each plan's marker. ``loose`` people gave
    free text the bot may normalise: theirs is not compared, everything else is.
    """
    db = await Database.open(database_url)
    try:
        stored = await read_responses(db)
    finally:
        await db.close()
    by_marker: dict[str | None, list[dict]] = {}
    for response in stored:
        by_marker.setdefault(marker_of(response.answers), []).append(dict(response.answers))
    free_text = {MARKER_ITEM, "anything_else"}
    loose = list(loose)
    is_loose = {id(person) for person in loose}
    for person in [*people, *loose]:
        reasons = [note for note in person.notes if note != "unfinished"]
        found = by_marker.pop(person.plan.marker, [])
        expected = person.plan.expected
        if id(person) in is_loose and found:
            found = [{k: v for k, v in row.items() if k not in free_text} for row in found]
            expected = {k: v for k, v in expected.items() if k not in free_text}
        if not person.finished:
            reasons.append("survey not confirmed by the bot within the turn limit")
        elif not found:
            result.lost += 1
            reasons.append("confirmed survey not stored (lost)")
        elif len(found) > 1:
            result.duplicated += len(found) - 1
            reasons.append("confirmed survey stored more than once")
        elif found[0] != expected:
            result.wrong += 1
            items = sorted(k for k in set(found[0]) | set(expected) if found[0].get(k) != expected.get(k))
            reasons.append("stored with wrong answers")
            if len(result.notes) < 2:
                result.notes.append(f"e.g. items stored wrong in one survey: {', '.join(items)}")
        result.fail_once(reasons)
    strays = sum(len(rows) for rows in by_marker.values())
    if strays:  # rows, not people: counted as wrong answers, not as failed surveys
        result.wrong += strays
        result.reasons["stored response that no person confirmed (counted as wrong)"] += strays


def statuses(people: Iterable[Person]) -> Counter[int]:
    counted: Counter[int] = Counter()
    for person in people:
        counted.update(person.statuses)
    return counted


COLUMNS = ("fault", "db", "unit", "tried", "failed", "lost", "dup", "wrong", "5xx", "tracebacks",
           "log leaks", "alive", "RSS MiB", "s")


def table(results: Sequence[Result]) -> str:
    """The summary table, then the reasons units failed and any notes, fault by fault."""
    rows = [COLUMNS]
    for r in results:
        rows.append((
            r.fault, r.backend, r.unit, str(r.tried), str(r.failed), str(r.lost), str(r.duplicated),
            str(r.wrong), str(r.server_errors), str(r.tracebacks), str(r.leaks), "yes" if r.alive else "NO",
            f"{r.rss_mib:.0f}", f"{r.seconds:.0f}",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    details = []
    for r in results:
        for reason, count in r.reasons.most_common():
            details.append(f"  {r.fault}/{r.backend}: {count} x {reason}")
        details.extend(f"  {r.fault}/{r.backend}: {note}" for note in r.notes)
        kinds: dict[str, str] = {}
        for example in r.examples:  # one example of each kind of failure
            kinds.setdefault(example.split(" [", 1)[0], example)
        details.extend(f"  {r.fault}/{r.backend}: e.g. {example}" for example in kinds.values())
    if details:
        lines += ["", "why units failed, and notes:", *details]
    return "\n".join(lines)
