"""The safety plan: care team only, encrypted, emergency access sees only that it exists."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from safehaven.access.models import BreakGlassGrant
from safehaven.careplans import actions
from safehaven.careplans.models import SafetyPlan
from tests.careplans.helpers import url

pytestmark = pytest.mark.django_db

SECRET = "Back door of the laundromat on 5th"


def _plan(cast, **kw):
    return actions.save_safety_plan(by=cast.ana, person=cast.patient, version=None,
                                    safe_places=SECRET, code_words="sunflower", **kw)


def _break_glass(user, person):
    BreakGlassGrant.objects.create(user=user, person=person, reason="Unconscious in clinic",
                                   expires_at=timezone.now() + datetime.timedelta(hours=1))


def test_the_care_team_reads_and_writes_the_safety_plan(cast, client_for):
    client = client_for(cast.ana)
    response = client.post(url("safety", cast.patient), {
        "safe_places": SECRET, "safe_contacts": "My aunt", "code_words": "sunflower",
        "documents_ready": "Birth certificate copy",
    })
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(person=cast.patient)
    assert plan.safe_places == SECRET and not plan.include_in_print and not plan.show_in_emergency_access
    assert SECRET in client.get(url("safety", cast.patient)).content.decode()


def test_the_safety_plan_is_encrypted_at_rest(cast):
    _plan(cast)
    with connection.cursor() as cursor:
        cursor.execute("SELECT safe_places, code_words FROM careplans_safetyplan")
        row = cursor.fetchone()
    assert "laundromat" not in row[0] and "sunflower" not in row[1]


def test_the_safety_plan_is_404_outside_the_care_team(cast, client_for):
    _plan(cast)
    for user in (cast.carol, cast.dan):
        response = client_for(user).get(url("safety", cast.patient))
        assert response.status_code == 404
        assert SECRET not in response.content.decode()
        assert client_for(user).post(url("safety", cast.patient), {"safe_places": "x"}).status_code == 404
    assert SafetyPlan.objects.get().safe_places == SECRET


def test_the_safety_plan_refuses_roles_without_care_access(cast, client, client_for):
    _plan(cast)
    assert client.get(url("safety", cast.patient)).status_code == 302
    for user in (cast.bob, cast.fay, cast.eve, cast.tom):
        assert client_for(user).get(url("safety", cast.patient)).status_code == 403


def test_emergency_access_learns_that_a_plan_exists_but_not_what_it_says(cast, client_for):
    _plan(cast)
    _break_glass(cast.carol, cast.patient)
    response = client_for(cast.carol).get(url("safety", cast.patient))
    page = response.content.decode()
    assert response.status_code == 200
    assert "A safety plan exists" in page and SECRET not in page and "sunflower" not in page
    assert client_for(cast.carol).post(url("safety", cast.patient), {"safe_places": "x"}).status_code == 403


def test_emergency_access_reads_it_when_the_person_allowed(cast, client_for):
    _plan(cast, show_in_emergency_access=True)
    _break_glass(cast.carol, cast.patient)
    page = client_for(cast.carol).get(url("safety", cast.patient)).content.decode()
    assert SECRET in page


def test_two_edits_of_the_safety_plan_give_a_conflict(cast, client_for):
    plan = _plan(cast)
    client = client_for(cast.ana)
    first = client.post(url("safety", cast.patient), {"version": plan.version, "safe_places": "Library"})
    assert first.status_code == 302
    second = client_for(cast.alice).post(url("safety", cast.patient), {"version": plan.version, "safe_places": "Bus station"})
    assert second.status_code == 409
    assert "Bus station" in second.content.decode()
    assert SafetyPlan.objects.get().safe_places == "Library"


def test_a_second_first_version_is_a_conflict_too(cast):
    _plan(cast)
    with pytest.raises(actions.ConflictError):
        actions.save_safety_plan(by=cast.alice, person=cast.patient, version=None, safe_places="other")


def test_the_chart_panel_never_shows_the_safety_plan(cast, client_for):
    from django.urls import reverse

    _plan(cast)
    page = client_for(cast.ana).get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Needs and plan" in page and SECRET not in page
