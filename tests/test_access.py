"""Break the glass: reason required, time-limited, audited, reviewed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.access.models import BreakGlassGrant
from safehaven.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_break_glass_opens_the_record_with_a_reason(cast, client_for):
    client = client_for(cast.carol)
    response = client.post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "Unconscious in the waiting room; team away",
    })
    assert response["Location"] == reverse("people:chart", args=[cast.patient.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Emergency access." in page
    assert AuditEvent.objects.filter(action="breakglass.open", person_id=str(cast.patient.public_id)).exists()
    view = AuditEvent.objects.filter(action="person.view", actor_label="carol").last()
    assert view.detail["via"] == "break_glass"


def test_break_glass_needs_a_real_reason(cast, client_for):
    response = client_for(cast.carol).post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "x",
    })
    assert response.status_code == 400
    assert not BreakGlassGrant.objects.exists()


def test_break_glass_grant_expires(cast, client_for, settings):
    client = client_for(cast.carol)
    client.post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "Urgent medication question",
    })
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.created_at == datetime.timedelta(minutes=settings.BREAK_GLASS_MINUTES)
    assert settings.BREAK_GLASS_MINUTES == 60
    BreakGlassGrant.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(reverse("people:chart", args=[cast.patient.public_id])).status_code == 404


def test_break_glass_cannot_reach_another_site(cast, client_for):
    response = client_for(cast.carol).post(reverse("access:break_glass"), {
        "record_id": str(cast.other_patient.public_id), "reason": "Trying another clinic's record",
    })
    assert response.status_code == 400 and "No record with that number" in response.content.decode()
    assert AuditEvent.objects.filter(action="breakglass.not_found").exists()


def test_break_glass_is_refused_to_roles_without_it(cast, client_for):
    for user in (cast.fay, cast.bob, cast.eve):
        assert client_for(user).get(reverse("access:break_glass")).status_code == 403


def test_administrator_reviews_grants(cast, client_for):
    client_for(cast.carol).post(reverse("access:break_glass"), {
        "record_id": str(cast.patient.public_id), "reason": "After-hours call about results",
    })
    admin = client_for(cast.erin)
    page = admin.get(reverse("access:review")).content.decode()
    assert "After-hours call about results" in page
    grant = BreakGlassGrant.objects.get()
    admin.post(reverse("access:review_grant", args=[grant.public_id]), {"note": "Appropriate"})
    grant.refresh_from_db()
    assert grant.reviewed_by == cast.erin and grant.review_note == "Appropriate"
    assert client_for(cast.alice).get(reverse("access:review")).status_code == 403


def test_review_of_another_sites_grant_is_404(cast, client_for):
    from safehaven.access import actions

    grant = actions.break_glass(by=cast.dan, person=cast.other_patient, reason="Emergency at Riverside")
    response = client_for(cast.erin).post(reverse("access:review_grant", args=[grant.public_id]))
    assert response.status_code == 404
