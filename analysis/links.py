"""Signed, expiring links to one agency's report.

A link path is ``<wave>/<agency>/<expires>/<signature>``: the signature is an
HMAC-SHA256 (key: settings.secret_bytes()) over the wave, the agency and the
expiry, so changing any of them (another agency, a later expiry) breaks it.
The bot's app serves ``GET /reports/<path>/<file>`` by verifying the path
(:func:`verify_report_path`, or :func:`resolve_report_file` which also finds
the file) and serving only from the folder of the agency named in the
signature: ``REPORT_DIR/<wave id>/<agency>/`` (analysis.reports.report_dir).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from pathlib import Path

from analysis.reports import report_dir
from analysis.summaries import PARTNERSHIP
from common.errors import SafeguardingBotError
from common.settings import Settings

_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}", re.ASCII)
# The one spelling of a link path (what sign_report_path writes, plus an optional file name):
# ASCII digits without leading zeros, the agency code, unpadded base64url of a SHA-256, and
# nothing else: no other digits, no padding zeros, no extra or doubled slashes, no newline.
_LINK = re.compile(
    r"(?P<wave>[1-9][0-9]{0,17})/(?P<agency>[A-Za-z0-9_-]{1,32})/(?P<expires>[1-9][0-9]{0,17})"
    r"/(?P<signature>[A-Za-z0-9_-]{43})(?:/(?P<file>[a-z0-9-]{1,64}\.(?:html|xlsx|pdf|csv|png)))?",
    re.ASCII,
)


class ReportLinkError(SafeguardingBotError):
    """A report link that is malformed, tampered with, or for a file that is not there."""

    status = 403


class ReportLinkExpired(ReportLinkError):
    """A genuine link whose time is up; the lead can ask for a fresh one."""

    status = 410


def _signature(secret: bytes, wave_id: int, agency: str, expires: int) -> str:
    message = f"report-link\n{wave_id}\n{agency}\n{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_report_path(settings: Settings, wave_id: int, agency: str, now: datetime) -> str:
    """The signed path of ``agency``'s report of ``wave_id``, valid REPORT_LINK_HOURS from ``now``."""
    if not _CODE.fullmatch(agency):
        raise ReportLinkError(f"not an agency code: {agency!r}")
    expires = int((now + timedelta(hours=settings.report_link_hours)).timestamp())
    return f"{wave_id}/{agency}/{expires}/{_signature(settings.secret_bytes(), wave_id, agency, expires)}"


def report_url(settings: Settings, wave_id: int, agency: str, now: datetime) -> str:
    """The full link a lead receives (PUBLIC_BASE_URL + /reports/<signed path>/report.html)."""
    base = settings.public_base_url.rstrip("/")
    return f"{base}/reports/{sign_report_path(settings, wave_id, agency, now)}/report.html"


def verify_report_path(settings: Settings, path: str, now: datetime) -> tuple[int, str]:
    """(wave id, agency) of a signed path; ReportLinkError if forged, ReportLinkExpired if late.

    ``path`` may carry one file name after the signature (``.../<signature>/report.html``).
    Only the canonical spelling is accepted (see ``_LINK``): a path that means the same
    link written another way is refused as malformed.
    """
    link = _LINK.fullmatch(path)
    if link is None:
        raise ReportLinkError("malformed report link")
    wave_id, agency, expires = int(link["wave"]), link["agency"], int(link["expires"])
    expected = _signature(settings.secret_bytes(), wave_id, agency, expires)
    if not hmac.compare_digest(expected, link["signature"]):
        raise ReportLinkError("report link signature does not match")
    if now.timestamp() > expires:
        raise ReportLinkExpired("report link has expired")
    return wave_id, agency


def resolve_report_file(settings: Settings, path: str, now: datetime) -> Path:
    """The file a ``/reports/...`` path may serve: ``<signed path>/<file name>`` within that agency's folder.

    Only plain file names of a report (report.html, report.xlsx, chart-1.png,
    headline.csv...) are accepted, so no path can step into another folder.
    """
    link = _LINK.fullmatch(path)
    if link is None or link["file"] is None:
        raise ReportLinkError("not a report file")
    name = link["file"]
    wave_id, agency = verify_report_path(settings, path, now)
    if agency == PARTNERSHIP:
        raise ReportLinkError("the partnership report is not served by link")
    file = report_dir(settings.report_dir, wave_id, agency) / name
    if not file.is_file():
        raise ReportLinkError("that report has not been written")
    return file
