"""Checks of a Bot Framework channel token that need no signing key, made before either SDK
fetches keys: a forged or foreign token is refused (401) without any network call, and a token
that would break an SDK's own validation (no key id) never reaches it.
"""

from __future__ import annotations

from typing import cast

import jwt

#: Who signs the tokens Teams' channel sends to a bot.
CHANNEL_ISSUER = "https://api.botframework.com"
#: The claim that names the service URL a channel token was issued for.
SERVICE_URL_CLAIM = "serviceurl"
KEYS_UNAVAILABLE = "The Bot Framework signing keys could not be fetched."
#: The only algorithm the SDK verifies a channel token's signature with.
SIGNING_ALGORITHM = "RS256"
#: Seconds of clock difference allowed on exp and nbf, as the SDK allows.
CLOCK_SKEW = 5 * 60


def judge_without_keys(auth_header: str, app_id: str, service_url: str | None, now: float) -> str:
    """The signing key id of a Bot Framework channel token that is right in everything the keys do
    not decide; ``PermissionError`` (401) for anything else, before any key is fetched.

    Checked: "Bearer" and a JWT of three parts, algorithm RS256 with a key id,
    issuer the Bot Framework channel, audience this bot's app id, a numeric
    expiry not past and no "not before" in the future (five minutes' skew
    allowed, as the SDK), and the service URL claim equal to the activity's.
    The SDK then checks the signature, the key's endorsements and all of this
    again. Tokens of other issuers (the Bot Framework Emulator, skills) are
    refused: this bot only answers Teams through the Bot Framework channel.
    """
    scheme, _, token = (auth_header or "").partition(" ")
    if scheme != "Bearer" or not token or token.count(".") != 2:
        raise PermissionError("no Bearer JWT")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise PermissionError("the token cannot be read") from exc
    if header.get("alg") != SIGNING_ALGORITHM:
        raise PermissionError("the token is not signed with RS256")
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id:
        raise PermissionError("the token names no signing key")
    if claims.get("iss") != CHANNEL_ISSUER:
        raise PermissionError("the token is not from the Bot Framework channel")
    if not app_id or claims.get("aud") != app_id:
        raise PermissionError("the token is for another audience")
    expires, not_before = claims.get("exp"), claims.get("nbf", now)
    for moment in (expires, not_before):
        if isinstance(moment, bool) or not isinstance(moment, int | float):
            raise PermissionError("the token's times are not numbers")
    expires, not_before = cast(float, expires), cast(float, not_before)  # numbers, as checked above
    if expires + CLOCK_SKEW < now or not_before - CLOCK_SKEW > now:
        raise PermissionError("the token is expired or not yet valid")
    if claims.get(SERVICE_URL_CLAIM) != service_url:
        raise PermissionError("the token is for another service URL")
    return key_id
