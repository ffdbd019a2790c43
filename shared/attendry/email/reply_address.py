"""Per-email addresses that lead back to their sent row: `reply+TOKEN@` and `unsubscribe+TOKEN@`.

The token is the sent id encrypted as one AES block (a keyed permutation: the UUID, which
is unique, comes out as 16 bytes that reveal nothing) followed by an 80-bit HMAC-SHA256
tag over the purpose and that block, in lower-case base32: 42 characters, because mail
systems may change the case of a local part and RFC 5321 (4.5.3.1.1) caps the local
part at 64 octets, which a full unsubscribe token would exceed. The tag names the
purpose, so a reply address cannot be turned into an unsubscribe address.
"""

import base64
import binascii
import hashlib
import hmac
from email.utils import parseaddr
from uuid import UUID

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from attendry.email._keys import derive_key
from attendry.email.settings import EmailSettings

REPLY_LOCAL_PART = "reply"
_CIPHER_KEY = b"attendry/email/address-token/v1/aes"
_MAC_KEY = b"attendry/email/address-token/v1/hmac"
_REPLY_PURPOSE = b"reply"
_UNSUBSCRIBE_PURPOSE = b"unsubscribe"
_BLOCK_BYTES = 16
_TAG_BYTES = 10
_TOKEN_CHARS = 42


def _block_cipher(settings: EmailSettings) -> Cipher[modes.ECB]:
    # ECB is safe here: it encrypts exactly one block, a value that never repeats.
    return Cipher(algorithms.AES(derive_key(settings, _CIPHER_KEY)), modes.ECB())  # noqa: S305


def _tag(settings: EmailSettings, purpose: bytes, block: bytes) -> bytes:
    mac_key = derive_key(settings, _MAC_KEY)
    return hmac.new(mac_key, purpose + b"\x00" + block, hashlib.sha256).digest()[:_TAG_BYTES]


def _make_token(sent_id: UUID, purpose: bytes, settings: EmailSettings) -> str:
    encryptor = _block_cipher(settings).encryptor()
    block = encryptor.update(sent_id.bytes) + encryptor.finalize()
    raw = block + _tag(settings, purpose, block)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _read_token(token: str, purpose: bytes, settings: EmailSettings) -> UUID | None:
    if len(token) != _TOKEN_CHARS:
        return None
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    if base64.b32encode(raw).decode("ascii").rstrip("=") != token.upper():
        return None
    block, tag = raw[:_BLOCK_BYTES], raw[_BLOCK_BYTES:]
    if not hmac.compare_digest(tag, _tag(settings, purpose, block)):
        return None
    decryptor = _block_cipher(settings).decryptor()
    return UUID(bytes=decryptor.update(block) + decryptor.finalize())


def _tagged_address(local_part: str, token: str, settings: EmailSettings) -> str:
    return f"{local_part}+{token}@{settings.reply_domain}"


def _read_tagged_address(
    address: str, local_part: str, purpose: bytes, settings: EmailSettings
) -> UUID | None:
    """Display names and case are tolerated; the domain is not checked (SES receipt rules
    decide which domains reach us) but the signature always is."""
    _, addr_spec = parseaddr(address)
    local, at, _ = addr_spec.strip().rpartition("@")
    prefix, plus, token = local.partition("+")
    if not at or not plus or prefix.lower() != local_part.lower():
        return None
    return _read_token(token, purpose, settings)


def make_reply_address(sent_id: UUID, *, settings: EmailSettings) -> str:
    """`reply+TOKEN@REPLY_DOMAIN`: the Reply-To of one sent email."""
    return _tagged_address(
        REPLY_LOCAL_PART, _make_token(sent_id, _REPLY_PURPOSE, settings), settings
    )


def parse_reply_address(address: str, *, settings: EmailSettings) -> UUID | None:
    """The sent id behind a reply address, or None if it is not one of ours or is forged."""
    return _read_tagged_address(address, REPLY_LOCAL_PART, _REPLY_PURPOSE, settings)


def make_unsubscribe_mailto_address(sent_id: UUID, *, settings: EmailSettings) -> str:
    """`unsubscribe+TOKEN@REPLY_DOMAIN`: the mailto form of List-Unsubscribe.

    It names only the sent row; the inbound function learns user and recipient from it.
    """
    return _tagged_address(
        settings.unsubscribe_mailto_local_part,
        _make_token(sent_id, _UNSUBSCRIBE_PURPOSE, settings),
        settings,
    )


def parse_unsubscribe_mailto_address(address: str, *, settings: EmailSettings) -> UUID | None:
    """The sent id behind an unsubscribe mailto address, or None."""
    return _read_tagged_address(
        address, settings.unsubscribe_mailto_local_part, _UNSUBSCRIBE_PURPOSE, settings
    )
