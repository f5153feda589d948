"""Sign-in: password then TOTP, throttling, session rotation, timeouts, no bypass."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def test_it_requires_login_for_the_worklist(client):
    response = client.get(reverse("people:worklist"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_password_alone_does_not_open_any_staff_page(cast):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:verify")
    for url in [reverse("people:worklist"), reverse("people:chart", args=[cast.patient.public_id]),
                reverse("people:register"), reverse("audit:log"), reverse("access:break_glass")]:
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked["Location"] == reverse("accounts:verify"), url
    assert client.get("/api/v1/people").status_code == 401


def test_full_sign_in_with_both_factors_reaches_the_worklist(cast):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    response = client.post(reverse("accounts:verify"), {"token": current_code(cast.alice)})
    assert response.status_code == 302
    assert client.get(reverse("people:worklist")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message(cast):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    good = current_code(cast.alice)
    bad = "000000" if good != "000000" else "111111"
    response = client.post(reverse("accounts:verify"), {"token": bad})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert client.get(reverse("people:worklist")).status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_answer(cast):
    unknown = Client().post(reverse("accounts:login"), {"username": "nobody", "password": "x" * 12})
    wrong = Client().post(reverse("accounts:login"), {"username": "alice", "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 200
    import re

    def normalise(response, name):
        text = response.content.decode().replace(name, "USERNAME")
        text = re.sub(r'nonce="[^"]+"', "", text)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert normalise(unknown, "nobody") == normalise(wrong, "alice")


def test_repeated_failures_lock_the_account_name(cast, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong-password!"})
    locked = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()


def test_the_session_id_changes_at_sign_in(cast):
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert client.session.session_key != before


def test_idle_sessions_are_signed_out(cast, client_for, settings):
    client = client_for(cast.alice)
    session = client.session
    session["last_seen"] = time.time() - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("people:worklist"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.get(reverse("people:worklist")).status_code == 302


def test_sessions_end_after_the_absolute_limit(cast, client_for, settings):
    client = client_for(cast.alice)
    session = client.session
    session["auth_at"] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("people:worklist"))
    assert reverse("accounts:login") in response["Location"]


def test_idle_timeout_is_thirty_minutes_by_default(settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ACTIVITY_RESOLUTION <= 60  # activity recorded to within a minute


def test_first_sign_in_enrols_an_authenticator(cast):
    TOTPDevice.objects.filter(user=cast.alice).delete()
    client = Client()
    client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    response = client.get(reverse("accounts:verify"))
    assert response["Location"] == reverse("accounts:enroll")
    page = client.get(reverse("accounts:enroll"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=cast.alice, confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    done = client.post(reverse("accounts:enroll"), {"token": code})
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=cast.alice).confirmed
    assert client.get(reverse("people:worklist")).status_code == 200


def test_sign_out_needs_a_post_and_ends_the_session(cast, client_for):
    client = client_for(cast.alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("people:worklist")).status_code == 302


def _session_writes(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries
            if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]


def test_activity_is_written_at_most_once_a_minute(cast, client_for, settings, monkeypatch):
    client = client_for(cast.alice)
    url = reverse("people:worklist")
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    client.get(url)
    clock[0] += 5
    assert _session_writes(client, url) == []  # an ordinary page view writes nothing
    clock[0] += settings.SESSION_ACTIVITY_RESOLUTION
    assert len(_session_writes(client, url)) == 1  # a minute later the activity is recorded
    # and the idle timeout counts from that recorded activity
    clock[0] += settings.SESSION_IDLE_TIMEOUT - 10
    assert client.get(url).status_code == 200
    clock[0] += settings.SESSION_IDLE_TIMEOUT + 1
    assert client.get(url).status_code == 302
