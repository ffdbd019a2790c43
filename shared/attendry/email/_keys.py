"""One secret, several keys: each use gets its own HKDF-derived key; none stands in for another."""

from functools import lru_cache

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from attendry.email.settings import EmailSettings

_SALT = b"attendry/email/v1"


@lru_cache(maxsize=32)
def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=_SALT, info=purpose).derive(
        secret.encode("utf-8")
    )


def derive_key(settings: EmailSettings, purpose: bytes) -> bytes:
    """A 256-bit key for `purpose`, cached because every email needs three of them."""
    return _derive(settings.unsubscribe_secret.get_secret_value(), purpose)
