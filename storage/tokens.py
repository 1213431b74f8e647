"""One-submission-per-person tokens: HMAC of (person, wave) under a per-wave key.

The per-wave key is random and kept only encrypted (Fernet, with a key derived
from the product secret by HKDF), so a copy of the database alone cannot test
a token against anyone; when the wave closes the key is deleted, and then
nobody can, ever; the tokens go with it. Tokens carry no link to any response:
they are written only with a whole shuffled batch of responses (storage.submissions).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache, partial

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.errors import NotFound, StorageError, WaveKeyGone
from storage.models import SubmissionTokenRow, WaveKeyRow, WaveRow
from storage.upsert import for_connection, prepared_if_absent, table_of

_HKDF_INFO = b"safeguarding-bot/wave-keys/v1"


@lru_cache(maxsize=4)
def _sealer(secret: bytes) -> Fernet:
    """The Fernet of the product secret (derived once per process: it is asked for on every turn)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


def token_for(wave_key: bytes, wave_id: int, person_id: str) -> str:
    """The hex HMAC-SHA256 of (wave, person) under the wave's key."""
    message = f"{wave_id}\n{person_id}".encode()
    return hmac.new(wave_key, message, hashlib.sha256).hexdigest()


# Built once, on the tables (Core): the key is read on every start of a questionnaire and every
# submission, in a Connection's transaction (Database.run) or a session's (run_sync).
_WAVES, _KEYS = table_of(WaveRow), table_of(WaveKeyRow)
_WAVE_AND_KEY = (
    select(_WAVES.c.closed, _KEYS.c.sealed)
    .select_from(_WAVES.outerjoin(_KEYS, _KEYS.c.wave_id == _WAVES.c.id))
    .where(_WAVES.c.id == bindparam("wave_id"))
)
_NEW_KEY = prepared_if_absent(_KEYS)


def wave_key_on(connection: Connection, wave_id: int, secret: bytes, *, create: bool) -> bytes | None:
    """The wave's key, decrypted; made on first use when ``create``. None when there is none yet.

    Raises WaveKeyGone for a closed wave (its key is destroyed and never remade).
    """
    found = connection.execute(_WAVE_AND_KEY, {"wave_id": wave_id}).first()
    if found is None:
        raise NotFound(f"no wave {wave_id}")
    closed, stored = found
    if closed:
        raise WaveKeyGone(wave_id)
    if stored is None and create:
        sealed = _sealer(secret).encrypt(secrets.token_bytes(32)).decode()
        connection.execute(for_connection(_NEW_KEY, connection), {"wave_id": wave_id, "sealed": sealed})
        # Read back: a concurrent first use may have put its key in first.
        stored = connection.execute(_WAVE_AND_KEY, {"wave_id": wave_id}).one().sealed
    if stored is None:
        return None
    return open_wave_key(wave_id, stored, secret)


async def ensure_wave_key(db: Database, wave_id: int, secret: bytes) -> bytes:
    """An open wave's key, made on first use: read first, so most turns never take a write lock.

    Raises WaveKeyGone once the wave has closed, NotFound for an unknown wave.
    """
    key = await db.run(partial(wave_key_on, wave_id=wave_id, secret=secret, create=False), read_only=True)
    if key is None:
        key = await db.run(partial(wave_key_on, wave_id=wave_id, secret=secret, create=True))
    assert key is not None  # made above when missing
    return key


def open_wave_key(wave_id: int, sealed: str, secret: bytes) -> bytes:
    """A stored (sealed) wave key, opened with the product secret."""
    try:
        return _sealer(secret).decrypt(sealed.encode())
    except InvalidToken as exc:
        raise StorageError(
            f"the key of wave {wave_id} cannot be opened: SECRET_KEY is not the one it was made with"
        ) from exc


async def destroy_wave_key(session: AsyncSession, wave_id: int) -> None:
    """Delete the wave's key and its tokens: after this nobody can test or open anything of the wave."""
    await session.execute(delete(WaveKeyRow).where(WaveKeyRow.wave_id == wave_id))
    await session.execute(delete(SubmissionTokenRow).where(SubmissionTokenRow.wave_id == wave_id))
