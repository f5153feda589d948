"""Condition (health concern), Goal and CarePlan, read from the careplans app (FHIR R4).

Follows the SDOH Clinical Care pattern: a need in crisis or urgent at the latest
assessment is a health concern (Condition); the person's goals are Goals expressed by
the Patient; the plan is a CarePlan whose activities are the goals' steps. Notes,
the safety plan and exit planning are never exported.
"""

from django.db.models import Prefetch

from safehaven.accounts.permissions import Perm
from safehaven.careplans.models import CarePlan, Goal, HealthConcern, Step
from safehaven.fhir.registry import ResourceSpec

DOMAIN_SYSTEM = "urn:safehaven:codesystem:need-domain"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
SNOMED = "http://snomed.info/sct"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SENSITIVITY = {
    "mental_health": ("PSY", "psychiatry information sensitivity"),
    "substance_use": ("ETH", "substance abuse information sensitivity"),
    "sexual_reproductive": ("SEX", "sexuality and reproductive health information sensitivity"),
}
# crisis -> severe, urgent -> moderate (SNOMED CT severity qualifiers)
SEVERITY = {"crisis": ("24484000", "Severe"), "urgent": ("6736007", "Moderate")}
# Step (FHIR Task status) -> CarePlan.activity.detail.status
ACTIVITY_STATUS = {
    "requested": "not-started", "in-progress": "in-progress", "on-hold": "on-hold",
    "completed": "completed", "cancelled": "cancelled",
}


def _instant(value):
    return value.isoformat(timespec="seconds") if value else None


def _security(categories) -> list[dict]:
    labels = [{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}]
    for category in sorted(set(categories)):
        if category in SENSITIVITY:
            code, display = SENSITIVITY[category]
            labels.append({"system": ACT_CODE, "code": code, "display": display})
    return labels


def _patient(person) -> dict:
    return {"reference": f"Patient/{person.public_id}"}


def _domain_concept(domain) -> dict:
    return {"coding": [{"system": DOMAIN_SYSTEM, "code": domain.code, "display": domain.label}],
            "text": domain.label}


def concern_categories(rating) -> list[str]:
    return [rating.domain.data_category]


def condition_to_fhir(rating) -> dict:
    """Return an R4 Condition (health concern) for a need in crisis or urgent."""
    severity_code, severity_display = SEVERITY.get(rating.status, SEVERITY["urgent"])
    assessment = rating.assessment
    return {
        "resourceType": "Condition",
        "id": str(rating.public_id),
        "meta": {"lastUpdated": _instant(rating.updated_at),
                 "security": _security(concern_categories(rating))},
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": VERIFICATION_STATUS, "code": "confirmed"}]},
        "category": [
            {"coding": [{"system": US_CORE_CATEGORY, "code": "health-concern", "display": "Health Concern"}]},
            {"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]},
        ],
        "severity": {"coding": [{"system": SNOMED, "code": severity_code, "display": severity_display}]},
        "code": _domain_concept(rating.domain),
        "subject": _patient(assessment.person),
        "recordedDate": _instant(assessment.assessed_at),
    }


def goal_categories(goal) -> list[str]:
    return sorted({d.data_category for d in goal.domains.all()})


def goal_to_fhir(goal) -> dict:
    """Return an R4 Goal in the person's own words, expressed by the Patient."""
    resource = {
        "resourceType": "Goal",
        "id": str(goal.public_id),
        "meta": {"lastUpdated": _instant(goal.updated_at), "security": _security(goal_categories(goal))},
        "lifecycleStatus": goal.lifecycle_status,
        "description": {"text": goal.description},
        "subject": _patient(goal.person),
        "expressedBy": _patient(goal.person),
        "startDate": goal.created_at.date().isoformat(),
    }
    domains = list(goal.domains.all())
    if domains:
        resource["category"] = [_domain_concept(d) for d in domains]
    if goal.lifecycle_status == "completed":
        resource["achievementStatus"] = {"coding": [{"system": GOAL_ACHIEVEMENT, "code": "achieved"}]}
    return resource


def _activity(step) -> dict:
    detail = {
        "kind": "Task",
        "status": ACTIVITY_STATUS.get(step.status, "unknown"),
        "description": step.description,
        "goal": [{"reference": f"Goal/{step.goal.public_id}"}],
    }
    if step.due_date:
        detail["scheduledPeriod"] = {"end": step.due_date.isoformat()}
    if step.owner_kind == "person":
        detail["performer"] = [_patient(step.goal.person)]
    elif step.owner_kind == "partner" and step.partner_name:
        detail["performer"] = [{"display": step.partner_name}]
    else:
        detail["performer"] = [{"display": str(step.get_owner_kind_display())}]
    return {"progress": [{"text": f"{step.progress}%"}], "detail": detail}


def plan_categories(plan) -> list[str]:
    return sorted({d.data_category for g in plan.goals.all() for d in g.domains.all()})


def careplan_to_fhir(plan) -> dict:
    """Return an R4 CarePlan with its goals and the goals' steps as activities."""
    goals = [g for g in plan.goals.all() if g.lifecycle_status != "entered-in-error"]
    resource = {
        "resourceType": "CarePlan",
        "id": str(plan.public_id),
        "meta": {"lastUpdated": _instant(plan.updated_at), "security": _security(plan_categories(plan))},
        "status": plan.status,
        "intent": "plan",
        "title": "Care plan",
        "subject": _patient(plan.person),
        "created": _instant(plan.created_at),
    }
    if goals:
        resource["goal"] = [{"reference": f"Goal/{g.public_id}"} for g in goals]
        activities = [_activity(s) for g in goals for s in g.steps.all()]
        if activities:
            resource["activity"] = activities
    return resource


def _optimise_goals(qs):
    return qs.select_related("person").prefetch_related("domains")


def _optimise_plans(qs):
    return qs.select_related("person").prefetch_related(
        Prefetch("goals", queryset=Goal.objects.select_related("person").prefetch_related(
            "domains", Prefetch("steps", queryset=Step.objects.select_related("goal", "goal__person"))
        ))
    )


def _optimise_concerns(qs):
    return qs.select_related("domain", "assessment", "assessment__person")


RESOURCES = [
    ResourceSpec(
        type="Condition", model=HealthConcern, to_fhir=condition_to_fhir,
        person_path="assessment__person", categories=("clinical_summary",),
        updated_field="updated_at", date_field="assessment__assessed_at", status_field=None,
        code_field="domain__code", optimise=_optimise_concerns, object_categories=concern_categories,
        extra={"code_system": DOMAIN_SYSTEM},
    ),
    ResourceSpec(
        type="Goal", model=Goal, to_fhir=goal_to_fhir, person_path="person",
        categories=("clinical_summary",), updated_field="updated_at", date_field="created_at",
        status_field="lifecycle_status", optimise=_optimise_goals, object_categories=goal_categories,
        extra={"perm": Perm.CASE_MANAGE},  # as the care plan pages
    ),
    ResourceSpec(
        type="CarePlan", model=CarePlan, to_fhir=careplan_to_fhir, person_path="person",
        categories=("clinical_summary",), updated_field="updated_at", date_field="created_at",
        status_field="status", optimise=_optimise_plans, object_categories=plan_categories,
        extra={"perm": Perm.CASE_MANAGE},  # as the care plan pages
    ),
]
