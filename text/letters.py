"""Capital and small letters of every Latin alphabet, for patterns that look for names.

``[A-Z][a-z]+`` finds "Sian" but not "Siân", "Łukasz" or "Hương": it stops at the
first letter outside A to Z, so a name such as "Jiří" was cut to "[name]ří"
and most of it kept. The classes here hold the capitals and small letters of
Latin-1, Latin Extended-A and B and Latin Extended Additional (Vietnamese), as
Python's ``re`` has no ``\\p{Lu}``. ``fold`` gives a word's plain-letter form,
so "Siân" can be looked up in a list that has "Sian".
"""

from __future__ import annotations

import re
import unicodedata

# Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional.
_RANGES = ((0xC0, 0x250), (0x1E00, 0x1F00))
# Letters with no decomposition into a plain letter and a mark.
_PLAIN = str.maketrans("ŁłØøĐđĦħıŦŧ", "LlOoDdHhiTt")


def _letters(is_case: str) -> str:
    found = (chr(code) for start, end in _RANGES for code in range(start, end))
    return "".join(c for c in found if getattr(c, is_case)() and c.isalpha())


UPPER_CHARS = "A-Z" + re.escape(_letters("isupper"))
LOWER_CHARS = "a-z" + re.escape(_letters("islower"))
UPPER = f"[{UPPER_CHARS}]"
LOWER = f"[{LOWER_CHARS}]"


def fold(word: str) -> str:
    """``word`` in plain letters, marks dropped: "Siân" -> "Sian", "Łukasz" -> "Lukasz"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_PLAIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
