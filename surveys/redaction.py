"""Free text with obvious personal data replaced by a marker naming its kind.

Practitioners are asked not to name anyone, but some will. Before a free-text
answer is kept, email addresses, UK phone numbers, NHS numbers (only with a
valid check digit), postcodes, dates of birth (only where a cue says it is one)
and names (only where a cue makes them clear) become ``[email]``, ``[phone]``,
``[NHS number]``, ``[postcode]``, ``[date of birth]`` and ``[name]``.

False positives matter too: answers are read for themes, so section numbers,
percentages, years, money, 999/101, times like "1400", road numbers and place
names are left alone. Every rule is anchored on a format (a checksum, a valid
postcode area, a phone number's length) or a cue, never on "looks like a number".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

_WORDLISTS = Path(__file__).resolve().parent / "wordlists"

EMAIL = "[email]"
PHONE = "[phone]"
NHS_NUMBER = "[NHS number]"
POSTCODE = "[postcode]"
DATE_OF_BIRTH = "[date of birth]"
NAME = "[name]"

# -- email ---------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# -- NHS numbers ------------------------------------------------------------------------

_NHS = re.compile(r"(?<![\w+/.-])([1-9]\d{2})[ -]?(\d{3})[ -]?(\d{4})(?![\w/]|\.\d)")


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus 11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs(found: re.Match[str]) -> str:
    return NHS_NUMBER if nhs_number_is_valid("".join(found.groups())) else found.group(0)


# -- phone numbers ---------------------------------------------------------------------

# A run that starts like a UK number (0..., (0...), +44...) and continues with digit
# groups; _phone keeps the longest leading groups that make a UK-length number.
_PHONE = re.compile(
    r"(?<![\w+.])(?:\+44\s?(?:\(0\)\s?)?|\(0\d{2,5}\)\s?|0)\d+(?:[ -]\d+){0,4}(?!\w|\.\d)"
)


def _phone_length_ok(run: str) -> bool:
    digits = re.sub(r"\D", "", run.replace("(0)", ""))
    if run.startswith("+44"):
        return len(digits) - 2 in (9, 10)
    return len(digits) in (10, 11)


def _phone(found: re.Match[str]) -> str:
    run = found.group(0)
    groups = re.split(r"(?<=\d)(?=[ -]\d)", run)
    for end in range(len(groups), 0, -1):
        head = "".join(groups[:end])
        if _phone_length_ok(head):
            return PHONE + run[len(head) :]
    return run


# -- postcodes --------------------------------------------------------------------------

# Every UK postcode area: "OX4 7AB" is a postcode, "CP2 1AB" cannot be.
_AREAS = (
    "AB|AL|B|BA|BB|BD|BH|BL|BN|BR|BS|BT|CA|CB|CF|CH|CM|CO|CR|CT|CV|CW|DA|DD|DE|DG|DH|DL|DN|DT|DY|"
    "E|EC|EH|EN|EX|FK|FY|G|GL|GU|GY|HA|HD|HG|HP|HR|HS|HU|HX|IG|IM|IP|IV|JE|KA|KT|KW|KY|L|LA|LD|LE|"
    "LL|LN|LS|LU|M|ME|MK|ML|N|NE|NG|NN|NP|NR|NW|OL|OX|PA|PE|PH|PL|PO|PR|RG|RH|RM|S|SA|SE|SG|SK|SL|"
    "SM|SN|SO|SP|SR|SS|ST|SW|SY|TA|TD|TF|TN|TQ|TR|TS|TW|UB|W|WA|WC|WD|WF|WN|WR|WS|WV|YO|ZE"
)
_POSTCODE = re.compile(
    rf"\b(?:{_AREAS})\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{{2}}\b",
    re.IGNORECASE,
)


def _postcode(found: re.Match[str]) -> str:
    code = found.group(0)
    # "OX4 7AB" or "ox4 7ab", but not "M40 3rd" (a road and an ordinal).
    return POSTCODE if code in (code.upper(), code.lower()) else code


# -- dates of birth ----------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)|\d{4}-\d{2}-\d{2}"
    rf"|{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}}|\s+'?\d{{2}}(?!\d))?"
    rf"|{_MONTH}\s+{_ORDINAL}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{4}})"
)
_DOB = re.compile(
    r"(?P<cue>\b(?:born|d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|birthday)"
    r"(?:\s*[:=-]\s*|\s+)(?:(?:on|is|was|of|the)\s+){0,2})"
    rf"(?P<date>{_DATE})",
    re.IGNORECASE,
)


def _dob(found: re.Match[str]) -> str:
    return found.group("cue") + DATE_OF_BIRTH


# -- names --------------------------------------------------------------------------------


@cache
def _words(name: str) -> frozenset[str]:
    lines = (_WORDLISTS / name).read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _given_names() -> frozenset[str]:
    return _words("first_names.txt")


def _not_names() -> frozenset[str]:
    return _words("not_names.txt")


_WORD = r"(?:[A-Z]'[A-Z][a-z]+|[A-Z][a-z]+(?:[A-Z][a-z]+)?)(?:-[A-Z][a-z]+)?"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|PC|DC|Cllr)\.?"
_PERSON = rf"{_WORD}(?:\s+{_WORD}){{0,2}}"
# Cues before a name: relationships, roles, "called"; case-insensitive, the name is not.
_BEFORE = (
    r"called|named|name\s+is|name's|known\s+as|client|service\s+user|patient|pupil|student|"
    r"child|boy|girl|baby|son|daughter|brother|sister|mum|mother|dad|father|step-?(?:mum|dad)|"
    r"grand(?:mother|father|ma|pa)|nan|gran|carer|foster\s+carer|partner|boyfriend|girlfriend|husband|"
    r"wife|aunt|uncle|cousin|niece|nephew|neighbour|friend|young\s+person|yp|resident|tenant|victim|"
    r"perpetrator|suspect|offender|"
    r"sw|social\s+worker|worker|key\s*worker|gp|nurse|health\s+visitor|midwife|officer|"
    r"manager|dsl|teacher|head(?:teacher)?|colleague|contact|ask\s+for|speak\s+to|spoke\s+to|"
    r"talk(?:ed)?\s+(?:to|with)|spoke\s+with|spoken\s+(?:to|with)|speaking\s+(?:to|with)|met\s+with|"
    r"email|emailed|rang|phoned|cc"
)
_NAME_AFTER_CUE = re.compile(
    rf"(?P<cue>(?<![\w-])(?i:{_BEFORE})(?:\s*[:,–-]\s*|\s+)(?:(?i:is|was|now)\s+)?(?:{_TITLE}\s+)?)"
    rf"(?P<name>{_PERSON})"
)
# The title goes with the name ("Mr Smith" is the name the spec gives as an example).
_NAME_AFTER_TITLE = re.compile(rf"\b{_TITLE}\s+(?P<name>(?:[A-Z]\.?\s+)?{_PERSON})")
_ROLE_AFTER = (
    r"mum|dad|mother|father|step-?(?:mum|dad)|carer|nan|gran|grandmother|grandfather|aunt|uncle|"
    r"sw|social\s+worker|gp|dsl|nurse|teacher|head|manager|partner|boyfriend|girlfriend|"
    r"child|son|daughter|brother|sister|aged\s+\d+|age\s+\d+|\d+\s*(?:yrs?|years?)"
)
_NAME_BEFORE_CUE = re.compile(
    rf"(?P<name>{_WORD}\s+{_WORD})(?=\s*\((?i:{_ROLE_AFTER})\)|,\s*(?i:{_ROLE_AFTER})\b"
    r"|\s+(?:has\s+|had\s+)?(?i:said|says|told|asked|rang|called|emailed|reported|disclosed)\b"
    r"|\s+from\s+(?:the\s+|our\s+|their\s+)?[a-z])"
)


def _is_person(name: str) -> bool:
    """No word of ``name`` is an agency, place, service or title word ("Ruskin College")."""
    return not any(
        w in _not_names() or w.rstrip("s") in _not_names() or w.endswith("shire") for w in name.split()
    )


def _cued_name(found: re.Match[str]) -> str:
    return found.group("cue") + NAME if _is_person(found.group("name")) else found.group(0)


def _whole_name(found: re.Match[str]) -> str:
    return NAME if _is_person(found.group("name")) else found.group(0)


@cache
def _given_and_surname() -> re.Pattern[str]:
    given = "|".join(sorted(_given_names(), key=len, reverse=True))
    return re.compile(rf"\b(?:{given})\s+(?P<surname>{_WORD})(?=(?:\s+(?P<next>{_WORD}))?)")


def _given_name(found: re.Match[str]) -> str:
    place = found.group("next") or ""
    return NAME if _is_person(found.group("surname") + " " + place) else found.group(0)


# -- all together ---------------------------------------------------------------------------


@cache
def _rules() -> tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]:
    return (
        (_EMAIL, lambda _found: EMAIL),
        (_NHS, _nhs),
        (_PHONE, _phone),
        (_POSTCODE, _postcode),
        (_DOB, _dob),
        (_NAME_AFTER_TITLE, _whole_name),
        (_NAME_AFTER_CUE, _cued_name),
        (_NAME_BEFORE_CUE, _whole_name),
        (_given_and_surname(), _given_name),
    )


def redact(text: str) -> str:
    """``text`` with personal data replaced by markers; everything else unchanged."""
    for pattern, replace in _rules():
        text = pattern.sub(replace, text)
    return text
