"""The person's journey on one page, and the chart panel."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.careplans import actions
from safehaven.people import actions as people_actions
from tests.careplans.helpers import assess, plan_with_goal, url

pytestmark = pytest.mark.django_db


def test_the_timeline_shows_encounters_assessments_goals_and_conferences(cast, client_for):
    people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
    assess(cast, housing="need")
    plan_with_goal(cast, text="Learn to drive")
    actions.record_conference(by=cast.ana, person=cast.patient, decisions=[{"text": "ok"}])
    page = client_for(cast.ana).get(url("timeline", cast.patient)).content.decode()
    for label in ("Visit", "Needs assessment", "Goal set", "Learn to drive", "Case conference"):
        assert label in page


def test_the_timeline_shows_referrals_from_the_referrals_app(cast, client_for):
    from safehaven.referrals.models import Referral

    Referral.objects.create(person=cast.patient, site=cast.site_a, need_domain="housing", service_name="Beds",
                            organization_name="Harbor Housing", status="requested", created_by=cast.ana)
    page = client_for(cast.ana).get(url("timeline", cast.patient)).content.decode()
    assert "Referral" in page


def test_the_timeline_checks_roles_and_teams(cast, client, client_for):
    assert client.get(url("timeline", cast.patient)).status_code == 302
    assert client_for(cast.fay).get(url("timeline", cast.patient)).status_code == 403
    for user in (cast.carol, cast.dan):
        assert client_for(user).get(url("timeline", cast.patient)).status_code == 404


def test_the_chart_panel_shows_pressing_needs_and_active_goals(cast, client_for):
    assess(cast, housing={"status": "crisis", "priority": "high"}, legal="stable")
    plan_with_goal(cast, text="A room of my own")
    page = client_for(cast.ana).get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Needs and plan" in page and "Shelter and housing" in page and "their top priority" in page
    assert "A room of my own" in page and "Legal" not in page.split("Needs and plan")[1].split("Goals they")[0]


def test_the_chart_panel_is_hidden_from_the_front_desk(cast, client_for):
    assess(cast, housing="crisis")
    page = client_for(cast.fay).get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Needs and plan" not in page and "Shelter and housing" not in page


def test_the_panel_and_plan_run_a_fixed_number_of_queries(cast, client_for):
    client = client_for(cast.ana)
    chart = reverse("people:chart", args=[cast.patient.public_id])
    plan, goal = plan_with_goal(cast)
    assess(cast, housing="crisis")
    client.get(chart)
    with CaptureQueriesContext(connection) as small_chart:
        client.get(chart)
    with CaptureQueriesContext(connection) as small_plan:
        client.get(url("plan", cast.patient))
    for i in range(6):
        plan.refresh_from_db()
        g = actions.add_goal(by=cast.ana, plan=plan, version=plan.version, description=f"goal {i}",
                             domain_codes=["housing", "legal"])
        plan.refresh_from_db()
        actions.add_step(by=cast.ana, goal=g, version=plan.version, description="s", owner_kind="person")
        assess(cast, housing="urgent", legal="need")
    with CaptureQueriesContext(connection) as large_chart:
        client.get(chart)
    with CaptureQueriesContext(connection) as large_plan:
        client.get(url("plan", cast.patient))
    assert len(large_chart) == len(small_chart)
    assert len(large_plan) == len(small_plan)


def test_the_panel_runs_the_same_queries_with_no_data_and_with_data(cast):
    from safehaven.careplans.queries import panel

    with CaptureQueriesContext(connection) as empty:
        panel(cast.patient)
    assess(cast, housing="crisis")
    plan_with_goal(cast)
    with CaptureQueriesContext(connection) as full:
        data = panel(cast.patient)
    assert len(empty) == len(full) == 4
    assert [r.domain.code for r in data["pressing"]] == ["housing"]
    assert len(data["goals"]) == 1
