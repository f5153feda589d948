"""Shared helpers for the careplans tests (synthetic data only)."""

from django.urls import reverse

from safehaven.careplans import actions


def url(name, obj_or_id, *more):
    key = getattr(obj_or_id, "public_id", obj_or_id)
    return reverse(f"careplans:{name}", args=[key, *more])


def assess(cast, person=None, by=None, **ratings):
    """Record an assessment with the given {domain_code: status or dict}."""
    answers = {}
    for code, value in ratings.items():
        code = code.replace("_", "-")
        answers[code] = value if isinstance(value, dict) else {"status": value}
    return actions.record_assessment(by=by or cast.ana, person=person or cast.patient, ratings=answers)


def plan_with_goal(cast, text="I want my own phone again", domains=("communication",)):
    plan = actions.start_plan(by=cast.ana, person=cast.patient)
    goal = actions.add_goal(by=cast.ana, plan=plan, version=plan.version, description=text,
                            domain_codes=list(domains))
    plan.refresh_from_db()
    return plan, goal
