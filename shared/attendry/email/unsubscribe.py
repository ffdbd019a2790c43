"""Unsubscribe tokens: who asked to stop hearing from whom, sealed so the link reveals nothing.

The claims are encrypted and authenticated with AES-256-GCM (the authentication tag is
the signature: a changed byte or another secret fails to decrypt), under a key derived
from UNSUBSCRIBE_SECRET with HKDF-SHA256. Encrypting rather than only signing keeps ids,
the address and even the send time out of URLs, logs and referrers. Tokens do not
expire: an unsubscribe link must keep working for as long as the email is kept.
"""

import base64
import binascii
import os
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attendry.core.errors import NotFoundError
from attendry.email._keys import derive_key
from attendry.email.settings import EmailSettings

_KEY_PURPOSE = b"attendry/email/unsubscribe-token/v1"
_VERSION = b"\x01"
_ASSOCIATED_DATA = b"attendry/unsubscribe/v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEAD = struct.Struct(">16sqH")
# Strict shape, and canonical encoding checked after decoding, so that every change to a
# token is refused rather than some (stray characters, spare bits) decoding to the same bytes.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,2048}$")


class InvalidTokenError(NotFoundError):
    """A token that was altered, truncated or made with another secret.

    A NotFoundError, so the unsubscribe routes answer 404 and a guess learns nothing.
    """


@dataclass(frozen=True, slots=True)
class UnsubscribeClaims:
    sent_id: UUID
    user_id: str
    recipient: str
    issued_at: datetime


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _aead(settings: EmailSettings) -> AESGCM:
    return AESGCM(derive_key(settings, _KEY_PURPOSE))


def make_unsubscribe_token(
    *,
    sent_id: UUID,
    user_id: str,
    recipient: str,
    issued_at: datetime,
    settings: EmailSettings,
) -> str:
    """A URL-safe token (base64url, no padding) carrying the claims, for one sent email."""
    issued = issued_at
    if issued.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    user = user_id.encode("utf-8")
    plaintext = (
        _HEAD.pack(sent_id.bytes, int(issued.timestamp()), len(user))
        + user
        + recipient.encode("utf-8")
    )
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(settings).encrypt(nonce, plaintext, _ASSOCIATED_DATA)
    return _encode(_VERSION + nonce + sealed)


def read_unsubscribe_token(token: str, *, settings: EmailSettings) -> UnsubscribeClaims:
    """The claims of a genuine token; InvalidTokenError for anything else."""
    if not _TOKEN_SHAPE.match(token):
        raise InvalidTokenError("This unsubscribe link is not valid.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidTokenError("This unsubscribe link is not valid.") from error
    if (
        _encode(raw) != token
        or len(raw) < 1 + _NONCE_BYTES + _TAG_BYTES + _HEAD.size
        or raw[:1] != _VERSION
    ):
        raise InvalidTokenError("This unsubscribe link is not valid.")
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    try:
        plaintext = _aead(settings).decrypt(nonce, sealed, _ASSOCIATED_DATA)
    except InvalidTag as error:
        raise InvalidTokenError("This unsubscribe link is not valid.") from error
    sent, issued, user_len = _HEAD.unpack_from(plaintext)
    rest = plaintext[_HEAD.size :]
    return UnsubscribeClaims(
        sent_id=UUID(bytes=sent),
        user_id=rest[:user_len].decode("utf-8"),
        recipient=rest[user_len:].decode("utf-8"),
        issued_at=datetime.fromtimestamp(issued, UTC),
    )


def unsubscribe_url(token: str, *, settings: EmailSettings) -> str:
    """The https one-click link (RFC 8058) that the API's unsubscribe routes serve."""
    return f"{settings.public_base_url}/unsubscribe/{token}"
