"""The advocate's caseload: tasks due, people not seen, consents ending, open referrals."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safehaven.careplans import actions
from safehaven.consent.models import ConsentGrant
from safehaven.people import actions as people_actions
from safehaven.testing.factories import make_person

pytestmark = pytest.mark.django_db


def _consent(cast, person, days):
    return ConsentGrant.objects.create(
        person=person, recipient_kind="category", recipient_label="Housing partner",
        recipient_category="housing", purposes=["referral"], categories=["identity_contact"],
        method="written", informed=True, expires_at=timezone.now() + datetime.timedelta(days=days),
        recorded_by=cast.ana,
    )


def _referral(cast, person, status="requested"):
    from safehaven.referrals.models import Referral

    return Referral.objects.create(
        person=person, site=person.site, need_domain="housing", service_name="Beds",
        organization_name="Harbor Housing", status=status, created_by=cast.ana,
    )


def _fill(cast, n):
    today = timezone.localdate()
    for i in range(n):
        person = make_person(cast.ana, cast.site_a, f"Person {len(cast.__dict__)}-{i}-{n}")
        actions.create_task(by=cast.ana, person=person, title=f"Call about housing {i}",
                            due_date=today - datetime.timedelta(days=1))
        people_actions.start_encounter(by=cast.alice, person=person, setting="outreach",
                                       chief_complaint="check-in",
                                       started_at=timezone.now() - datetime.timedelta(days=60))
        _consent(cast, person, days=10)
        _referral(cast, person)


def test_the_caseload_lists_due_and_overdue_tasks(cast, client_for):
    today = timezone.localdate()
    actions.create_task(by=cast.ana, person=cast.patient, title="Bring the bus pass",
                        due_date=today - datetime.timedelta(days=2))
    actions.create_task(by=cast.ana, person=cast.patient, title="Plan for next month",
                        due_date=today + datetime.timedelta(days=40))
    done = actions.create_task(by=cast.ana, person=cast.patient, title="Already done", due_date=today)
    actions.set_task_status(by=cast.ana, task=done, status="completed")
    page = client_for(cast.ana).get(reverse("careplans:caseload")).content.decode()
    assert "Bring the bus pass" in page and "overdue" in page
    assert "Plan for next month" not in page and "Already done" not in page


def test_the_caseload_lists_people_not_seen_for_a_while(cast, client_for):
    people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach",
                                   chief_complaint="x", started_at=timezone.now() - datetime.timedelta(days=45))
    page = client_for(cast.ana).get(reverse("careplans:caseload")).content.decode()
    assert "Not seen for 30 days or more" in page and "Rosa" in page
    people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="y")
    page = client_for(cast.ana).get(reverse("careplans:caseload")).content.decode()
    assert "Everyone has been seen recently." in page


def test_the_caseload_lists_consents_about_to_end_and_open_referrals(cast, client_for):
    _consent(cast, cast.patient, days=5)
    _referral(cast, cast.patient)
    _referral(cast, cast.patient, status="completed")
    page = client_for(cast.ana).get(reverse("careplans:caseload")).content.decode()
    assert "Housing partner" in page
    assert page.count("Harbor Housing, ") == 1  # the completed referral is not listed


def test_the_caseload_shows_only_my_care_teams(cast, client_for):
    actions.create_task(by=cast.dan, person=cast.other_patient, title="Iris task", due_date=timezone.localdate())
    _consent(cast, cast.other_patient, days=3)
    page = client_for(cast.ana).get(reverse("careplans:caseload")).content.decode()
    assert "Iris" not in page
    page = client_for(cast.carol).get(reverse("careplans:caseload")).content.decode()
    assert "Rosa" not in page


def test_the_caseload_refuses_roles_without_case_management(cast, client, client_for):
    assert client.get(reverse("careplans:caseload")).status_code == 302
    for user in (cast.bob, cast.fay, cast.eve, cast.erin, cast.tom):
        assert client_for(user).get(reverse("careplans:caseload")).status_code == 403


def test_caseload_queries_do_not_grow_with_the_caseload(cast, client_for):
    client = client_for(cast.ana)
    url = reverse("careplans:caseload")
    _fill(cast, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        page = client.get(url).content.decode()
    assert page.count("Call about housing") == 2
    _fill(cast, 8)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert page.count("Call about housing") == 10
    assert len(large) == len(small)


def test_a_task_status_change_checks_the_care_team(cast, client_for):
    task = actions.create_task(by=cast.ana, person=cast.patient, title="Ring the shelter")
    assert client_for(cast.carol).post(reverse("careplans:task_status", args=[task.public_id]),
                                       {"status": "completed"}).status_code == 404
    assert client_for(cast.ana).post(reverse("careplans:task_status", args=[task.public_id]),
                                     {"status": "nonsense"}).status_code == 400
    assert client_for(cast.ana).post(reverse("careplans:task_status", args=[task.public_id]),
                                     {"status": "completed"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "completed" and task.completed_at is not None
