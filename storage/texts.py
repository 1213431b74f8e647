"""Every string inside a JSON-like value, keys included: what storability checks and the audit read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def strings(value: Any) -> Iterator[str]:
    """Strings, mapping keys and (as text) other scalars of ``value``, depth first; None yields nothing."""
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings(inner)
    else:
        yield str(value)
