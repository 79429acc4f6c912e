"""Encrypting secret values at rest with Fernet, through MultiFernet so that keys can be rotated.

The keys come from the ``SECRETS_ENCRYPTION_KEYS`` setting (see docs/deploy.md): the first key encrypts,
every key decrypts. Rotating is adding a new key in front, running ``manage.py rotate_secrets`` (which
re-encrypts every row with the first key) and then dropping the old key.

A value that no configured key can decrypt is an operator's configuration error, never the caller's:
:class:`UndecryptableSecret` says so without the token or the value.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREVIEW_LENGTH = 4  # the last characters a preview shows, as Braintrust's lists do
PREVIEW_MINIMUM = 12  # a shorter value shows none of its characters: four of eight would give half of it away
PREVIEW_MASK = "********"


class UndecryptableSecret(Exception):
    """A stored value that none of the configured keys decrypts (a key was dropped before rotating)."""


@cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def cipher() -> MultiFernet:
    """The MultiFernet of the configured keys, the first one encrypting."""
    return _cipher(tuple(settings.SECRETS_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """The Fernet token of `value` (ASCII, safe to store in a text column)."""
    return cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The value `token` encrypts."""
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise UndecryptableSecret("A stored secret cannot be decrypted with the configured SECRETS_ENCRYPTION_KEYS.") from None


def rotated(token: str) -> str:
    """`token` re-encrypted with the first key (unchanged in meaning; a new token every time)."""
    try:
        return cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UndecryptableSecret("A stored secret cannot be decrypted with the configured SECRETS_ENCRYPTION_KEYS.") from None


def preview(value: str) -> str:
    """What lists show of a value: a mask and its last characters, or only the mask for a short value."""
    if len(value) < PREVIEW_MINIMUM:
        return PREVIEW_MASK
    return PREVIEW_MASK + value[-PREVIEW_LENGTH:]
