"""Personal data in free text becomes a marker; everything else is left exactly as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import ROOT
from surveys.redaction import nhs_number_is_valid, redact
from tests.helpers.shared import read_jsonl, shared_path
from tests.surveys.data.score_pii import MARKERS, score

DATA = Path(__file__).resolve().parent / "data"


def _expected(case: dict) -> str:
    text = case["text"]
    for found in case["pii"]:
        assert found["value"] in text
        text = text.replace(found["value"], MARKERS[found["kind"]], 1)
    return text


def test_every_public_sample_is_redacted_exactly() -> None:
    cases = read_jsonl(shared_path("samples", "pii-public.jsonl"))
    assert cases
    wrong = [(c["text"], redact(c["text"]), _expected(c)) for c in cases if redact(c["text"]) != _expected(c)]
    assert wrong == []
    for case in cases:
        for found in case["pii"]:
            assert found["value"] not in redact(case["text"])


# Our own cases, beyond the public sample: other formats of the same kinds.
FOUND = [
    ("email me: jo.bloggs+safe@nhs.net", "email me: [email]"),
    ("cc DUTY.TEAM@oxfordshire.example.gov.uk please", "cc [email] please"),
    ("call 0800 123 4567 or 01865 123456", "call [phone] or [phone]"),
    ("text 07700-900-123 anytime", "text [phone] anytime"),
    ("+447700900123 is her number", "[phone] is her number"),
    ("office +44 (0)1865 960 123", "office [phone]"),
    ("call me on 01632960402.", "call me on [phone]."),
    ("Tel 01632 960 402 (ask for duty)", "Tel [phone] (ask for duty)"),
    ("mobile 07700 900318 2 kids at home", "mobile [phone] 2 kids at home"),
    ("his NHS number is 943 476 5919", "his NHS number is [NHS number]"),
    ("9434765919 on the letter", "[NHS number] on the letter"),
    ("NHS: 943-476-5919", "NHS: [NHS number]"),
    ("lives at ox4 7ab now", "lives at [postcode] now"),
    ("moved to RG1 1AA, then SN7 7AB", "moved to [postcode], then [postcode]"),
    ("at OX161AA", "at [postcode]"),
    ("born on 3rd March 2011", "born on [date of birth]"),
    ("DOB: 12-05-2010", "DOB: [date of birth]"),
    ("date of birth: 5/5/05", "date of birth: [date of birth]"),
    ("Born 14 Feb 2001 in Banbury", "Born [date of birth] in Banbury"),
    ("birthday is March 3rd", "birthday is [date of birth]"),
    ("d.o.b. 01.02.2003", "d.o.b. [date of birth]"),
    ("dob 2010-01-01", "dob [date of birth]"),
    ("Mr Smith from next door called it in", "[name] from next door called it in"),
    ("spoke to Mrs J. Patel about it", "spoke to [name] about it"),
    ("referred by Dr Ahmed", "referred by [name]"),
    ("Mr and Mrs Smith", "Mr and [name]"),
    ("teacher Mr O'Brien", "teacher [name]"),
    ("client McDonald", "client [name]"),
    ("her name is Chloe Evans", "her name is [name]"),
    ("her sister Amy and her mum Lisa Jones", "her sister [name] and her mum [name]"),
    ("young person Kayden Smith", "young person [name]"),
    ("the perpetrator Dean Walsh", "the perpetrator [name]"),
    ("my manager Dave listens", "my manager [name] listens"),
    ("Priya Shah said the school knew", "[name] said the school knew"),
    ("Oluwaseun Adeyemi (dad) refused", "[name] (dad) refused"),
    ("Mum (Sarah Jones) rang", "Mum ([name]) rang"),
    ("Jack Brown (aged 4)", "[name] (aged 4)"),
    ("a girl called Ruby", "a girl called [name]"),
    ("known as Tommo", "known as [name]"),
    ("DOB May 2012", "DOB [date of birth]"),
    ("born on the 4th of July 2010", "born on the [date of birth]"),
    ("07700 900318/07700 900319", "[phone]/[phone]"),
    ("+44 20 7946 0555 (main office)", "[phone] (main office)"),
    ("I spoke with Hannah yesterday", "I spoke with [name] yesterday"),
    ("dad, Gary Hill, rang", "dad, [name], rang"),
    ("Aneta Kowalczyk from the school rang", "[name] from the school rang"),
    # A known given name made clear by an age, a role or what the person said.
    ("Jayden, 14, ran away", "[name], 14, ran away"),
    ("Tyler's mum rang the office", "[name]'s mum rang the office"),
    ("Leah (her sister) was there", "[name] (her sister) was there"),
    ("Shannon told the teacher", "[name] told the teacher"),
    # A bare given name from many cultures, with no cue at all.
    ("Natalie from the school", "[name] from the school"),
    ("we thought Kacper was being exploited", "we thought [name] was being exploited"),
    ("Zainab missed three appointments in a row", "[name] missed three appointments in a row"),
    ("Fatima and Hamza were both on plans", "[name] and [name] were both on plans"),
    ("nobody asked Grace what she wanted", "nobody asked [name] what she wanted"),
    ("Oliwia Nowak moved schools", "[name] moved schools"),
    ("Nurse Okonkwo raised the alert", "[name] raised the alert"),
    # A name in no list, owning something mid-sentence.
    (
        "the family moved and Rahim's records never followed",
        "the family moved and [name]'s records never followed",
    ),
    # Lists and initials after one cue; a bracket after a cue.
    ("the children are Leah, Mason and Ava Clarke", "the children are [name], [name] and [name]"),
    ("thanks to Sarah and the Early Help team", "thanks to [name] and the Early Help team"),
    ("spoke to J Smith at the school", "spoke to [name] at the school"),
    ("Gran (Maureen Day) has PR", "Gran ([name]) has PR"),
    ("named as Jake, no surname given", "named as [name], no surname given"),
    ("Sarah Jones (the DSL) was great", "[name] (the DSL) was great"),
    ("YP b. 12.05.2009 missing", "YP b. [date of birth] missing"),
    ("0044 7700 900123 or +44-7700-900124", "[phone] or [phone]"),
    ("lives at Ox4 7AB", "lives at [postcode]"),
    ("house in ng7 2rd", "house in [postcode]"),
    ("DS Morgan took the statement", "[name] took the statement"),
    ("bday 3/4/12", "bday [date of birth]"),
    # A role, or contact details already redacted, straight after a name.
    ("Precious Mensah is the new named GP", "[name] is the new named GP"),
    ("ring Tracey on 07700 900410", "ring [name] on [phone]"),
    ("Kwabena Asante, k.asante@example.org", "[name], [email]"),
    ("referral made by Cheryl at the nursery", "referral made by [name] at the nursery"),
    ("Jasmine (DOB 05/05/2015)", "[name] (DOB [date of birth])"),
    ("Mia-Rose Taylor and her brother", "[name] and her brother"),
    ("at OX4  7AB", "at [postcode]"),
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_personal_data_in_other_formats(text: str, expected: str) -> None:
    assert redact(text) == expected


# Not personal data: every one of these must come back unchanged.
LEFT_ALONE = [
    "ring 101 or 999",
    "2019/20 we had 1,234 referrals, up 12.5%",
    "cost £12,500 per placement, a £8m gap",
    "Section 17 and section 47 enquiries",
    "9434765918 is not an NHS number (bad check digit)",
    "Invoice 5113610863 for interpreters",
    "M40 3rd exit",
    "use the A420 or the A34",
    "meeting on 12/03/2024 went well",
    "at 09:30 on 12.5.23",
    "MARAC on 3/4",
    "aged 14, in Year 9",
    "born in 2008 and raised in Poland",
    "the 01865 area code",
    "the 0-19 service",
    "Referral ref 1234567890",
    "child on a Child Protection Plan since May",
    "used the Child Exploitation Screening Tool twice",
    "contact Early Help or the MASH",
    "I rang Children's Social Care",
    "speak to Thames Valley Police",
    "contact Ofsted and Cafcass",
    "the John Radcliffe were great",
    "we met at the Churchill",
    "SW London team",
    "Ivy Lodge care home",
    "Grace Hospital meeting",
    "contact Ruskin College",
    "South and Vale District Councils are great",
    "I think Oxford City Council should listen",
    "The Horton General A&E",
    "level 3 on the threshold document",
    "2 days a week isn't enough for 1400 pupils",
    "Working Together 2018 and the Children Act 1989",
    "speak to Gloucestershire or Wiltshire",
    "01/02/2015 was the strategy meeting",
    "DOB unknown, born prematurely at 28 weeks",
    "Head Teacher from the school",
    "Community Safety from the council",
    "Deputy Head said it was fine",
    "Mental Health from the trust were slow",
    "Case ref 01234567890 still open",
    "crime number 0123 456 7890",
    "I told Mum I would call back",
    "asked Families First for help",
    "partner Agencies need training",
    "Kids Company closed years ago",
    "informed Bucks CC",
    "Boys aged 14 are most at risk",
    "St Mary's school were good",
    "Oxford Health is the provider",
    "call Childline on 0800 1111",
    "Thames Valley Police on 101",
    "Stoke Mandeville said they had no beds",
    "Mr Men books in the waiting room",
    "referred by Early Help",
    # Given names that are also everyday words, places, months or parts of a proper noun.
    "Grace period for returning forms was too short",
    "Will the new MASH process be explained to schools?",
    "Amber alerts are not used here",
    "In May we changed the referral form",
    "Meetings in Chester are hard to get to",
    "The Victoria Road office is not accessible",
    "Clare's Law requests take too long",
    "we moved to a new office in Jordan Street",
    "we reported it through Snapchat's safety centre",
    "the school checked Roblox's chat settings",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_not_personal_data_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", [t for t, _ in FOUND])
def test_redacting_twice_changes_nothing_more(text: str) -> None:
    assert redact(redact(text)) == redact(text)


# Sets written blind, each scored once before any tuning on it (tests/surveys/data/README.md).
BLIND_SETS = ("g", "h", "i", "j", "k", "n")
BLIND_CASES = [case for name in BLIND_SETS for case in read_jsonl(DATA / f"dev-pii-blind-{name}.jsonl")]


@pytest.mark.parametrize(
    "case",
    BLIND_CASES,
    ids=lambda case: case["text"][:40],
)
def test_every_blind_case_is_redacted_exactly(case: dict) -> None:
    assert redact(case["text"]) == _expected(case)


# Bare first names from many cultures with no cue, and look-alikes (everyday words, places,
# agencies, months) that must stay; names missing from every list are still missed.
BARE_NAMES = read_jsonl(DATA / "dev-pii-names-l.jsonl")
BARE_NAMES_FOUND = 0.85


@pytest.mark.parametrize("text", [case["text"] for case in BARE_NAMES if not case["pii"]])
def test_look_alikes_of_bare_names_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_most_bare_first_names_are_redacted() -> None:
    found, total, _ = score(BARE_NAMES)
    assert total["name"] > 30
    assert found["name"] / total["name"] >= BARE_NAMES_FOUND


# A second set, written before names in any Latin alphabet were handled: Welsh, Scottish and
# accented European names, romanised East Asian ones, and names in no list at all (Somali,
# Eritrean, Kurdish, Tamil, ...), which are still mostly missed. First run 15/52, now 24/52.
MORE_BARE_NAMES = read_jsonl(DATA / "dev-pii-names-m.jsonl")
PLACES_THAT_ARE_NAMES = "Jordan and Chelsea placements are out of area"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, marks=pytest.mark.xfail(strict=True, reason="places that are given names too"))
        if text == PLACES_THAT_ARE_NAMES
        else text
        for text in (case["text"] for case in MORE_BARE_NAMES if not case["pii"])
    ],
)
def test_more_look_alikes_of_bare_names_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_bare_names_in_other_alphabets_and_cultures_are_often_redacted() -> None:
    found, total, _ = score(MORE_BARE_NAMES)
    assert total["name"] == 52
    assert found["name"] >= 38


@pytest.mark.parametrize(
    "text",
    [
        "her mum Siân said she was fine",
        "Mr Jiří Novák phoned the school",
        "Chloé Martin was seen at the station",
        "the SW is Łukasz Wójcik",
        "Zoë told the teacher about the bruises",
        "Seán, 14, ran away again",
        "her brother Bartłomiej was being exploited",
        "Hương's school raised it",
        "called Ngọc Ánh",
    ],
)
def test_a_name_with_letters_beyond_a_to_z_is_redacted_whole(text: str) -> None:
    """Regression: name patterns read only A to Z, so "Siân" became "[name]ân" and "Jiří Novák"
    "[name]ří Novák": most of the name was kept. Or the name was not seen at all."""
    redacted = redact(text)
    assert "[name]" in redacted
    assert not re.search(r"\[name\]\w|\w\[name\]", redacted), redacted
    for word in re.findall(r"\w*[^\W\d_a-zA-Z]\w*", text):
        assert word not in redacted, redacted


def test_the_blind_sets_have_every_kind_and_negatives() -> None:
    kinds = {found["kind"] for case in BLIND_CASES for found in case["pii"]}
    assert kinds == set(MARKERS)
    assert sum(not case["pii"] for case in BLIND_CASES) >= 50


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("9434765919", True), ("4020860467", True), ("9434765918", False), ("5113610863", False),
     ("123456789", False), ("12345678901", False), ("abcdefghij", False)],
)  # fmt: skip
def test_the_nhs_number_check_digit(digits: str, valid: bool) -> None:
    assert nhs_number_is_valid(digits) is valid


def test_the_command_line_redacts_json_lines() -> None:
    cases = read_jsonl(shared_path("samples", "pii-public.jsonl"))
    stdin = "".join(json.dumps(c["text"]) + "\n" for c in cases)
    result = subprocess.run(
        [sys.executable, "-m", "surveys", "redact"],
        input=stdin, capture_output=True, text=True, cwd=ROOT, check=True, timeout=60,
    )  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [_expected(c) for c in cases]


def test_the_command_line_refuses_a_line_that_is_not_a_json_string() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "surveys", "redact"],
        input='"fine"\n{"text": 1}\n', capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == '"fine"\n'
    assert "line 2" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we were told the Mwangis had moved", "we were told the [name] had moved"),
        ("the McKenzies never opened the door", "the [name] never opened the door"),
        ("I visited the Nkemelu family twice", "I visited the [name] family twice"),
        ("The Qureshi children were kept off school", "The [name] children were kept off school"),
        ("we felt Tadesse was too scared to talk", "we felt [name] was too scared to talk"),
        ("school noticed Ruairidh limped", "school noticed [name] limped"),
    ],
)
def test_names_in_no_list_in_a_persons_place(text: str, expected: str) -> None:
    """Regression: a surname or given name in no list was kept when only its place in the
    sentence showed it was a person: a family word after it, a plural after "the", or a clause
    about someone before it and what they did after it."""
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the Polish family moved in last year",
        "the Syrian children need interpreters",
        "the Cotswolds are hard to reach",
        "one of our Reception kids wet herself",
        "the Stockport family hub is closing",
        "we thought Mosaic was down again",
        "Kowalczyk family were known to us",
    ],
)
def test_look_alikes_in_a_persons_place_are_left_alone(text: str) -> None:
    assert redact(text) == text
