"""The Teams app package: a manifest that the official schema accepts, the right icons, clear refusals."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from bot.package import TEAMS_DIR, PackageError, build_package, main, render_manifest
from common.errors import SettingsError
from common.settings import ROOT, Settings

APP_ID = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"


def settings(**overrides: Any) -> Settings:
    values = {"app_id": APP_ID, "public_base_url": "https://bot.example.org", **overrides}
    return Settings.from_env({}, **values)


def read_package(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["manifest.json"]), files


def schema_for(version: str) -> dict[str, Any]:
    path = SCHEMAS / f"v{version}" / "MicrosoftTeams.schema.json"
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} is absent: `make` installs @microsoft/app-manifest (npm ci)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return build_package(settings(), tmp_path / "teams-app.zip")


def test_the_manifest_validates_against_the_official_schema(package: Path) -> None:
    manifest, _ = read_package(package)
    schema = schema_for(manifest["manifestVersion"])
    # No check_schema: the official schema uses \p{L} in one pattern, which Python's re cannot
    # compile; that pattern is on extensions we do not use, so validation never reaches it.
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(manifest), key=str)
    assert errors == []


def test_the_manifest_uses_the_newest_schema_shipped(package: Path) -> None:
    if not SCHEMAS.exists():
        pytest.skip("node_modules/@microsoft/app-manifest is absent: run `make` (npm ci)")
    versions = [p.name[1:] for p in SCHEMAS.iterdir() if p.name[1:2].isdigit()]
    newest = max(versions, key=lambda v: tuple(int(n) for n in v.split(".")))
    manifest, _ = read_package(package)
    assert manifest["manifestVersion"] == newest
    assert manifest["$schema"].endswith(f"/v{newest}/MicrosoftTeams.schema.json")


def test_the_app_id_and_partnership_are_filled_in(package: Path) -> None:
    manifest, _ = read_package(package)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["developer"]["websiteUrl"] == "https://bot.example.org/"
    assert manifest["name"]["full"].startswith("Example Safeguarding Partnership")
    assert "{{" not in json.dumps(manifest)


def test_the_zip_holds_the_manifest_and_both_icons_at_their_sizes(package: Path) -> None:
    _, files = read_package(package)
    assert set(files) == {"manifest.json", "color.png", "outline.png"}
    colour = Image.open(io.BytesIO(files["color.png"]))
    outline = Image.open(io.BytesIO(files["outline.png"])).convert("RGBA")
    assert (colour.format, colour.size) == ("PNG", (192, 192))
    assert (Image.open(io.BytesIO(files["outline.png"])).format, outline.size) == ("PNG", (32, 32))
    pixels = [outline.getpixel((x, y)) for y in range(32) for x in range(32)]
    assert any(a == 0 for *_, a in pixels), "the outline icon needs a transparent background"
    assert all((r, g, b) == (255, 255, 255) for r, g, b, a in pixels if a), "the outline icon must be white"


def test_the_same_settings_build_the_same_bytes(tmp_path: Path) -> None:
    first = build_package(settings(), tmp_path / "a.zip").read_bytes()
    second = build_package(settings(), tmp_path / "b.zip").read_bytes()
    assert first == second


def test_no_app_id_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MicrosoftAppId is not set"):
        build_package(settings(app_id=""), tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_an_app_id_that_is_not_a_guid_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not a GUID"):
        build_package(settings(app_id="my-bot"), tmp_path / "x.zip")


def test_an_icon_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    teams = tmp_path / "teams"
    shutil.copytree(TEAMS_DIR, teams)
    Image.new("RGBA", (64, 64), (255, 255, 255, 0)).save(teams / "outline.png")
    with pytest.raises(PackageError, match=r"outline\.png: is 64x64, Teams needs 32x32"):
        build_package(settings(), tmp_path / "x.zip", teams_dir=teams)


def test_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(PackageError, match="Colour"):
        render_manifest({"a": ["{{Colour}}"]}, {"MicrosoftAppId": APP_ID})


def test_the_command_refuses_without_an_app_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert main(["--out", str(tmp_path / "x.zip")]) == 2
    assert "MicrosoftAppId is not set" in capsys.readouterr().err


def test_the_command_writes_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MicrosoftAppId", APP_ID)
    assert main(["--out", str(tmp_path / "app.zip")]) == 0
    manifest, _ = read_package(tmp_path / "app.zip")
    assert manifest["id"] == APP_ID
    assert "app.zip" in capsys.readouterr().out
