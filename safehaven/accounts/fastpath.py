"""The three reads every signed-in request makes, as prepared queries.

Each staff request reads its session row, its user and its second-factor device before the
view runs. Django and django-otp build and compile those three querysets again on every
request; here they are compiled once per process (safehaven/lib/prepared.py) and behave
exactly as the originals:

- `SessionStore` (SESSION_ENGINE "safehaven.accounts.fastpath"): the database session
  store, reading an unexpired row by key;
- `ModelBackend` (first in AUTHENTICATION_BACKENDS): Django's backend, loading the user by
  primary key (Django's own backend stays listed after it, so sessions signed in before
  this backend existed still load);
- `OTPMiddleware`: django-otp's middleware, reading a TOTP device by id (other device
  kinds go through django-otp's own lookup).
"""

from django.contrib.auth import backends
from django.contrib.sessions.backends import db
from django.db import models
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty
from django_otp import middleware as otp_middleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.lib.prepared import prepared


@prepared(key=models.CharField(), now=models.DateTimeField())
def _session(key, now):
    from django.contrib.sessions.models import Session

    return Session.objects.filter(session_key=key, expire_date__gt=now)[:1]


@prepared(pk=models.BigIntegerField())
def _user(pk):
    from safehaven.accounts.models import User

    return User._default_manager.filter(pk=pk)[:1]


@prepared(pk=models.BigIntegerField())
def _totp_device(pk):
    return TOTPDevice.objects.filter(pk=pk)[:1]


class SessionStore(db.SessionStore):
    """Django's database session store; the row is read with a prepared query."""

    def _get_session_from_db(self):
        key = self.session_key  # None when missing or malformed (Django's property checks it)
        row = _session.first(key=key, now=timezone.now()) if key else None
        if row is None:
            self._session_key = None
        return row


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend; the signed-in user is loaded with a prepared query."""

    def get_user(self, user_id):
        try:
            user = _user.first(pk=int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


_TOTP_LABEL = TOTPDevice.model_label()


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's middleware; a TOTP device is read with a prepared query.

    It also hands the view the user itself rather than two lazy proxies around it (Django's
    and django-otp's): the next middleware (session timeouts) reads the user on every
    request anyway, and each attribute read through the proxies cost two extra calls
    (about a thousand a chart).
    """

    def __call__(self, request):
        if self._is_async:
            return self.__acall__(request)
        self._install_lazy_accessors(request)
        user = getattr(request, "user", None)
        if user is not None:
            while isinstance(user, SimpleLazyObject):  # django-otp's proxy, then Django's
                if user._wrapped is empty:
                    user._setup()
                user = user._wrapped
            request.user = user
        return self.get_response(request)

    def _device_from_persistent_id(self, persistent_id: str):
        normalised = self._normalize_persistent_id(persistent_id)
        label, _slash, device_id = normalised.rpartition("/")
        if label != _TOTP_LABEL:
            return super()._device_from_persistent_id(persistent_id)
        try:
            return _totp_device.first(pk=int(device_id))
        except ValueError:
            return None
