"""Free text with obvious personal data replaced by a marker naming its kind.

Practitioners are asked not to name anyone, but some will. Before a free-text
answer is kept, email addresses, UK phone numbers, NHS numbers (only with a
valid check digit), postcodes, dates of birth (only where a cue says it is one)
and names (where a cue makes them clear: a relation, role or verb before it, a
title, or a role, age, reported speech or contact detail after it; or a given name
from the lists of many cultures in ``given_names``, unless the words around it make
it a place, a thing or an everyday word opening a sentence) become
``[email]``, ``[phone]``, ``[NHS number]``, ``[postcode]``, ``[date of birth]``
and ``[name]``.

False positives matter too: answers are read for themes, so section numbers,
percentages, years, money, 999/101, times like "1400", road numbers and place
names are left alone. Every rule is anchored on a format (a checksum, a valid
postcode area, a phone number's length) or a cue, never on "looks like a number".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial

from surveys.given_names import everyday_words, is_given_name, wordlist
from surveys.redaction_cues import Cues, load_cues
from text.letters import LOWER, UPPER, UPPER_CHARS

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


# A number labelled as a reference ("case ref 0123...", "invoice no. 4...") is not a person's.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:ref(?:erence)?|case|invoice|ticket|crime|incident|log|order|account|claim|job|po)"
    r"\.?(?:\s*(?:no\.?|number|ref|#))?\s*[:#-]?\s*$",
    re.IGNORECASE,
)


def _is_reference(found: re.Match[str]) -> bool:
    return _REFERENCE_BEFORE.search(found.string, max(0, found.start() - 30), found.start()) is not None


def _nhs(found: re.Match[str]) -> str:
    valid = nhs_number_is_valid("".join(found.groups()))
    return NHS_NUMBER if valid and not _is_reference(found) else found.group(0)


# -- phone numbers ---------------------------------------------------------------------

# A run that starts like a UK number (0..., (0...), +44...) and continues with digit
# groups; _phone keeps the longest leading groups that make a UK-length number.
_PHONE = re.compile(
    r"(?<![\w+.])(?:(?:\+|00)44[\s-]?(?:\(0\)\s?)?|\(0\d{2,5}\)\s?|0)\d+(?:[ -]\d+){0,4}(?!\w|\.\d)"
)


def _phone_length_ok(run: str) -> bool:
    digits = re.sub(r"\D", "", run.replace("(0)", ""))
    if run.startswith("+44"):
        return len(digits) - 2 in (9, 10)
    if run.startswith("0044"):
        return len(digits) - 4 in (9, 10)
    return len(digits) in (10, 11)


def _phone(found: re.Match[str]) -> str:
    run = found.group(0)
    if _is_reference(found):
        return run
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
    rf"\b(?=[A-Z]{{1,2}}\d)(?:{_AREAS})\d[A-Z\d]?\s{{0,2}}\d[ABD-HJLNP-UW-Z]{{2}}\b",
    re.IGNORECASE,
)


_ORDINALS = frozenset({"0th", "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th"})


def _postcode(found: re.Match[str]) -> str:
    code = found.group(0)
    # "OX4 7AB", "ng7 2rd" or "Ox4 7AB", but not "M40 3rd" (a road and an ordinal).
    return code if code[-3:] in _ORDINALS else POSTCODE


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
    r"(?P<cue>\b(?:born|d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|birthday|b'?day"
    r"|(?<![.\w])b\.)"
    r"(?:\s*[:=-]\s*|\s+)(?:(?:on|is|was|of|the)\s+){0,2})"
    rf"(?P<date>{_DATE})",
    re.IGNORECASE,
)


def _dob(found: re.Match[str]) -> str:
    return found.group("cue") + DATE_OF_BIRTH


# -- names --------------------------------------------------------------------------------


@cache
def _not_names() -> frozenset[str]:
    return frozenset(wordlist("not_names.txt"))


_CUES = load_cues()  # the cue words around names (surveys/wordlists/redaction_cues.yaml)
# Names in any Latin alphabet ("Siân", "Łukasz"): text.letters' capitals and small letters.
_U, _L, _NOT_U = UPPER, LOWER, f"[^{UPPER_CHARS}\n]"
_WORD = rf"(?:{_U}'{_U}{_L}+|{_U}{_L}+(?:{_U}{_L}+)?)(?:-{_U}{_L}+)?"
_TITLE = rf"(?:{Cues.either(_CUES.titles)})\.?"
_PERSON = rf"{_WORD}(?:\s+{_WORD}){{0,2}}"
# Cues before a name: relationships, roles, "called"; case-insensitive, the name is not.
_BEFORE = Cues.either(_CUES.before)
_NAME_AFTER_CUE = re.compile(
    # The lookahead (a name-like capital soon after) only makes the search fast.
    rf"(?P<cue>(?<![\w-])(?=[a-zA-Z]{_NOT_U}{{0,40}}{_U}(?:{_L}|'|{_U}{{1,3}}\b|\.?\s+{_U}))"
    rf"(?i:{_BEFORE})(?:\s*[:,–(-]\s*|\s+)"
    rf"(?:(?i:is|was|are|were|now)\s+)?(?:{_TITLE}\s+)?)"
    rf"(?P<initial>{_U}\.?\s+(?={_U}{_L}))?"
    rf"(?P<name>{_PERSON}(?:(?:,\s*|\s+and\s+|\s*&\s*){_PERSON})*)"
)
# Separators inside a list of names after one cue ("the children are Leah, Mason and Ava").
_LIST_SEPARATOR = re.compile(r"(,\s*|\s+and\s+|\s*&\s*)")
# The title goes with the name ("Mr Smith" is the name the spec gives as an example).
_NAME_AFTER_TITLE = re.compile(rf"\b{_TITLE}\s+(?P<name>(?:{_U}\.?\s+)?{_PERSON})")
_ROLE_AFTER = Cues.either(_CUES.role_after)
# "Tyler's mum": a given name before one of these is a person.
_FAMILY = Cues.either(_CUES.family)
_SPEECH_AFTER = Cues.either(_CUES.speech_after)
# A role after a name, in brackets or after a comma: "(mum)", "(the DSL)", ", her SW,".
_WHOSE = r"(?:(?i:the|her|his|their|my|our)\s+)?"
_ROLE_CUE = (
    rf"\s*\({_WHOSE}(?i:{_ROLE_AFTER})\)|,\s*{_WHOSE}(?i:{_ROLE_AFTER})\b"
    rf"|\s+(?:is|was)\s+{_WHOSE}(?:(?:new|named|allocated|acting)\s+)*(?i:{_ROLE_AFTER})\b"
    # A date of birth, phone number or email already redacted straight after:
    # "Owen Price on [phone]", "Jasmine (DOB [date of birth])".
    r"|\s*[(,]?\s*(?i:d\.?o\.?b\.?|born|b\.)\s*[:-]?\s*\[date of birth\]"
    r"|,?\s*(?:on\s+|tel\.?:?\s*|mob(?:ile)?\.?:?\s*|[(<:]\s*|-\s*)?\[(?:phone|email)\]"
)
_NAME_BEFORE_CUE = re.compile(
    rf"(?P<name>{_WORD}\s+{_WORD})(?={_ROLE_CUE}"
    rf"|\s+(?:has\s+|had\s+)?(?i:{_SPEECH_AFTER})\b"
    rf"|\s+from\s+(?:the\s+|our\s+|their\s+)?{_L})"
)


def _is_person(name: str) -> bool:
    """No word of ``name`` is an agency, place, service or title word ("Ruskin College")."""
    return not any(
        w in _not_names() or w.rstrip("s") in _not_names() or w.endswith("shire") for w in name.split()
    )


def _cued_name(found: re.Match[str]) -> str:
    """Each name of a cued list becomes a marker; the list stops at its first non-name."""
    parts = _LIST_SEPARATOR.split(found.group("name"))
    if not _is_person(parts[0]):
        return found.group(0)
    kept = [NAME]
    for at in range(1, len(parts), 2):
        if not _is_person(parts[at + 1]):
            kept += parts[at:]
            break
        kept += [parts[at], NAME]
    return found.group("cue") + "".join(kept)


def _whole_name(found: re.Match[str]) -> str:
    return NAME if _is_person(found.group("name")) else found.group(0)


# Every capitalised word followed by another: a given name then a surname ("Hannah Okafor").
# A lookahead, so that a word which is not a given name does not hide the one after it.
_CAPITALISED_PAIR = re.compile(
    rf"\b(?=(?P<given>{_U}{_L}+)(?P<pair>(?:-{_U}{_L}+)?\s+(?P<surname>{_WORD}))"
    rf"(?:\s+(?P<next>{_WORD}))?)"
)


def _given_and_surname(text: str) -> str:
    """Each known given name with a surname after it becomes a marker, unless the pair is a
    place or a thing ("Victoria Road", "Grace Hospital")."""
    kept, at = [], 0
    for found in _CAPITALISED_PAIR.finditer(text):
        place = found.group("surname") + " " + (found.group("next") or "")
        if found.start() >= at and is_given_name(found.group("given")) and _is_person(place):
            kept += [text[at : found.start()], NAME]
            at = found.end("pair")
    return "".join(kept) + text[at:]


# A known given name on its own, made clear by a role or an age after it ("Tracey (mum)",
# "Jayden, 14, ran away") or by what the person said ("Shannon told the teacher").
_GIVEN_NAME_CUED = re.compile(
    rf"(?<![\w'-])(?P<given>{_U}{_L}+)(?![\w-]|'(?!s\b))(?={_ROLE_CUE}|,?\s+aged?\s+\d"
    rf"|\s+(?:has\s+|had\s+)?(?i:{_SPEECH_AFTER})\b|'s\s+(?i:{_FAMILY})\b)"
)


def _given_name_cued(found: re.Match[str]) -> str:
    return NAME if is_given_name(found.group("given")) else found.group(0)


# A capitalised word on its own, the candidate for a bare given name ("we thought Kacper was...")
# or a surname ("the McAllisters").
_CAPITALISED = re.compile(rf"(?<![\w\[-])(?<!\w')(?P<name>{_WORD})(?![\w-])")
# Straight after it, another capitalised word makes it part of a place or a thing
# ("Victoria Road", "Clare's Law"); a name with a surname is the rule above's.
_PROPER_NOUN_GOES_ON = re.compile(rf"(?:'s)?\s+{_U}")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"(*\u2022]|\s-)\s*$")
_PLACE_BEFORE = re.compile(r"\b(?i:in|near|around|across|outside|towards)\s+$")
# Straight before it, a word that makes it part of a place ("St Mary's", "Royal Alexandra").
_PLACE_WORD_BEFORE = re.compile(r"\b(?:St|Saint|Royal|Mount|Port|Fort)\.?\s+$")


# What makes a capitalised word in no list a person: it owns something ("Wiktoria's
# attendance"), a family word follows it ("the Kowalczyk family"), it is a plural after
# "the" ("the Nowaks"), or it sits where a person does, after a word that opens a clause
# about someone and before what they did or were ("we thought Eilidh was safe").
_OWNS = re.compile(rf"'s\s+{_L}")
_FAMILY_WORD_AFTER = re.compile(
    r"\s+(?:family|families|household|children|kids|twins|siblings|brothers|sisters|boys|girls)\b"
)
_THING_AFTER_FAMILY_WORD = re.compile(rf"\s+(?P<next>{_L}+)")
_PLURAL_AFTER_THE = re.compile(r"\b(?i:the)\s+$")
_CLAUSE_ABOUT_SOMEONE = re.compile(
    r"\b(?:thought|think|thinks|felt|feel|feels|believed?|knew|know|knows|realised|realized"
    r"|noticed|found\s+out|learned|learnt|emerged|assumed|hoped|worried|concerned|sure|said|says"
    r"|told\s+(?:us|me|them))\s+$"
)
# What a person did or was: an auxiliary, a common irregular verb, or any word in -ed.
_DOES_AFTER = re.compile(
    r"\s+(?:was|wasn'?t|is|isn'?t|were|had|hadn'?t|has|did|didn'?t|does|doesn'?t|would|wouldn'?t"
    r"|could|couldn'?t|should|will|won'?t|kept|needs|seemed|felt|got|went|left|lost|ran|came|told"
    rf"|said|{_L}+ed)\b"
)


def _family_word_is_a_person(text: str, end: int) -> bool:
    """A family word after the name, unless it names a service ("family hub", "family court")."""
    after = _FAMILY_WORD_AFTER.match(text, end)
    if after is None:
        return False
    thing = _THING_AFTER_FAMILY_WORD.match(text, after.end())
    return thing is None or _is_person(thing.group("next").capitalize())


def _unknown_name_is_a_person(name: str, text: str, end: int, before: str) -> bool:
    """A capitalised word in no list, not opening a sentence, is a person when it owns
    something, a family word follows it, it is a plural after "the", or it sits in a person's
    place; unless it is an everyday word, an agency, place, people or faith word."""
    stem = name[:-1] if name.endswith("s") else name
    if (
        _SENTENCE_START.search(before)
        or name.lower() in everyday_words()
        or stem.lower() in everyday_words()
        or not _is_person(name)
        or _PLACE_WORD_BEFORE.search(before)
    ):
        return False
    if _OWNS.match(text, end) or _family_word_is_a_person(text, end):
        return True
    if _PROPER_NOUN_GOES_ON.match(text, end):
        return False
    return (name.endswith("s") and _PLURAL_AFTER_THE.search(before) is not None) or (
        _CLAUSE_ABOUT_SOMEONE.search(before) is not None and _DOES_AFTER.match(text, end) is not None
    )


def _bare_name(found: re.Match[str]) -> str:
    """A known given name with no cue: kept when the words around it make it a place or a
    thing, or when it is also an everyday word that only starts the sentence ("Grace period")."""
    name, text = found.group("name"), found.string
    before = text[max(0, found.start() - 40) : found.start()]
    if not is_given_name(name):
        return NAME if _unknown_name_is_a_person(name, text, found.end(), before) else name
    if (
        not _is_person(name)
        or _PROPER_NOUN_GOES_ON.match(text, found.end())
        or _PLACE_BEFORE.search(before)
        or _PLACE_WORD_BEFORE.search(before)
        or (name.lower() in everyday_words() and _SENTENCE_START.search(before))
    ):
        return name
    return NAME


# -- all together ---------------------------------------------------------------------------


# Each rule with a quick test of whether it could match at all: most answers have no
# "@" and no digit, and skipping those rules halves the time on a long answer.
_HAS_AT = re.compile("@")
_HAS_DIGIT = re.compile(r"\d")
_HAS_CAPITAL = re.compile(_U)
_Rule = tuple[re.Pattern[str], Callable[[str], str]]


@cache
def _rules() -> tuple[_Rule, ...]:
    return (
        (_HAS_AT, partial(_EMAIL.sub, EMAIL)),
        (_HAS_DIGIT, partial(_NHS.sub, _nhs)),
        (_HAS_DIGIT, partial(_PHONE.sub, _phone)),
        (_HAS_DIGIT, partial(_POSTCODE.sub, _postcode)),
        (_HAS_DIGIT, partial(_DOB.sub, _dob)),
        (_HAS_CAPITAL, partial(_NAME_AFTER_TITLE.sub, _whole_name)),
        (_HAS_CAPITAL, partial(_NAME_AFTER_CUE.sub, _cued_name)),
        (_HAS_CAPITAL, partial(_NAME_BEFORE_CUE.sub, _whole_name)),
        (_HAS_CAPITAL, _given_and_surname),
        (_HAS_CAPITAL, partial(_GIVEN_NAME_CUED.sub, _given_name_cued)),
        (_HAS_CAPITAL, partial(_CAPITALISED.sub, _bare_name)),
    )


def redact(text: str) -> str:
    """``text`` with personal data replaced by markers; everything else unchanged."""
    for could_match, replace in _rules():
        if could_match.search(text):
            text = replace(text)
    return text
