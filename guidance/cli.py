"""``python -m guidance ask | eval | validate | gaps``: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from common.errors import SafeguardingBotError
from common.partnership import load_partnership
from common.settings import Settings, settings_from_environment
from guidance.evaluation import evaluate, read_labelled
from guidance.knowledge import KnowledgeBase, load_knowledge_base
from guidance.model import Answer


def as_json(answer: Answer) -> dict[str, Any]:
    """The answer in the shape the issue fixes: topic, confidence, emergency, answer (+ term)."""
    shown: dict[str, Any] = {
        "topic": answer.topic,
        "confidence": answer.confidence,
        "emergency": answer.emergency,
        "answer": f"{answer.reminder}\n\n{answer.text}" if answer.reminder else answer.text,
    }
    if answer.term is not None:
        shown["term"] = answer.term
    return shown


def _knowledge(settings: Settings, content: Path | None) -> KnowledgeBase:
    return load_knowledge_base(load_partnership(settings.partnership_file), content)


def _ask(kb: KnowledgeBase, question: str | None, out: TextIO, source: TextIO) -> int:
    questions = [question] if question is not None else (line.strip() for line in source)
    for text in questions:
        if text:
            out.write(json.dumps(as_json(kb.answer(text)), ensure_ascii=False) + "\n")
            out.flush()
    return 0


def _eval(kb: KnowledgeBase, path: Path, out: TextIO) -> int:
    report = evaluate(kb, read_labelled(path))
    out.write("\n".join(report.lines()) + "\n")
    return 0


def _validate(kb: KnowledgeBase, out: TextIO) -> int:
    terms = len(kb.glossary.entries)
    questions = sum(len(t.questions) for t in kb.topics.values())
    out.write(f"ok: {len(kb.topics)} topics, {questions} sample questions, {terms} glossary terms\n")
    for topic in kb.overdue(datetime.now(UTC).date()):
        out.write(f"warning: {topic.source}: review date {topic.review.isoformat()} has passed\n")
    return 0


async def _gaps(settings: Settings, limit: int, out: TextIO) -> int:
    from storage.database import Database
    from storage.guidance_log import top_gaps

    db = await Database.open(settings.resolved_database_url)
    try:
        await db.require_current_schema()
        gaps = await top_gaps(db, limit=limit)
    finally:
        await db.close()
    if not gaps:
        out.write("no unanswered or unhelpful questions recorded\n")
    for gap in gaps:
        out.write(
            f"{gap.count:>4}  unanswered {gap.unanswered:>3}  unhelpful {gap.unhelpful:>3}  "
            f"[{gap.topic or 'no topic'}] {gap.question}\n"
        )
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface (also documents it: ``python -m guidance -h``)."""
    top = argparse.ArgumentParser(prog="python -m guidance", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question as JSON; no question: one per line from stdin")
    ask.add_argument("question", nargs="?", help="the question (omit to read questions from stdin)")
    score = commands.add_parser("eval", help="score a JSON-lines file of {q, topic}")
    score.add_argument("file", type=Path)
    commands.add_parser("validate", help="check every content file and report overdue reviews")
    gaps = commands.add_parser("gaps", help="most frequent unanswered or unhelpful questions in the database")
    gaps.add_argument("--limit", type=int, default=20)
    for command in (ask, score, commands.choices["validate"]):
        command.add_argument("--content", type=Path, help="topic folder (default: guidance/content)")
    return top


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, source: TextIO = sys.stdin) -> int:
    """Run one command; content or storage problems print one clear line and exit 1."""
    args = parser().parse_args(argv)
    try:
        settings = settings_from_environment()
        if args.command == "gaps":
            return asyncio.run(_gaps(settings, args.limit, out))
        kb = _knowledge(settings, args.content)
        if args.command == "ask":
            return _ask(kb, args.question, out, source)
        if args.command == "eval":
            return _eval(kb, args.file, out)
        return _validate(kb, out)
    except SafeguardingBotError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
