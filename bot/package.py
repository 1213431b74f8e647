"""``python -m bot package [--out FILE]``: the Teams app package, with this bot's app id filled in.

The manifest template and icons live in ``deployment/teams/`` so a partnership
can edit the wording or swap in its own icons without touching code. The
package is refused, with the reason, when the app id is missing or is not a
GUID, a placeholder is unknown, or an icon has the wrong size: Teams would
only reject it later, less clearly.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from common.errors import SafeguardingBotError, SettingsError
from common.partnership import load_partnership
from common.settings import ROOT, Settings, settings_from_environment

TEAMS_DIR = ROOT / "deployment" / "teams"
DEFAULT_OUT = ROOT / "dist" / "teams-app.zip"
ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bytes


class PackageError(SafeguardingBotError):
    """The Teams package cannot be built from these settings or files; the message says why."""


def manifest_values(settings: Settings) -> dict[str, str]:
    """The values the manifest template's ``{{placeholders}}`` are filled with."""
    if not settings.app_id:
        raise SettingsError(
            "MicrosoftAppId is not set. Register the bot in Azure (see deployment/README.md), "
            "then set MicrosoftAppId to its app id and run this again."
        )
    if not _GUID.match(settings.app_id):
        raise SettingsError(f"MicrosoftAppId={settings.app_id!r} is not a GUID; Teams needs the Azure app id")
    partnership = load_partnership(settings.partnership_file)
    return {
        "MicrosoftAppId": settings.app_id,
        "PartnershipName": partnership.name,
        "PartnershipShortName": partnership.short_name,
        "PublicBaseUrl": settings.public_base_url.rstrip("/"),
    }


def render_manifest(template: Any, values: Mapping[str, str]) -> Any:
    """The template with every ``{{name}}`` in its strings replaced; an unknown name is an error."""
    if isinstance(template, dict):
        return {key: render_manifest(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render_manifest(value, values) for value in template]
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: _value(m.group(1), values), template)
    return template


def _value(name: str, values: Mapping[str, str]) -> str:
    if name not in values:
        raise PackageError(f"manifest template: unknown placeholder {{{{{name}}}}}")
    return values[name]


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; PackageError when it is not a PNG."""
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise PackageError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def build_package(settings: Settings, out: Path, *, teams_dir: Path = TEAMS_DIR) -> Path:
    """Write the Teams app zip (manifest.json, color.png, outline.png) to ``out`` and return it."""
    values = manifest_values(settings)
    template = json.loads((teams_dir / "manifest.template.json").read_text(encoding="utf-8"))
    manifest = render_manifest(template, values)
    icons: dict[str, bytes] = {}
    for name, expected in ICONS.items():
        data = (teams_dir / name).read_bytes()
        try:
            size = png_size(data)
        except PackageError as exc:
            raise PackageError(f"{teams_dir / name}: {exc}") from exc
        if size != expected:
            wanted = "x".join(map(str, expected))
            raise PackageError(f"{teams_dir / name}: is {size[0]}x{size[1]}, Teams needs {wanted}")
        icons[name] = data
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {"manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode(), **icons}
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: build the package, say where it is, or say why not (exit status 2)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot package",
        description="Build the Teams app package (manifest with MicrosoftAppId filled in, and the icons).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    settings = settings_from_environment()
    try:
        out = build_package(settings, args.out)
    except SafeguardingBotError as exc:
        print(f"Cannot build the Teams package: {exc}", file=sys.stderr)
        return 2
    if not settings.public_base_url.startswith("https://"):
        print(f"Note: PUBLIC_BASE_URL is {settings.public_base_url}; Teams users need an https address.")
    print(f"Teams app package written to {out}. Upload it in Teams: Apps > Manage your apps > Upload an app.")
    return 0
