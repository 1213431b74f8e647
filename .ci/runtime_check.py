"""Start the bot as the container does, on a fresh SQLite file, and wait until /readyz answers.

Run with the interpreter of an environment built from requirements.txt alone
(``make runtime-check`` does), which stands first on PATH: then the container's
own start script, deployment/start.sh (migrations, then the bot), runs exactly
as in the image. If a runtime dependency is missing there, or the script's
steps fail, the bot cannot start and this says so. Standard library only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / "deployment" / "start.sh"  # the image's CMD
READY_WITHIN = 90.0  # seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(url: str) -> dict[str, str] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local server)
            return json.load(response) if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        env = {
            "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
            "HOME": folder,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/runtime-check.db",
            "PORT": str(port),
            "REPORT_DIR": f"{folder}/reports",
            "CONTENT_SUGGESTIONS_FILE": f"{folder}/suggestions.jsonl",
            "THEME_OVERRIDES_FILE": f"{folder}/overrides.csv",
        }
        bot = subprocess.Popen(["sh", str(START)], cwd="/", env=env)  # noqa: S603, S607 (the image's own start)
        try:
            deadline = time.monotonic() + READY_WITHIN
            while time.monotonic() < deadline:
                if bot.poll() is not None:
                    print(f"runtime check: {START.name} exited ({bot.returncode}) before the bot was ready")
                    return 1
                ready = _ready(f"http://127.0.0.1:{port}/readyz")
                if ready is not None:
                    print(f"runtime check: {START.name} migrated and started the bot from requirements.txt")
                    print(f"runtime check: /readyz says {ready}")
                    return 0
                time.sleep(0.5)
            print(f"runtime check: /readyz did not answer within {READY_WITHIN:.0f} s")
            return 1
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=15)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()


if __name__ == "__main__":
    sys.exit(main())
