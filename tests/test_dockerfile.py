"""The container: the image copies every package the app is made of, installs only requirements.txt, runs
as a user and starts through the one script the runtime check also runs; compose brings up the whole set."""

from __future__ import annotations

import importlib.util
import json
import re

import yaml

from tests.helpers.shared import ROOT

NOT_IN_IMAGE = {"tests", "bench"}  # the test suite and benchmarks are not part of the running app


def test_the_image_copies_every_top_level_package() -> None:
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "deployment" / "Dockerfile").read_text(), re.M))
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_IN_IMAGE
    assert packages - copied == set(), "packages the image would start without"


DOCKERFILE = ROOT / "deployment" / "Dockerfile"
COMPOSE = ROOT / "deployment" / "compose.yaml"


def _final_stage() -> list[str]:
    """The Dockerfile's instructions after its last FROM (the image that runs), one per line."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[last_from:]


def test_the_image_installs_only_requirements_txt_and_runs_as_a_user() -> None:
    stage = _final_stage()
    installs = [line for line in stage if "pip install" in line]
    assert installs == ["RUN pip install -r requirements.txt"]
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users, "the image would run as root"
    assert users[-1] not in {"root", "0"}, "the image would run as root"
    start = next(i for i, line in enumerate(stage) if line.startswith("CMD"))
    assert stage.index(f"USER {users[-1]}") < start


def test_the_image_and_the_runtime_check_start_through_the_same_script() -> None:
    cmd = json.loads(next(line for line in _final_stage() if line.startswith("CMD "))[4:])
    assert cmd == ["sh", "deployment/start.sh"]
    assert "COPY deployment/start.sh ./deployment/start.sh" in _final_stage()
    steps = [line for line in (ROOT / cmd[1]).read_text().splitlines() if line.startswith(("python", "exec"))]
    assert steps == ["python -m storage upgrade", 'exec python -m bot "$@"'], "migrations, then the bot"
    spec = importlib.util.spec_from_file_location("runtime_check", ROOT / ".ci" / "runtime_check.py")
    assert spec is not None
    assert spec.loader is not None
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert ROOT / cmd[1] == check.START


def test_compose_runs_postgresql_the_migration_two_replicas_and_the_tick() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    assert services["db"]["image"].startswith("postgres:")
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "-m", "storage", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    replicas = {
        name: service
        for name, service in services.items()
        if service.get("image") == "safeguarding-bot" and "command" not in service  # the image's start
    }
    assert len(replicas) == 2, replicas.keys()
    ports = [service["ports"][0].rsplit(":", 1)[0] for service in replicas.values()]
    assert len(set(ports)) == 2, f"replicas share a host port: {ports}"
    for service in replicas.values():
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    tick = services["tick"]
    assert "python -m bot tick" in " ".join(tick["command"])
    assert "while true" in " ".join(tick["command"])
    assert tick["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
