"""Between the domain's returns and storage's plain records (storage does not import this package)."""

from __future__ import annotations

from dataclasses import asdict

from assessments.model import Alternative, Entry, Rating, Return
from storage.assessments import EntryRecord, ReturnRecord


def to_record(submitted: Return) -> ReturnRecord:
    alternative = submitted.alternative
    return ReturnRecord(
        submitted.round_id,
        submitted.agency,
        submitted.status,
        submitted.source,
        submitted.submitted_on,
        alternative.description if alternative else None,
        alternative.decision if alternative else None,
        tuple(
            EntryRecord(**{**asdict(entry), "rating": entry.rating.value if entry.rating else None})
            for entry in submitted.entries
        ),
    )


def from_record(record: ReturnRecord) -> Return:
    return Return(
        record.round_id,
        record.agency,
        tuple(
            Entry(**{**asdict(entry), "rating": Rating(entry.rating) if entry.rating else None})
            for entry in record.entries
        ),
        record.status,
        record.submitted_on,
        record.source,
        Alternative(record.alternative, record.alternative_decision) if record.alternative else None,
    )
