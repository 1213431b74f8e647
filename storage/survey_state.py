"""In-progress surveys, sealed under the wave key: unreadable once the wave closes (crypto-shredding).

A person's survey document is kept in bot_state under
``survey/{wave}/{HMAC(person)}``, never under their id (one per person per
wave: someone may have paused one questionnaire and be answering another), and its content
(the person, the progress, the answers so far) is AES-GCM encrypted under a
key derived by HKDF from the wave's random key, bound to its row key. When
the wave closes the wave key is destroyed, so every copy of these rows (the
table, the WAL, a backup, a dump) can no longer be opened or tied to anyone.

The row itself says only which wave it belongs to and whether it is a
confirmed submission waiting for its batch (``pending``), which flushing and
purging need without the key::

    {"wave": 7, "pending": false, "sealed": "<base64 nonce + ciphertext>"}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from storage.database import Database
from storage.errors import StorageError
from storage.models import WaveKeyRow, WaveRow
from storage.tokens import open_wave_key, wave_key

SURVEY_PREFIX = "survey/"
_INDEX_INFO = b"safeguarding-bot/survey-state/index/v1"
_SEAL_INFO = b"safeguarding-bot/survey-state/seal/v1"


class SealBroken(StorageError):
    """A sealed survey document that cannot be opened (tampered, or moved to another row)."""


def _derive(wave_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(wave_key)


def wave_prefix(wave_id: int) -> str:
    """The key prefix of every survey document of one wave."""
    return f"{SURVEY_PREFIX}{wave_id}/"


@dataclass(frozen=True)
class Sealer:
    """Where one person's document of one wave lives, and the key that seals it."""

    wave_id: int
    key: str
    cipher_key: bytes

    def seal(self, content: dict[str, Any]) -> dict[str, Any]:
        """The stored document for ``content`` ({"person", "wave", "progress"})."""
        nonce = secrets.token_bytes(12)
        plain = json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()
        sealed = nonce + AESGCM(self.cipher_key).encrypt(nonce, plain, self.key.encode())
        pending = (content.get("progress") or {}).get("status") == "submitting"
        return {"wave": self.wave_id, "pending": pending, "sealed": base64.b64encode(sealed).decode()}

    def open(self, document: dict[str, Any]) -> dict[str, Any]:
        """The content a stored document holds; SealBroken when it cannot be opened."""
        try:
            raw = base64.b64decode(str(document["sealed"]), validate=True)
            plain = AESGCM(self.cipher_key).decrypt(raw[:12], raw[12:], self.key.encode())
        except (KeyError, ValueError, InvalidTag) as exc:
            raise SealBroken(f"a survey document of wave {self.wave_id} cannot be opened") from exc
        content: dict[str, Any] = json.loads(plain)
        return content


def sealer(wave_id: int, wave_key: bytes, person: str) -> Sealer:
    """The row key and cipher key of ``person``'s survey document in a wave with this key."""
    digest = hmac.new(_derive(wave_key, _INDEX_INFO), person.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return Sealer(wave_id, f"{wave_prefix(wave_id)}{digest.hexdigest()}", _derive(wave_key, _SEAL_INFO))


def opener(wave_id: int, wave_key: bytes, key: str) -> Sealer:
    """A Sealer for a row found by prefix (flushing, recovery): opens it without knowing the person."""
    return Sealer(wave_id, key, _derive(wave_key, _SEAL_INFO))


async def sealers_for(db: Database, secret: bytes, person: str) -> dict[str, Sealer]:
    """Where ``person``'s document could be in each wave that still has a key (open waves), by row key."""
    query = select(WaveKeyRow.wave_id, WaveKeyRow.sealed).join(WaveRow, WaveRow.id == WaveKeyRow.wave_id)
    async with db.transaction(read_only=True) as session:
        rows = list(await session.execute(query.where(WaveRow.closed.is_(False))))
    found = (sealer(wave_id, open_wave_key(wave_id, sealed, secret), person) for wave_id, sealed in rows)
    return {one.key: one for one in found}


async def sealer_for(db: Database, secret: bytes, wave_id: int, person: str) -> Sealer:
    """The Sealer of ``person`` in one wave, making the wave's key if this is its first use.

    Raises WaveKeyGone once the wave has closed, NotFound for an unknown wave.
    """
    async with db.transaction(read_only=True) as session:
        key = await wave_key(session, wave_id, secret, create=False)
    if key is None:
        async with db.transaction() as session:
            key = await wave_key(session, wave_id, secret, create=True)
    assert key is not None  # made above when missing
    return sealer(wave_id, key, person)


Read = Callable[[list[str]], Awaitable[Mapping[str, Mapping[str, Any]]]]


@dataclass(frozen=True)
class Opened:
    """A person's survey document found and opened: its row key, wave, content and the row as read."""

    key: str
    wave_id: int
    content: dict[str, Any]
    document: Mapping[str, Any]


async def read_surveys(db: Database, secret: bytes, person: str, read: Read) -> list[Opened]:
    """``person``'s survey documents in open waves (one per wave at most), opened, by wave id.

    ``read`` reads state rows by key (the bot's state storage, so its
    concurrency rules apply); each row it returns is kept in ``document``
    (with its e_tag).
    """
    sealers = await sealers_for(db, secret, person)
    found = await read(list(sealers)) if sealers else {}
    keys = sorted(found, key=lambda one: sealers[one].wave_id)
    return [Opened(k, sealers[k].wave_id, sealers[k].open(dict(found[k])), found[k]) for k in keys]


async def sealed_survey(
    db: Database, secret: bytes, wave_id: int, person: str, content: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(row key, stored document) for ``person``'s survey ``content`` in a wave (making its key if new)."""
    one = await sealer_for(db, secret, wave_id, person)
    return one.key, one.seal(content)
