"""Self-administered (tablet) mode locks the session away from staff pages until unlocked."""

import pytest
from django.urls import reverse

from safehaven.screening import actions as screening
from safehaven.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def tablet_session(cast):
    session = screening.start_session(by=cast.alice, person=cast.patient, mode="self")
    screening.record_privacy(by=cast.alice, session=session, alone=True)
    screening.record_confidentiality(by=cast.alice, session=session)
    return session


def test_in_tablet_mode_staff_pages_lead_back_to_the_questions(cast, client_for):
    session = tablet_session(cast)
    client = client_for(cast.alice)
    tablet = reverse("screening:tablet", args=[session.public_id])
    assert client.get(tablet).status_code == 200
    for url in [reverse("people:worklist"), reverse("people:chart", args=[cast.patient.public_id]),
                reverse("screening:session", args=[session.public_id]), reverse("audit:log")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == tablet, url


def test_staff_unlock_with_their_password_and_return_to_the_session(cast, client_for):
    session = tablet_session(cast)
    client = client_for(cast.alice)
    client.get(reverse("screening:tablet", args=[session.public_id]))
    handback = client.get(reverse("screening:handback", args=[session.public_id])).content.decode()
    assert reverse("accounts:unlock") in handback
    wrong = client.post(reverse("accounts:unlock"), {"password": "not-the-password"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.get(reverse("people:worklist")).status_code == 302
    right = client.post(reverse("accounts:unlock"), {"password": PASSWORD})
    assert right["Location"] == reverse("screening:session", args=[session.public_id])
    assert client.get(reverse("people:worklist")).status_code == 200


def test_quick_exit_still_works_in_tablet_mode(cast, client_for):
    session = tablet_session(cast)
    client = client_for(cast.alice)
    client.get(reverse("screening:tablet", args=[session.public_id]))
    assert client.get(reverse("core:neutral"), {"exit": "1"}).status_code == 200
    assert client.get(reverse("people:worklist")).status_code == 302
