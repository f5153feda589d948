"""Authenticated encryption of sensitive fields at rest (AES-256-GCM).

Keys come from SAFEHAVEN_FIELD_KEYS as "id:base64key[,id:base64key...]"; the first is
used to encrypt, all are tried by id to decrypt, so `safehaven keys rotate` can
re-encrypt old values after a new key is put first. A stored value reads
"enc:v1:<key id>:<base64 nonce+ciphertext>"; the column name is bound in as associated
data, so a ciphertext copied into another column does not decrypt.
"""

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc:v1:"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _parse_keys(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys: dict[str, AESGCM] = {}
    primary = ""
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id or ":" in key_id:
            raise ImproperlyConfigured("SAFEHAVEN_FIELD_KEYS entries must look like id:base64key")
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(f"SAFEHAVEN_FIELD_KEYS key {key_id!r} is not base64") from None
        if len(raw) != 32:
            raise ImproperlyConfigured(f"SAFEHAVEN_FIELD_KEYS key {key_id!r} must be 32 bytes")
        keys[key_id] = AESGCM(raw)
        primary = primary or key_id
    if not keys:
        raise ImproperlyConfigured("SAFEHAVEN_FIELD_KEYS holds no key")
    return primary, keys


def keyring() -> tuple[str, dict[str, AESGCM]]:
    """Return (primary key id, keys by id) from the settings."""
    return _parse_keys(settings.FIELD_ENCRYPTION_KEYS)


def new_key_spec(key_id: str) -> str:
    """Return a fresh "id:base64key" entry for SAFEHAVEN_FIELD_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def encrypt(plaintext: str, *, context: str) -> str:
    """Return the stored form of plaintext, encrypted with the primary key."""
    primary, keys = keyring()
    nonce = os.urandom(12)
    sealed = keys[primary].encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{PREFIX}{primary}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str | None:
    """Return the key id a stored value was encrypted with, or None if it is not encrypted."""
    if not stored.startswith(PREFIX):
        return None
    return stored[len(PREFIX) :].split(":", 1)[0]


def decrypt(stored: str, *, context: str) -> str:
    """Return the plaintext of a stored value."""
    if not stored.startswith(PREFIX):
        raise DecryptionError("value is not encrypted")
    key_id, _, body = stored[len(PREFIX) :].partition(":")
    _, keys = keyring()
    key = keys.get(key_id)
    if key is None:
        raise DecryptionError(f"key {key_id!r} is not configured")
    try:
        raw = base64.b64decode(body)
        return key.decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
    except Exception as exc:  # InvalidTag, binascii errors
        raise DecryptionError("value failed authentication") from exc
