"""Case conferences: attendees, decisions, follow-ups; outside attendees see what consent allows."""

import datetime

import pytest
from django.utils import timezone

from safehaven.careplans import actions
from safehaven.careplans.models import CaseConference, CaseTask
from safehaven.consent.models import ConsentGrant, Disclosure
from tests.careplans.helpers import url

pytestmark = pytest.mark.django_db


def _conference(cast):
    return actions.record_conference(
        by=cast.ana, person=cast.patient, staff=[cast.alice],
        external=[{"name": "Jo", "organisation_label": "Harbor Housing", "recipient_category": "housing",
                   "purpose": "referral"}],
        decisions=[{"text": "Apply for the bed at Maple House", "category": "location"},
                   {"text": "Start counselling next week", "category": "mental_health"}],
        follow_ups=[{"title": "Send the housing form", "due_date": timezone.localdate()}],
    )


def test_a_conference_records_attendees_decisions_and_follow_up_tasks(cast, client_for):
    conference = _conference(cast)
    page = client_for(cast.ana).get(url("conference", conference)).content.decode()
    assert "Dr. Alice" in page and "Jo" in page and "Harbor Housing" in page
    assert "Apply for the bed at Maple House" in page and "Send the housing form" in page
    task = CaseTask.objects.get(source_conference=conference)
    assert task.kind == "conference_follow_up"


def test_an_outside_attendee_sees_only_what_consent_allows(cast, client_for):
    conference = _conference(cast)
    attendee = conference.attendees.get(user__isnull=True)
    client = client_for(cast.ana)
    page = client.get(url("conference_external", conference, attendee.public_id)).content.decode()
    assert "Maple House" not in page and "counselling" not in page
    assert "Nothing from this conference can be shared" in page
    assert not Disclosure.objects.exists()
    ConsentGrant.objects.create(
        person=cast.patient, recipient_kind="category", recipient_label="Housing providers",
        recipient_category="housing", purposes=["referral"], categories=["location"], method="written",
        informed=True, expires_at=timezone.now() + datetime.timedelta(days=90), recorded_by=cast.ana,
    )
    page = client.get(url("conference_external", conference, attendee.public_id)).content.decode()
    assert "Maple House" in page and "counselling" not in page
    assert "Some information is not shown" in page
    disclosure = Disclosure.objects.get()
    assert disclosure.categories == ["location"] and disclosure.channel == "case_conference"


def test_a_staff_attendee_has_no_outside_view(cast, client_for):
    conference = _conference(cast)
    staff = conference.attendees.filter(user__isnull=False).first()
    assert client_for(cast.ana).get(url("conference_external", conference, staff.public_id)).status_code == 404


def test_recording_a_conference_through_the_form(cast, client_for):
    client = client_for(cast.ana)
    assert client.get(url("new_conference", cast.patient)).status_code == 200
    response = client.post(url("new_conference", cast.patient), {
        "held_at": "2026-01-10T10:00", "staff": [str(cast.bob.public_id)],
        "external_name": "Sam", "external_organisation": "Legal Aid", "external_category": "legal_services",
        "external_purpose": "legal_advocacy", "decision": "File the T-visa paperwork",
        "decision_category": "clinical_summary", "follow_up": "Book the lawyer",
    })
    assert response.status_code == 302
    conference = CaseConference.objects.get()
    assert conference.attendees.count() == 3 and conference.decisions.get().text == "File the T-visa paperwork"


def test_a_conference_without_decisions_or_a_kind_of_organisation_is_refused(cast, client_for):
    response = client_for(cast.ana).post(url("new_conference", cast.patient), {
        "held_at": "2026-01-10T10:00", "external_name": "Sam", "decision_category": "clinical_summary",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "Record at least one decision" in page and "Say what kind of organisation" in page
    assert not CaseConference.objects.exists()


def test_conferences_check_roles_and_teams(cast, client, client_for):
    conference = _conference(cast)
    attendee = conference.attendees.get(user__isnull=True)
    assert client.get(url("conference", conference)).status_code == 302
    assert client_for(cast.bob).get(url("conference", conference)).status_code == 403
    for user in (cast.carol, cast.dan):
        c = client_for(user)
        assert c.get(url("conference", conference)).status_code == 404
        assert c.get(url("conference_external", conference, attendee.public_id)).status_code == 404
        assert c.get(url("new_conference", cast.patient)).status_code == 404
