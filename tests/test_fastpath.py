"""The prepared session, user and device reads (safehaven/accounts/fastpath.py) keep Django's rules."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.accounts.fastpath import ModelBackend, OTPMiddleware, SessionStore

pytestmark = pytest.mark.django_db


def test_the_settings_use_the_prepared_reads():
    assert settings.SESSION_ENGINE == "safehaven.accounts.fastpath"
    assert settings.AUTHENTICATION_BACKENDS[0] == "safehaven.accounts.fastpath.ModelBackend"
    assert "safehaven.accounts.fastpath.OTPMiddleware" in settings.MIDDLEWARE
    assert "django_otp.middleware.OTPMiddleware" not in settings.MIDDLEWARE


def test_session_store_reads_unexpired_rows_only():
    store = SessionStore()
    store["x"] = 1
    store.create()
    assert SessionStore(store.session_key).load() == {"x": 1}
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None
    for bad in ("", "short", "x" * 41):  # malformed keys never reach the database
        assert SessionStore(bad).load() == {}


def test_backend_loads_active_users_only(cast):
    backend = ModelBackend()
    assert backend.get_user(cast.alice.pk) == cast.alice
    assert backend.get_user(str(cast.alice.pk)) == cast.alice  # the session stores the id as text
    assert backend.get_user(-5) is None and backend.get_user("nope") is None and backend.get_user(None) is None
    cast.alice.is_active = False
    cast.alice.save(update_fields=["is_active"])
    assert backend.get_user(cast.alice.pk) is None


def test_deactivated_staff_are_signed_out_on_their_next_request(cast, client_for):
    client = client_for(cast.alice)
    assert client.get("/people/").status_code == 200
    cast.alice.is_active = False
    cast.alice.save(update_fields=["is_active"])
    response = client.get("/people/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_session_signed_in_with_djangos_own_backend_still_loads(cast, client_for):
    client = client_for(cast.alice)
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert client.get("/people/").status_code == 200


def test_device_read_keeps_django_otp_rules(cast, client_for, monkeypatch):
    middleware = OTPMiddleware(lambda request: None)
    device = TOTPDevice.objects.filter(user=cast.alice).first()
    assert middleware._device_from_persistent_id(device.persistent_id) == device
    assert middleware._device_from_persistent_id("otp_totp.totpdevice/999999") is None
    assert middleware._device_from_persistent_id("otp_totp.totpdevice/abc") is None
    assert middleware._device_from_persistent_id("otp_totp.TOTPDevice.totpdevice/" + str(device.pk)) == device
    # Other device kinds go through django-otp's own lookup (here: a kind not installed).
    calls = []
    original = otp_middleware.OTPMiddleware._device_from_persistent_id
    monkeypatch.setattr(otp_middleware.OTPMiddleware, "_device_from_persistent_id",
                        lambda self, pid: calls.append(pid) or original(self, pid))
    assert middleware._device_from_persistent_id("otp_email.emaildevice/1") is None
    assert calls == ["otp_email.emaildevice/1"]

    # Another user's device in the session does not count as a second factor.
    client = client_for(cast.bob)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.get("/people/")
    assert response.status_code == 302


def test_no_session_cookie_means_no_session_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        Client().get("/accounts/login/")
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)


def test_views_get_the_user_itself_with_its_second_factor(cast, client_for):
    from django.utils.functional import SimpleLazyObject

    client = client_for(cast.alice)
    response = client.get("/people/")
    user = response.wsgi_request.user
    assert not isinstance(user, SimpleLazyObject) and user == cast.alice
    assert user.is_verified() and user.otp_device is not None
    anonymous = Client().get("/accounts/login/").wsgi_request.user
    assert not isinstance(anonymous, SimpleLazyObject) and not anonymous.is_authenticated
