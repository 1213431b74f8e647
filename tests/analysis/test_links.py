"""Signed report links: only the agency in the signature, only until it expires, never tampered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analysis.links import (
    ReportLinkError,
    ReportLinkExpired,
    report_url,
    resolve_report_file,
    sign_report_path,
    verify_report_path,
)
from analysis.reports import report_dir
from common.settings import Settings

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SECRET_KEY": "a-test-secret", "REPORT_LINK_HOURS": "24"}, report_dir=tmp_path)


def test_a_signed_path_names_its_wave_and_agency(settings):
    path = sign_report_path(settings, 7, "CSC", NOW)
    assert verify_report_path(settings, path, NOW + timedelta(hours=23)) == (7, "CSC")
    assert verify_report_path(settings, f"{path}/report.html", NOW) == (7, "CSC")


def test_another_agency_in_the_path_is_refused(settings):
    wave, _, expires, signature = sign_report_path(settings, 7, "CSC", NOW).split("/")
    with pytest.raises(ReportLinkError, match="signature"):
        verify_report_path(settings, f"{wave}/OUH/{expires}/{signature}", NOW)


def test_another_wave_or_a_later_expiry_is_refused(settings):
    wave, agency, expires, signature = sign_report_path(settings, 7, "CSC", NOW).split("/")
    for forged in (f"8/{agency}/{expires}/{signature}", f"{wave}/{agency}/{int(expires) + 3600}/{signature}"):
        with pytest.raises(ReportLinkError):
            verify_report_path(settings, forged, NOW)


def test_a_changed_signature_is_refused(settings):
    path = sign_report_path(settings, 7, "CSC", NOW)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    with pytest.raises(ReportLinkError):
        verify_report_path(settings, tampered, NOW)


def test_a_link_signed_with_another_secret_is_refused(settings):
    other = Settings.from_env({"SECRET_KEY": "someone-elses"})
    with pytest.raises(ReportLinkError):
        verify_report_path(settings, sign_report_path(other, 7, "CSC", NOW), NOW)


def test_an_expired_link_says_so(settings):
    path = sign_report_path(settings, 7, "CSC", NOW)
    with pytest.raises(ReportLinkExpired) as caught:
        verify_report_path(settings, path, NOW + timedelta(hours=24, seconds=1))
    assert caught.value.status == 410


@pytest.mark.parametrize("path", ["", "7/CSC", "x/CSC/1/sig", "7/../1/sig", "7/CSC/1/sig/a/b"])
def test_malformed_paths_are_refused(settings, path):
    with pytest.raises(ReportLinkError):
        verify_report_path(settings, path, NOW)


def test_resolve_serves_only_that_agencys_files(settings):
    for agency in ("CSC", "OUH"):
        folder = report_dir(settings.report_dir, 7, agency)
        folder.mkdir(parents=True)
        (folder / "report.html").write_text(agency, encoding="utf-8")
    path = sign_report_path(settings, 7, "CSC", NOW)
    assert resolve_report_file(settings, f"{path}/report.html", NOW).read_text(encoding="utf-8") == "CSC"
    for name in ("..%2FOUH%2Freport.html", "secret.txt", "missing.html"):
        with pytest.raises(ReportLinkError):
            resolve_report_file(settings, f"{path}/{name}", NOW)


def test_the_partnership_report_is_not_served_by_link(settings):
    folder = report_dir(settings.report_dir, 7, "ALL")
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("all", encoding="utf-8")
    path = sign_report_path(settings, 7, "ALL", NOW)
    with pytest.raises(ReportLinkError):
        resolve_report_file(settings, f"{path}/report.html", NOW)


def test_report_url_points_at_the_bot(settings):
    url = report_url(settings, 7, "CSC", NOW)
    assert url.startswith("http://127.0.0.1:3978/reports/7/CSC/")
    assert url.endswith("/report.html")


def _respellings(path: str) -> dict[str, str]:
    wave, agency, expires, signature = path.split("/")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    return {
        "zero-padded wave": f"0{wave}/{agency}/{expires}/{signature}",
        "zero-padded expiry": f"{wave}/{agency}/0{expires}/{signature}",
        "arabic-indic digits": f"{wave.translate(arabic)}/{agency}/{expires.translate(arabic)}/{signature}",
        "fullwidth digit": f"{wave}/{agency}/{expires[:-1]}{chr(0xFF10 + int(expires[-1]))}/{signature}",
        "leading slash": f"/{path}",
        "trailing slash": f"{path}/",
        "doubled slash": f"{wave}//{agency}/{expires}/{signature}",
        "padded signature": f"{path}=",
        "newline after": f"{path}\n",
        "newline after the file": f"{path}/report.html\n",
        "plus sign": f"+{wave}/{agency}/{expires}/{signature}",
        "non-ASCII signature": f"{wave}/{agency}/{expires}/{signature[:-1]}é",
    }


@pytest.mark.parametrize(
    "case",
    [
        "zero-padded wave",
        "zero-padded expiry",
        "arabic-indic digits",
        "fullwidth digit",
        "leading slash",
        "trailing slash",
        "doubled slash",
        "padded signature",
        "newline after",
        "newline after the file",
        "plus sign",
        "non-ASCII signature",
    ],
)
def test_a_link_has_exactly_one_spelling(settings, case):
    path = sign_report_path(settings, 7, "CSC", NOW)
    assert verify_report_path(settings, path, NOW) == (7, "CSC")
    with pytest.raises(ReportLinkError):
        verify_report_path(settings, _respellings(path)[case], NOW)
