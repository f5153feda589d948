"""Keyed hashes for finding likely duplicates without storing searchable plaintext."""

import hashlib
import hmac
import unicodedata

from django.conf import settings


def fold(text: str) -> str:
    """Return text lower-cased, without accents, extra spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = "".join(c if c.isalnum() else " " for c in letters.casefold())
    return " ".join(kept.split())


def name_key(name: str, birth: str) -> str:
    """Return the blind index of a name with a birth date (or age band), or "" if no name."""
    folded = fold(name)
    if not folded:
        return ""
    material = f"{folded}|{birth}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).hexdigest()
