"""Emergency detection: recall first. Every danger phrasing we know of must be caught."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from common.errors import ContentError
from guidance.cues import load_cues
from guidance.emergency import EMERGENCY_FILE, cues, detect, load_emergency_rules
from tests.helpers.shared import read_jsonl

DATA = Path(__file__).resolve().parent / "data"

DANGER_NOW = [
    "he's going to hurt her",
    "her ex is outside with a knife",
    "dad said he'll kill mum when he gets home tonight",
    "a child in my class is scared to go home because of what his stepdad will do",
    "she doesn't want to go home, says her mum will batter her",
    "pupil says he can't go home, his dad hit him with a belt this morning",
    "someone is being beaten up outside the surgery",
    "resident collapsed after another resident punched him",
    "there's an intruder in the flat and she's locked in the bathroom with the kids",
    "client says she's got her tablets saved up and is going to end it tonight",
    "young person has taken an overdose",
    "man on the ward just threatened to kill his wife",
    "neighbour can hear a woman screaming for help next door",
    "mum's boyfriend has his hands round her throat",
    "toddler left alone in the flat, mum went out hours ago",
    "he's holding her against her will in his car",
    "girl says her brother is coming after her with a hammer",
    "lad stabbed on the estate, he's bleeding badly",
    "hes gonna kill her",  # no apostrophes, slang
    "HE'S GOT A GUN",
    "patient not breathing after being assaulted",
    "someone is trying to break in to the refuge right now",
]

NOT_AN_EMERGENCY = [
    "how do I escalate a concern to my manager",
    "what does MARAC stand for",
    "is neglect the most common reason for a child protection plan",
    "patient says her son takes her pension every week",
    "she scored 15 on the DASH, what happens now",
    "how do I book onto level 3 training",
    "child keeps going missing from school, who do I tell",
    "do I call 101 or 999 for FGM",
    "kids left on their own a lot in the evenings",
    "a pupil says the PE teacher touched her",
    "teenager has two phones and unexplained cash",
    "how do I support a colleague after a suicide on the ward last year",
    # Hard guidance questions (dev-hard-o) that the rules once took for danger now.
    "I'm a dentist and a 7 year old has rotten teeth and the parents keep missing appointments",
    "girl says her aunty is taking her back home in the holidays for a special ceremony",
    "a pupil's attendance has collapsed and nobody knows where the family went",
    "my colleague keeps shouting at the residents and I'm scared of losing my job if I speak up",
    "mum's new partner has a conviction for hurting a child, and he's moved in",
    "an older lady is talking about someone 'looking after her money' who she's never met",
]


@pytest.mark.parametrize("text", DANGER_NOW)
def test_danger_now_is_an_emergency(text: str) -> None:
    assert detect(text), text


@pytest.mark.parametrize("text", NOT_AN_EMERGENCY)
def test_routine_questions_are_not_emergencies(text: str) -> None:
    assert not detect(text), cues(text)


def test_an_emergency_mixed_with_another_question_is_still_an_emergency() -> None:
    assert detect(
        "where do I update my training record? also a resident has just told me she's going to "
        "kill herself tonight and has the pills"
    )


def test_curly_quotes_from_phones_do_not_hide_an_emergency() -> None:
    assert detect("he’s going to kill her")


def recall(rows: list[dict]) -> float:
    danger = [row["q"] for row in rows if row["topic"] == "immediate-danger"]
    assert danger
    return sum(detect(q) for q in danger) / len(danger)


def test_recall_is_total_on_the_public_sample(public_questions) -> None:
    assert recall(public_questions) == 1.0


def test_recall_is_total_on_our_dev_set_including_hard_ones(dev_questions) -> None:
    assert recall(dev_questions) == 1.0


def bank(name: str) -> list[str]:
    text = (Path(__file__).resolve().parent / "data" / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_every_message_in_the_danger_bank_is_an_emergency() -> None:
    missed = [text for text in bank("dev-danger-bank.txt") if not detect(text)]
    assert missed == []


def test_nothing_in_the_calm_bank_is_an_emergency() -> None:
    flagged = [(text, cues(text)) for text in bank("dev-calm-bank.txt") if detect(text)]
    assert flagged == []


def test_recall_is_total_on_the_check_and_blind_sets() -> None:
    for name in ("dev-check-questions.jsonl", "dev-blind-questions.jsonl"):
        rows = read_jsonl(Path(__file__).resolve().parent / "data" / name)
        assert recall(rows) == 1.0, name


def test_no_false_alarm_on_the_public_samples_other_questions(public_questions) -> None:
    flagged = [r["q"] for r in public_questions if r["topic"] != "immediate-danger" and detect(r["q"])]
    assert flagged == []


def test_a_broken_cue_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(
        "groups:\n  - name: fine\n    any: ['\\bknife\\b']\n  - name: broken\n    any: ['(unclosed']\n"
    )
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    assert (caught.value.path, caught.value.line) == (str(path), 4)
    assert "not a valid regex" in caught.value.problem


def test_a_cue_group_needs_patterns(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("groups:\n  - name: empty\n")
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    assert caught.value.line == 2


def test_a_rewrite_pattern_must_be_a_pair(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("groups:\n  - name: fine\n    any: ['knife']\nrewrite_patterns:\n  - ['only one']\n")
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    assert "rewrite pattern" in caught.value.problem


# Labelled sets written for the redesign from a phrase list to two-factor rules
# (harm x now): emergencies and near-misses in staff's own words. The tune set shaped
# the rules; the held-out set and then four later blind sets were each scored once,
# blind, before being used to fix what they revealed (first-run figures are in the
# report: they are the honest estimate of recall on messages nobody has seen yet).
# Here they all guard against regressions.
LABELLED_SETS = (
    "dev-emergency-tune.jsonl",
    "dev-emergency-b.jsonl",
    "dev-emergency-blind-c.jsonl",
    "dev-emergency-blind-d.jsonl",
    "dev-emergency-blind-e.jsonl",
    "dev-emergency-blind-f.jsonl",
    "dev-emergency-g.jsonl",
    "dev-emergency-h.jsonl",
    "dev-emergency-i.jsonl",
    "dev-emergency-j.jsonl",
)


def labelled(name: str) -> tuple[list[str], list[str]]:
    rows = read_jsonl(DATA / name)
    return [r["q"] for r in rows if r["emergency"]], [r["q"] for r in rows if not r["emergency"]]


@pytest.mark.parametrize("name", LABELLED_SETS)
def test_every_emergency_in_the_labelled_sets_is_caught(name: str) -> None:
    emergencies, _ = labelled(name)
    assert len(emergencies) >= 40
    assert [q for q in emergencies if not detect(q)] == []


@pytest.mark.parametrize("name", LABELLED_SETS)
def test_false_alarms_on_the_near_misses_stay_rare(name: str) -> None:
    # Recall is favoured over precision, so some false alarms are allowed, but a false
    # alarm also hides the answer that was asked for: at most one in ten near-misses.
    _, near_misses = labelled(name)
    assert len(near_misses) >= 40
    flagged = [(q, cues(q)) for q in near_misses if detect(q)]
    assert len(flagged) <= len(near_misses) // 10, flagged


@pytest.mark.parametrize(
    "text",
    [
        "a pupil told me his dad beat him last year, how do I record it",
        "client has a history of overdoses, how do I support her",
        "is there training on responding to strangulation",
        "in our training scenario a child is being hurt right now, what is the first step",
        "dad hit him on saturday but he's safe at his nan's now, how do I refer",
        "son is hitting residents' doors when he visits, is that a safeguarding concern",
    ],
)
def test_the_past_training_and_settled_cases_are_set_aside(text: str) -> None:
    assert not detect(text), cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "he beat her last year and he's outside her flat right now",
        "what's the procedure if a child is being hit right now in reception",
        "she's safe at the moment but he's back outside with a knife",
        "what training is there? separately, a resident has just collapsed after being pushed",
    ],
)
def test_a_sign_of_now_brings_a_damped_clause_back(text: str) -> None:
    assert detect(text), text


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("strangeld", "strangled"), ("unconcious", "unconscious"), ("threatning", "threatening")],
)
def test_key_words_typed_one_letter_wrong_are_mended(typed: str, meant: str) -> None:
    rules = load_emergency_rules(EMERGENCY_FILE)
    assert rules.mender.mend(f"he {typed} her") == f"he {meant} her"


def test_real_words_near_a_key_word_are_not_mended() -> None:
    rules = load_emergency_rules(EMERGENCY_FILE)
    assert rules.mender.mend("see attached, streaming live") == "see attached, streaming live"


@pytest.mark.parametrize("section", ["harm", "learned"])
def test_an_emergency_rules_file_missing_a_section_names_the_file_and_the_section(
    tmp_path: Path, section: str
) -> None:
    text = EMERGENCY_FILE.read_text(encoding="utf-8").replace(f"\n{section}:\n", f"\n{section}_gone:\n")
    path = tmp_path / "emergency.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_emergency_rules(path)
    assert caught.value.path == str(path)
    assert f"'{section}'" in caught.value.problem


def test_a_typo_word_too_short_to_mend_safely_is_refused(tmp_path: Path) -> None:
    text = EMERGENCY_FILE.read_text(encoding="utf-8").replace("typo_words: [", "typo_words: [hit, ", 1)
    path = tmp_path / "emergency.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_emergency_rules(path)
    assert "shorter than" in caught.value.problem


def test_a_misspelt_key_in_a_cue_group_is_refused_naming_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("groups:\n  - name: fine\n    any: ['knife']\n    al: [['gun']]\n")
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    assert (caught.value.path, caught.value.line, caught.value.problem) == (
        str(path),
        2,
        "unknown key 'al' in groups.0",
    )


def test_a_broken_regex_names_the_pattern_field(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(
        "groups:\n  - name: fine\n    any: ['knife']\n  - name: broken\n    all: [['ok'], ['(unclosed']]\n"
    )
    with pytest.raises(ContentError) as caught:
        load_cues(path)
    assert caught.value.line == 4
    assert caught.value.problem.endswith("(at groups.1.all.1.0)")


def test_a_misspelt_key_in_the_emergency_rules_is_refused(tmp_path: Path) -> None:
    text = EMERGENCY_FILE.read_text(encoding="utf-8").replace("typo_keep:", "typo_kep:", 1)
    path = tmp_path / "emergency.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_emergency_rules(path)
    assert (caught.value.path, caught.value.problem) == (str(path), "unknown key 'typo_kep'")


# -- the learned model beside the rules ---------------------------------------------------------


def _with_threshold(tmp_path: Path, threshold: str) -> Path:
    text = EMERGENCY_FILE.read_text(encoding="utf-8")
    start = text.index("\n  threshold:")
    end = text.index("\n", start + 1)
    path = tmp_path / "emergency.yaml"
    path.write_text(text[:start] + f"\n  threshold: {threshold}" + text[end:], encoding="utf-8")
    return path


def test_the_learned_threshold_in_the_file_decides_when_the_model_flags(tmp_path: Path) -> None:
    calm = "how do I book annual leave"
    never = load_emergency_rules(_with_threshold(tmp_path, "1000"))
    always = load_emergency_rules(_with_threshold(tmp_path, "-1000"))
    assert list(never.signs(calm)) == []
    assert list(always.signs(calm)) == ["learned model"]


def test_the_model_only_adds_to_the_rules(tmp_path: Path) -> None:
    # With a threshold nothing clears, the verdicts are the rules' own.
    never = load_emergency_rules(_with_threshold(tmp_path, "1000"))
    rules = load_emergency_rules(EMERGENCY_FILE, learned=False)
    for text in bank("dev-danger-bank.txt") + bank("dev-calm-bank.txt"):
        assert list(never.signs(text)) == list(rules.signs(text)), text


def test_the_set_written_before_the_learned_model_keeps_its_figures() -> None:
    # dev-emergency-k was written before the model and scored once on the rules alone: recall
    # 0.86, false alarms 0.164 (first run). Its even lines were then used to choose the model's
    # threshold and its odd lines were not; with the model: recall 0.98, false alarms 0.109.
    # The floors sit a little below those figures, so a regression shows.
    emergencies, near_misses = labelled("dev-emergency-k.jsonl")
    recall = sum(detect(q) for q in emergencies) / len(emergencies)
    false_alarms = sum(detect(q) for q in near_misses) / len(near_misses)
    assert recall >= 0.96, [q for q in emergencies if not detect(q)]
    assert false_alarms <= 0.13, [q for q in near_misses if detect(q)]


ASKING = (
    "a boy says there's a man at the park who gives out vapes and hits the younger ones, "
    "what level is this at"
)


def test_a_procedural_question_needs_a_strong_sign_of_now() -> None:
    # "there's ... hits" is only the broad grammar of now; the message asks what level it is at,
    # so it is a request for guidance, not a danger happening now.
    assert not detect(ASKING), cues(ASKING)
    # The same kind of question with a strong sign of now is still an emergency.
    assert detect("the neighbour is shouting and there's smashing right now, do I need to report it")
    assert detect("he's got a knife and is outside her door, do we need to report it")


def test_without_the_asking_section_the_same_question_is_flagged() -> None:
    # The section is what sets the question aside; strong signs and ``alone`` groups are untouched.
    rules = load_emergency_rules(EMERGENCY_FILE, learned=False)
    assert list(replace(rules, asking=()).signs(ASKING)) == ["violence (now)"]
    assert list(rules.signs(ASKING)) == []


def test_the_set_written_before_the_asking_rule_keeps_its_figures() -> None:
    # dev-emergency-r (written before the asking rule), first run: recall 1.00 / 0.963 on the
    # tune / check halves, false alarms 0.188 / 0.188; after it 1.00 / 0.963 and 0.156 / 0.188.
    emergencies, near_misses = labelled("dev-emergency-r.jsonl")
    recall = sum(detect(q) for q in emergencies) / len(emergencies)
    false_alarms = sum(detect(q) for q in near_misses) / len(near_misses)
    assert recall >= 0.98, [q for q in emergencies if not detect(q)]
    assert false_alarms <= 0.19, [q for q in near_misses if detect(q)]
