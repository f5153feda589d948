"""The contact log respects the person's safe-contact preferences and warns first."""

import datetime
import zoneinfo

import pytest

from safehaven.careplans import actions
from safehaven.careplans.models import ContactAttempt
from safehaven.people import actions as people_actions
from tests.careplans.helpers import url

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def _allow_texts(cast, **more):
    people_actions.update_contact_preferences(
        by=cast.ana, person=cast.patient, do_not_contact=False, channels=["sms"],
        safe_hours_start=datetime.time(10, 0), safe_hours_end=datetime.time(16, 0),
        time_zone="America/Los_Angeles", voicemail_ok=False, **more,
    )
    cast.patient.refresh_from_db()
    cast.patient.contact.refresh_from_db()


def test_a_safe_attempt_is_logged_without_warnings(cast):
    _allow_texts(cast)
    at = datetime.datetime(2026, 3, 2, 11, 0, tzinfo=LA)
    attempt = actions.log_contact_attempt(by=cast.ana, person=cast.patient, channel="sms",
                                          outcome="message_sent", at=at)
    assert attempt.warnings == [] and attempt.confirmed_unsafe is False


def test_safe_hours_are_read_in_the_persons_time_zone(cast):
    _allow_texts(cast)
    # 11:00 in Los Angeles is 19:00 UTC: safe for them.
    utc = datetime.datetime(2026, 3, 2, 19, 0, tzinfo=datetime.UTC)
    assert actions.contact_warnings(cast.patient, channel="sms", at=utc) == []
    late = datetime.datetime(2026, 3, 2, 21, 30, tzinfo=LA)
    assert actions.contact_warnings(cast.patient, channel="sms", at=late) == ["outside_safe_hours"]


def test_each_kind_of_unsafe_attempt_is_named(cast):
    at = datetime.datetime(2026, 3, 2, 11, 0, tzinfo=LA)
    assert "do_not_contact" in actions.contact_warnings(cast.patient, channel="sms", at=at)
    _allow_texts(cast)
    assert actions.contact_warnings(cast.patient, channel="phone", at=at, outcome="voicemail") == [
        "channel_not_allowed", "no_voicemail",
    ]


def test_an_unsafe_attempt_is_refused_until_staff_confirm_and_the_confirmation_is_kept(cast, client_for):
    client = client_for(cast.ana)
    data = {"channel": "phone", "outcome": "no_answer"}
    refused = client.post(url("contacts", cast.patient), data)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "They asked not to be contacted outside visits." in page and "Nothing was saved" in page
    assert not ContactAttempt.objects.exists()
    confirmed = client.post(url("contacts", cast.patient), {**data, "confirm_unsafe": "on", "note": "Urgent lab result"})
    assert confirmed.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert attempt.confirmed_unsafe and "do_not_contact" in attempt.warnings
    assert "made despite warnings" in client.get(url("contacts", cast.patient)).content.decode()


def test_the_contact_log_checks_roles_and_teams(cast, client, client_for):
    assert client.get(url("contacts", cast.patient)).status_code == 302
    for user in (cast.bob, cast.fay, cast.eve):
        assert client_for(user).get(url("contacts", cast.patient)).status_code == 403
    for user in (cast.carol, cast.dan):
        assert client_for(user).get(url("contacts", cast.patient)).status_code == 404


def test_bad_contact_input_gets_a_clear_message(cast, client_for):
    response = client_for(cast.ana).post(url("contacts", cast.patient), {"channel": "pigeon", "outcome": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    future = client_for(cast.ana).post(url("contacts", cast.patient), {
        "channel": "sms", "outcome": "message_sent", "at": "2099-01-01T10:00", "confirm_unsafe": "on",
    })
    assert future.status_code == 400 and "cannot be in the future" in future.content.decode()
    assert not ContactAttempt.objects.exists()
