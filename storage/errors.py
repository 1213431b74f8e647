"""Errors storage raises on purpose: typed, so callers can turn them into polite messages."""

from __future__ import annotations

from common.errors import SafeguardingBotError


class StorageError(SafeguardingBotError):
    """Root of the storage layer's own errors."""


class StorageUnavailable(StorageError):
    """The database could not be reached or did not answer; nothing was half-written.

    The message never carries personal data: only what kind of failure it was.
    """

    status = 503

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the database is unavailable ({reason}); nothing was saved, try again shortly")


class SchemaBehindError(StorageError):
    """The database schema is not the one this code expects; says how to put that right.

    Normally the schema is behind (upgrade it); ``ahead`` means the database was
    upgraded by newer code, and this older code must not write to it.
    """

    status = 503

    def __init__(self, current: str | None, head: str, *, ahead: bool = False) -> None:
        self.current = current
        self.head = head
        self.ahead = ahead
        if ahead:
            message = f"the database schema ({current}) is newer than this code ({head}): run the newer code"
        else:
            message = (
                f"the database schema is at {current or 'nothing (empty database)'}, this code needs {head}: "
                "run: python -m storage upgrade (or make migrate)"
            )
        super().__init__(message)


class ETagConflict(StorageError):
    """A state write carried an e_tag that is no longer current: someone else wrote first."""

    status = 409

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"state item {key!r} was changed by another writer; read it again and retry")


class WaveKeyGone(StorageError):
    """The wave's key was destroyed when the wave closed: tokens can no longer be made or tested."""

    status = 409

    def __init__(self, wave_id: int) -> None:
        self.wave_id = wave_id
        super().__init__(f"wave {wave_id} is closed and its key destroyed")


class NotFound(StorageError, KeyError):
    """No such wave, agency or question (a KeyError too, for callers that treat it as a lookup)."""

    status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"
