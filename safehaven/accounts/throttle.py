"""Throttling of failed sign-ins, by account name and by address.

The same answer is given whether or not the account exists.
"""

import datetime
import hashlib

from django.conf import settings
from django.utils import timezone

from safehaven.accounts.models import LoginAttempt


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().casefold()}".encode()).hexdigest()


def keys_for(username: str, ip: str) -> list[str]:
    """Return the throttle keys for an account name and a client address."""
    return [_key("user", username), _key("ip", ip or "-")]


def is_locked(keys: list[str]) -> bool:
    """Return whether any key has reached the failure limit inside the window."""
    since = timezone.now() - datetime.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    for key in keys:
        limit = settings.LOGIN_FAILURE_LIMIT * (4 if key == keys[-1] else 1)
        if LoginAttempt.objects.filter(key=key, at__gte=since).count() >= limit:
            return True
    return False


def note_failure(keys: list[str]) -> None:
    """Record one failed attempt against each key."""
    LoginAttempt.objects.bulk_create([LoginAttempt(key=k) for k in keys])


def clear(keys: list[str]) -> None:
    """Forget the failures of an account after a successful sign-in (not of the address)."""
    LoginAttempt.objects.filter(key=keys[0]).delete()
