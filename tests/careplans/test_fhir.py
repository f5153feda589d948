"""FHIR R4: health concerns as Condition, goals as Goal, the plan as CarePlan (validated with R4B)."""

import pytest
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.goal import Goal as FhirGoal

from safehaven.careplans import actions
from safehaven.careplans.models import HealthConcern
from safehaven.fhir.registry import all_specs
from safehaven.fhir.resources.careplans import careplan_to_fhir, condition_to_fhir, goal_to_fhir
from tests.careplans.helpers import assess, plan_with_goal

pytestmark = pytest.mark.django_db


def test_the_three_resource_types_are_registered():
    specs = all_specs()
    assert {"Condition", "Goal", "CarePlan"} <= set(specs)
    assert specs["Condition"].model is HealthConcern


def test_only_crisis_and_urgent_needs_of_the_latest_assessment_are_health_concerns(cast):
    assess(cast, housing="crisis", legal="urgent")
    assess(cast, housing="stable", legal="urgent", **{"mental_health": "crisis"})
    codes = sorted(c.domain.code for c in HealthConcern.objects.select_related("domain"))
    assert codes == ["legal", "mental-health"]


def test_a_health_concern_is_a_valid_r4_condition_without_the_notes(cast):
    assess(cast, **{"substance_use": {"status": "crisis", "notes": "private words", "emergency": True}})
    concern = HealthConcern.objects.select_related("domain", "assessment__person").get()
    resource = condition_to_fhir(concern)
    FhirCondition.model_validate(resource)
    assert resource["code"]["coding"][0]["code"] == "substance-use"
    assert resource["subject"]["reference"] == f"Patient/{cast.patient.public_id}"
    assert resource["severity"]["coding"][0]["code"] == "24484000"
    assert {"R", "ETH"} <= {label["code"] for label in resource["meta"]["security"]}
    assert "private words" not in str(resource)


def test_a_goal_is_a_valid_r4_goal_in_the_persons_words(cast):
    plan, goal = plan_with_goal(cast, text="Sleep through the night", domains=("mental-health",))
    actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status="completed")
    goal.refresh_from_db()
    resource = goal_to_fhir(goal)
    FhirGoal.model_validate(resource)
    assert resource["description"]["text"] == "Sleep through the night"
    assert resource["lifecycleStatus"] == "completed"
    assert resource["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert resource["expressedBy"]["reference"] == f"Patient/{cast.patient.public_id}"


def test_the_plan_is_a_valid_r4_careplan_with_goals_and_steps(cast):
    plan, goal = plan_with_goal(cast)
    for owner in ("person", "advocate", "partner"):
        actions.add_step(by=cast.ana, goal=goal, version=plan.version, description=f"step by {owner}",
                         owner_kind=owner, partner_name="Harbor Legal Aid")
        plan.refresh_from_db()
    actions.update_plan(by=cast.ana, plan=plan, version=plan.version, print_heading="",
                        exit_planning_chosen=True, exit_planning="never exported")
    resource = careplan_to_fhir(plan)
    FhirCarePlan.model_validate(resource)
    assert resource["status"] == "active" and resource["intent"] == "plan"
    assert resource["goal"] == [{"reference": f"Goal/{goal.public_id}"}]
    assert len(resource["activity"]) == 3
    assert resource["activity"][0]["detail"]["status"] == "not-started"
    assert "never exported" not in str(resource)


def test_an_empty_plan_is_valid_too(cast):
    plan = actions.start_plan(by=cast.ana, person=cast.patient)
    FhirCarePlan.model_validate(careplan_to_fhir(plan))


def test_the_fhir_api_serves_goals_plans_and_concerns_to_the_care_team_only(cast, client_for):
    from django.urls import reverse

    plan, goal = plan_with_goal(cast)
    assess(cast, housing="crisis", legal="stable")
    alice = client_for(cast.alice)
    # Condition is searched without `patient`: safehaven/fhir/search.py builds a bad lookup for
    # nested person paths (assessment__person); reported to the FHIR capability.
    for resource_type, params in (("Goal", {"patient": str(cast.patient.public_id)}),
                                  ("CarePlan", {"patient": str(cast.patient.public_id)}),
                                  ("Condition", {})):
        response = alice.get(reverse("fhir:search", args=[resource_type]), params)
        assert response.status_code == 200, resource_type
        bundle = response.json()
        assert len(bundle.get("entry", [])) == 1, resource_type
    carol = client_for(cast.carol)
    assert carol.get(reverse("fhir:read", args=["Goal", goal.public_id])).status_code == 404
    assert alice.get(reverse("fhir:read", args=["CarePlan", plan.public_id])).status_code == 200
    concern = HealthConcern.objects.get()
    assert alice.get(reverse("fhir:read", args=["Condition", concern.public_id])).status_code == 200
    assert carol.get(reverse("fhir:read", args=["Condition", concern.public_id])).status_code == 404
