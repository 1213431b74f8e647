"""The fault suite: faults and hostile input against real ``python -m bot`` processes.

Run from the project folder::

    python -m bench.fault_suite [--faults crash,duplicates,...] [--backends sqlite,postgres] [--surveys 100]

(the same as ``python -m bench.fault_suite``). Each fault gets a fresh
database (an SQLite file; a new database on TEST_DATABASE_URL's server; for the
PostgreSQL outage a private cluster the suite starts itself on another port)
and its own bot processes on free loopback ports, talks to them over HTTP with
``deliveryMode: expectReplies`` as Teams does, and checks the database
afterwards. The table counts, per fault, the units tried and failed, answers
lost / duplicated / wrong, HTTP 5xx (not counting the documented ones),
tracebacks in the bot's log, and whether the process is alive at the end with
its peak resident memory. Exit status 0 only when every fault is clean.
"""

from __future__ import annotations

from bench.fault_suite.context import Fault
from bench.fault_suite.hostile import hostile_fault
from bench.fault_suite.survey_faults import crash, duplicates, outage, replicas
from bench.fault_suite.tokens import forged_tokens

FAULTS: dict[str, Fault] = {
    "crash": crash,
    "duplicates": duplicates,
    "replicas": replicas,
    "outage": outage,
    "hostile": hostile_fault(),
    "tokens": forged_tokens,
}
