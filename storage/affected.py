"""How many rows an INSERT, UPDATE or DELETE touched.

SQLAlchemy types ``execute()``'s answer as a plain ``Result``, which has no row
count; for these statements it is always a ``CursorResult``, which has one.
Saying so once here keeps the type checker honest everywhere else.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result


def affected(result: Result[Any]) -> int:
    """The statement's row count (never below 0: some drivers say -1 for "unknown")."""
    return max(cast(CursorResult[Any], result).rowcount, 0)
