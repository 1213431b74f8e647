"""The container image copies every package the app is made of (the container installs only those)."""

from __future__ import annotations

import re

from tests.helpers.shared import ROOT

NOT_IN_IMAGE = {"tests", "bench"}  # the test suite and benchmarks are not part of the running app


def test_the_image_copies_every_top_level_package() -> None:
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "deployment" / "Dockerfile").read_text(), re.M))
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_IN_IMAGE
    assert packages - copied == set(), "packages the image would start without"
