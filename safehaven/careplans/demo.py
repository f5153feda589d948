"""Demo data for the careplans capability (synthetic only; idempotent)."""

import datetime

from django.utils import timezone

DEMO_PEOPLE = 5


def demo_hook(stdout) -> None:
    """Give a few of the advocate's people an assessment, a reassessment and a plan."""
    from safehaven.accounts.models import User
    from safehaven.careplans import actions
    from safehaven.careplans.models import CarePlan, NeedsAssessment
    from safehaven.people.models import CareTeamMember

    advocate = User.objects.filter(username="advocate").first()
    if advocate is None:
        return
    person_ids = list(
        CareTeamMember.objects.filter(user=advocate, active=True)
        .values_list("person_id", flat=True).order_by("person_id")[:DEMO_PEOPLE]
    )
    made = 0
    for member in CareTeamMember.objects.filter(user=advocate, person_id__in=person_ids).select_related("person"):
        person = member.person
        if NeedsAssessment.objects.filter(person=person).exists() or CarePlan.objects.filter(person=person).exists():
            continue
        then = timezone.now() - datetime.timedelta(days=60)
        actions.record_assessment(by=advocate, person=person, assessed_at=then, ratings={
            "housing": {"status": "crisis", "priority": "high"}, "identity-documents": {"status": "urgent"},
            "acute-medical": {"status": "need"}, "education": {"status": "declined"},
        })
        actions.record_assessment(by=advocate, person=person, ratings={
            "housing": {"status": "need", "priority": "high"}, "identity-documents": {"status": "stable"},
            "acute-medical": {"status": "stable"}, "employment": {"status": "need", "priority": "medium"},
        })
        plan = actions.start_plan(by=advocate, person=person)
        goal = actions.add_goal(by=advocate, plan=plan, version=plan.version,
                                description="Have a place where I can lock the door", domain_codes=["housing"])
        plan.refresh_from_db()
        actions.add_step(by=advocate, goal=goal, version=plan.version, description="Visit the housing office together",
                         owner_kind="advocate", owner_user=advocate,
                         due_date=timezone.localdate() + datetime.timedelta(days=3))
        actions.create_task(by=advocate, person=person, title="Check in about the housing application",
                            due_date=timezone.localdate() - datetime.timedelta(days=1), assigned_to=advocate)
        made += 1
    if made:
        stdout.write(f"Care plans: {made} demo people with assessments and plans.")
