"""Benchmark: the CPU of reading one incoming activity into an ``Activity``, msrest's way beside the bot's.

The activities are shaped as the load benchmark sends them (Teams personal
chat): the install, a typed answer and a card's submission. Each is first
made what the edge hands on (parsed, strings made storable and capped:
``bot.inbound.normalised``); then

- msrest: ``Activity().deserialize(body)`` (what the edge used);
- direct: ``bot.activity_json.read_activity_model(body)`` (what it uses now),
  which must give the same object, checked first;
- the whole edge: ``bot.inbound.read_activity(raw)`` (parse, normalise, the
  declared schema, then the direct reader), for scale.

Times are CPU microseconds per activity, medians of --rounds interleaved rounds with their range.

    .venv/bin/python -m bench.inbound_bench [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botbuilder.schema import Activity

from bench.load_bench import activity
from bench.micro import cpu_per_item, interleaved, print_figures
from bot.activity_json import read_activity_model
from bot.inbound import normalised, read_activity

SERVICE_URL = "https://smba.example/amer/"
REPEAT = 300  # passes over the items per figure


def bodies() -> list[dict[str, Any]]:
    stamp = datetime.now(UTC).isoformat()
    return [
        activity(SERVICE_URL, "u1", type="conversationUpdate", membersAdded=[{"id": "28:bench-bot"}]),
        activity(SERVICE_URL, "u1", type="message", text="Agree", timestamp=stamp),
        activity(
            SERVICE_URL,
            "u1",
            type="message",
            timestamp=stamp,
            replyToId="1234",
            value={"item": "q5", "answer": "Agree", "shown": stamp},
            entities=[{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web"}],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    raws = [json.dumps(body).encode() for body in bodies()]
    checked = [normalised(json.loads(raw))[0] for raw in raws]
    for body in checked:
        if read_activity_model(body).serialize() != Activity().deserialize(body).serialize():
            raise SystemExit(f"the two readers disagree on a {body['type']} activity")
    series: dict[str, Callable[[], float]] = {
        "msrest": lambda: cpu_per_item(Activity().deserialize, checked, REPEAT),
        "direct": lambda: cpu_per_item(read_activity_model, checked, REPEAT),
        "the whole edge": lambda: cpu_per_item(read_activity, raws, REPEAT),
    }
    times = interleaved(series, args.rounds)
    title = f"{len(checked)} activities, the same object from both readers; CPU us per activity:"
    print_figures(title, times, [("msrest", "direct")], digits=1)


if __name__ == "__main__":
    main()
