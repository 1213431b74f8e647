"""An agency's free text made storable and screened for personal data about service users.

The words are the agency's own and not anonymous, but a return is read by the
whole board: names, phone numbers, NHS numbers and the like of the children
and adults it describes are replaced with markers (``surveys.redaction``).
"""

from __future__ import annotations

import re

from surveys.redaction import redact

MAX_TEXT = 4000  # characters per section: a workbook cell or a card's text box, not an essay
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable(text: object) -> str:
    """Plain text that any database stores: no control characters, no lone surrogates, capped, trimmed."""
    value = "" if text is None else str(text)
    value = value.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", value).strip()[:MAX_TEXT]


def screen(text: object) -> str:
    """Storable text with personal data about service users redacted."""
    return redact(storable(text))
