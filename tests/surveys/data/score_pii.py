"""Score the redactor on PII sets in the public sample's format, per kind of data.

Run: ``.venv/bin/python -m tests.surveys.data.score_pii [--lines even|odd] FILE.jsonl [...]``;
``--lines`` scores only the even or odd lines (counted from 1) of each file, so a set can be
split into a half to tune on and a half to check on. A value
counts as found when, in the output, its place holds exactly its marker; a case
has a false positive when text outside its labelled values was changed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from surveys.redaction import redact
from tests.helpers.shared import read_jsonl

MARKERS = {
    "email": "[email]",
    "phone": "[phone]",
    "nhs_number": "[NHS number]",
    "postcode": "[postcode]",
    "dob": "[date of birth]",
    "name": "[name]",
}


def _shape(case: dict) -> tuple[re.Pattern[str], list[dict]]:
    """A pattern for the output: the text between values kept, one group per value."""
    text, items, parts, at = case["text"], [], [], 0
    for found in sorted(case["pii"], key=lambda f: text.index(f["value"])):
        start = text.index(found["value"], at)
        parts += [re.escape(text[at:start]), "(.*?)"]
        items.append(found)
        at = start + len(found["value"])
    parts.append(re.escape(text[at:]))
    return re.compile("".join(parts), re.DOTALL), items


def score(cases: list[dict]) -> tuple[Counter, Counter, list[tuple[str, str]]]:
    """(found per kind, labelled per kind, cases wrong with their output); FP kinds under 'fp:'."""
    found, total, wrong = Counter(), Counter(), []
    for case in cases:
        out = redact(case["text"])
        pattern, items = _shape(case)
        match = pattern.fullmatch(out)
        for i, item in enumerate(items):
            total[item["kind"]] += 1
            ok = match.group(i + 1) == MARKERS[item["kind"]] if match else item["value"] not in out
            found[item["kind"]] += ok
        if not match:
            extra = Counter(m for m in MARKERS.values() for _ in range(out.count(m)))
            extra.subtract(MARKERS[i["kind"]] for i in items)
            kinds = [k for k, n in extra.items() if n > 0] or ["changed"]
            for kind in kinds:
                found["fp:" + kind] += 1
        if not match or any(match.group(i + 1) != MARKERS[it["kind"]] for i, it in enumerate(items)):
            wrong.append((case["text"], out))
    return found, total, wrong


def main(args: list[str]) -> None:
    half = None
    if args[:1] == ["--lines"]:
        half, args = ("even", "odd").index(args[1]), args[2:]
    for path in args:
        cases = read_jsonl(Path(path))
        if half is not None:
            # Line n (from 1) is cases[n - 1]: even lines are the odd indexes.
            cases = cases[1 - half :: 2]
            path = f"{path} ({('even', 'odd')[half]} lines)"
        found, total, wrong = score(cases)
        fps = {k[3:]: n for k, n in found.items() if k.startswith("fp:")}
        print(f"{path}: {len(cases)} cases, {len(cases) - len(wrong)} exactly right")
        for kind in MARKERS:
            if total[kind]:
                print(f"  {kind:11} recall {found[kind]}/{total[kind]}")
        print(f"  false positives (cases, by extra marker): {fps or 'none'}")
        for text, out in wrong:
            print(f"    IN : {text}\n    OUT: {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
