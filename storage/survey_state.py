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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.errors import StorageError
from storage.models import BotStateRow, WaveKeyRow, WaveRow
from storage.tokens import ensure_wave_key, open_wave_key
from storage.upsert import table_of

SURVEY_PREFIX = "survey/"
_INDEX_INFO = b"safeguarding-bot/survey-state/index/v1"
_SEAL_INFO = b"safeguarding-bot/survey-state/seal/v1"


class SealBroken(StorageError):
    """A sealed survey document that cannot be opened (tampered, or moved to another row)."""


def _derive(wave_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(wave_key)


@lru_cache(maxsize=16)
def _wave_keys(wave_key: bytes) -> tuple[bytes, bytes]:
    """(index key, seal key) of a wave key, derived once per process rather than on every turn.

    Only a cache of arithmetic: whether a wave still has its key is read from
    the database on every turn, so a closed wave's key is never used again.
    """
    return _derive(wave_key, _INDEX_INFO), _derive(wave_key, _SEAL_INFO)


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
    index_key, seal_key = _wave_keys(wave_key)
    digest = hmac.new(index_key, person.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return Sealer(wave_id, f"{wave_prefix(wave_id)}{digest.hexdigest()}", seal_key)


def opener(wave_id: int, wave_key: bytes, key: str) -> Sealer:
    """A Sealer for a row found by prefix (flushing, recovery): opens it without knowing the person."""
    return Sealer(wave_id, key, _wave_keys(wave_key)[1])


# Built once, on the tables (Core): a turn's read runs them on a Connection (Database.run).
_WAVE_KEYS, _WAVES, _STATE = table_of(WaveKeyRow), table_of(WaveRow), table_of(BotStateRow)
_OPEN_WAVE_KEYS = (
    select(_WAVE_KEYS.c.wave_id, _WAVE_KEYS.c.sealed)
    .join(_WAVES, _WAVES.c.id == _WAVE_KEYS.c.wave_id)
    .where(_WAVES.c.closed.is_(False))
)
_DOCUMENTS = select(_STATE.c.key, _STATE.c.document, _STATE.c.e_tag).where(
    _STATE.c.key.in_(bindparam("keys", expanding=True))
)


def _sealers(connection: Connection, secret: bytes, person: str) -> dict[str, Sealer]:
    rows = list(connection.execute(_OPEN_WAVE_KEYS))
    found = (sealer(wave_id, open_wave_key(wave_id, sealed, secret), person) for wave_id, sealed in rows)
    return {one.key: one for one in found}


async def sealers_for(db: Database, secret: bytes, person: str) -> dict[str, Sealer]:
    """Where ``person``'s document could be in each wave that still has a key (open waves), by row key."""
    return await db.run(partial(_sealers, secret=secret, person=person), read_only=True)


async def sealer_for(db: Database, secret: bytes, wave_id: int, person: str) -> Sealer:
    """The Sealer of ``person`` in one wave, making the wave's key if this is its first use.

    Raises WaveKeyGone once the wave has closed, NotFound for an unknown wave.
    """
    key = await ensure_wave_key(db, wave_id, secret)
    return sealer(wave_id, key, person)


@dataclass(frozen=True)
class Opened:
    """A person's survey document found and opened: its row key, wave, content, the row as read
    (with its ``e_tag``, for writing it back) and the Sealer that opened it (to seal it again)."""

    key: str
    wave_id: int
    content: dict[str, Any]
    document: Mapping[str, Any]
    sealer: Sealer


async def read_surveys(db: Database, secret: bytes, person: str) -> list[Opened]:
    """``person``'s survey documents in open waves (one per wave at most), opened, by wave id.

    The open waves' keys and the person's rows are read in one transaction (a
    turn's only read); each row is kept in ``document`` with its e_tag, as the
    state store (storage.state) hands it out, so writing it back follows that
    store's concurrency rules.
    """

    def read(connection: Connection) -> tuple[dict[str, Sealer], list[Any]]:
        sealers = _sealers(connection, secret, person)
        if not sealers:
            return sealers, []
        return sealers, list(connection.execute(_DOCUMENTS, {"keys": list(sealers)}))

    sealers, rows = await db.run(read, read_only=True)
    opened = []
    for key, document, e_tag in sorted(rows, key=lambda row: sealers[row[0]].wave_id):
        found = {**document, "e_tag": e_tag}
        opened.append(Opened(key, sealers[key].wave_id, sealers[key].open(found), found, sealers[key]))
    return opened


async def sealed_survey(
    db: Database, secret: bytes, wave_id: int, person: str, content: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(row key, stored document) for ``person``'s survey ``content`` in a wave (making its key if new)."""
    one = await sealer_for(db, secret, wave_id, person)
    return one.key, one.seal(content)
