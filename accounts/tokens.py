"""Bearer token format: ``<prefix><base62 random><base62 CRC32>``.

256 bits from the operating system's CSPRNG make the body; the CRC32 checksum at the end lets a secret
scanner (and our own authentication) tell a real token from noise without a database lookup. Only the
SHA-256 of the whole token is stored.
"""

import hashlib
import secrets
import zlib
from dataclasses import dataclass

API_KEY_PREFIX = "sk-"
SERVICE_TOKEN_PREFIX = "bt-st-"  # noqa: S105 (a public prefix)
PREFIXES = (API_KEY_PREFIX, SERVICE_TOKEN_PREFIX)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 43  # ceil(256 / log2(62))
_CHECKSUM_LENGTH = 6  # ceil(32 / log2(62))


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, _ALPHABET[0])


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), _CHECKSUM_LENGTH)


@dataclass(frozen=True)
class NewToken:
    raw: str
    hash: str
    preview: str


def generate_token(prefix: str) -> NewToken:
    if prefix not in PREFIXES:
        raise ValueError(f"Unknown token prefix {prefix!r}.")
    body = _base62(secrets.randbits(256), _BODY_LENGTH)
    raw = f"{prefix}{body}{_checksum(prefix + body)}"
    return NewToken(raw=raw, hash=hash_token(raw), preview=preview_of(raw))


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def preview_of(raw: str) -> str:
    prefix = next(p for p in PREFIXES if raw.startswith(p))
    return f"{prefix}****{raw[-4:]}"


def looks_valid(raw: str) -> bool:
    """Whether `raw` has a known prefix, the right length and alphabet, and a matching checksum."""
    prefix = next((p for p in PREFIXES if raw.startswith(p)), None)
    if prefix is None:
        return False
    rest = raw[len(prefix) :]
    if len(rest) != _BODY_LENGTH + _CHECKSUM_LENGTH or any(c not in _ALPHABET for c in rest):
        return False
    body, checksum = rest[:_BODY_LENGTH], rest[_BODY_LENGTH:]
    return secrets.compare_digest(_checksum(prefix + body), checksum)
