"""Record swapping in request bodies: another person's (or another site's) record id in a form.

The URL names a record the user may act on; the body names one they may not. Each must answer
404 or a clear 400 and write nothing.
"""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.access.models import BreakGlassGrant
from safehaven.consent.models import ConsentGrant
from safehaven.followup.models import Appointment, Reminder
from safehaven.people.models import CareTeamMember, Person
from safehaven.referrals.models import Referral
from safehaven.screening.models import ScreeningSession
from tests.security import matrix

pytestmark = pytest.mark.django_db


def _encounter(cast, person):
    from safehaven.people import actions

    return actions.start_encounter(by=matrix.author(cast, person), person=person, setting="clinic",
                                   chief_complaint="swap")


def test_break_glass_refuses_a_record_number_from_another_site(cast, client_for):
    response = client_for(cast.carol).post(reverse("access:break_glass"), {
        "record_id": str(cast.other_patient.public_id), "reason": "Needed urgently for a swap test",
    })
    assert response.status_code == 400
    assert "No record with that number at your sites." in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_a_care_team_cannot_take_in_staff_of_another_site(cast, client_for):
    before = CareTeamMember.objects.count()
    response = client_for(cast.alice).post(
        reverse("people:care_team", args=[cast.patient.public_id]), {"username": "dan"}, follow=True)
    assert "No staff member with that username works at this site." in response.content.decode()
    assert CareTeamMember.objects.count() == before
    assert not CareTeamMember.objects.filter(person=cast.patient, user=cast.dan).exists()


def test_registering_with_a_site_where_i_may_not_register_still_registers_at_my_own_site(cast, client_for):
    from safehaven.accounts.models import Membership
    from safehaven.accounts.roles import ensure_default_roles
    from safehaven.testing.factories import make_staff

    mia = make_staff("mia", cast.site_a, "clinician")  # also a trainee at Riverside: no registering there
    Membership.objects.create(user=mia, site=cast.site_b, role=ensure_default_roles()["trainee"])
    client_for(mia).post(reverse("people:register"), {
        "chosen_name": "Paz", "legal_name": "Paz Aurora Medina", "age_band": "18-24",
        "preferred_language": "es", "neutral_sender": "Reminder", "safe_hours_start": "10:00",
        "safe_hours_end": "16:00", "do_not_contact": "on", "site": str(cast.site_b.public_id),
    })
    assert Person.objects.get(chosen_name="Paz").site == cast.site_a
    assert not Person.objects.filter(site=cast.site_b).exclude(pk=cast.other_patient.pk).exists()


def test_screening_cannot_start_inside_another_persons_encounter(cast, client_for):
    for other in (_encounter(cast, cast.other_patient), _encounter(cast, matrix_person_on_carols_team(cast))):
        response = client_for(cast.alice).post(
            reverse("screening:start", args=[cast.patient.public_id]), {"encounter": str(other.public_id)})
        assert response.status_code == 404
    assert not ScreeningSession.objects.exists()


def matrix_person_on_carols_team(cast):
    """A second person at Harbor, on carol's care team only (another team at the same site)."""
    from safehaven.testing.factories import make_person

    return make_person(cast.carol, cast.site_a, "Noor")


def test_a_visit_cannot_be_booked_with_a_clinician_of_another_site(cast, client_for):
    response = client_for(cast.alice).post(reverse("followup:book", args=[cast.patient.public_id]), {
        "clinician": str(cast.dan.public_id),
        "starts_at": (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "minutes": 30,
    })
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_reminder_cannot_point_at_another_persons_visit(cast, client_for):
    noor = matrix_person_on_carols_team(cast)
    from safehaven.followup import actions

    theirs = actions.book_appointment(by=cast.carol, person=noor, clinician=cast.carol, preference_note="x",
                                      starts_at=timezone.now() + datetime.timedelta(days=2))
    response = client_for(cast.alice).post(reverse("followup:reminder", args=[cast.patient.public_id]), {
        "kind": "appointment", "channel": "sms", "appointment": str(theirs.public_id),
    })
    assert response.status_code == 400
    assert not Reminder.objects.exists()


def test_a_referral_cannot_name_another_persons_goal(cast, client_for):
    other_goal = matrix._goal(cast, cast.other_patient)
    service = matrix.directory(cast)["service"]
    response = client_for(cast.alice).post(reverse("referrals:new", args=[cast.patient.public_id]), {
        "goal": str(other_goal.public_id), "service": str(service.public_id), "priority": "routine",
        "categories": ["identity_contact"],
    })
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_a_consent_file_about_someone_else_is_refused(cast, client_for):
    from safehaven.fhir.resources.consent import bundle

    theirs = ConsentGrant.objects.get(public_id=matrix._consent_grant(cast, cast.other_patient)["public_id"])
    before = ConsentGrant.objects.count()
    response = client_for(cast.alice).post(reverse("consent:fhir_import", args=[cast.patient.public_id]), {
        "resource": json.dumps(bundle([theirs])), "holds_original": "on",
    })
    assert response.status_code == 400
    assert "This file is about someone else." in response.content.decode()
    assert ConsentGrant.objects.count() == before
    assert not ConsentGrant.objects.filter(person=cast.patient).exists()


def test_a_conference_cannot_list_staff_outside_the_care_team(cast, client_for):
    from safehaven.careplans.models import CaseConference

    response = client_for(cast.alice).post(reverse("careplans:new_conference", args=[cast.patient.public_id]), {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "staff": [str(cast.dan.public_id)],
    })
    assert response.status_code == 400
    assert not CaseConference.objects.exists()


def test_training_settings_for_another_site_are_never_written(cast, client_for):
    from safehaven.training.models import TrainingSettings

    client_for(cast.erin).post(reverse("training:settings"), {
        "site": str(cast.site_b.public_id), "gate_screening": "on", "refresher_months": 12,
    })
    assert not TrainingSettings.objects.filter(site=cast.site_b).exists()
    assert TrainingSettings.objects.get(site=cast.site_a).gate_screening  # it went to her own site


def test_a_partner_cannot_update_a_referral_sent_to_another_organisation(cast, client_for):
    from safehaven.directory.models import Organization, Service

    pat = matrix.partner_user(cast)
    elsewhere = Service.objects.create(organization=Organization.objects.create(name="Other org"), name="Legal")
    theirs = matrix.make_referral(cast, cast.patient, service=elsewhere)
    before = theirs.events.count()
    response = client_for(pat).post(reverse("partner:referral", args=[theirs.public_id]),
                                    {"to_status": "accepted"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "requested" and theirs.events.count() == before
