"""One root exception for the product; subclasses carry data and an HTTP status."""

from __future__ import annotations


class SafeguardingBotError(Exception):
    """Root of every error this product raises on purpose."""

    status = 500


class ContentError(SafeguardingBotError):
    """A content or settings file is broken; names the file and line so an editor can fix it."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")


class SettingsError(SafeguardingBotError):
    """An environment setting has a value that cannot be used."""
