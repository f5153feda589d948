"""Authorization-matrix entries for the careplans routes (for tests/security/matrix.py).

Use: `OBJECTS.update(careplans_matrix.objects())` and
`ROUTES.update(careplans_matrix.routes(Route))`.
"""

from safehaven.accounts.permissions import Perm


def _by(cast, person):
    return cast.ana if person.site_id == cast.site_a.pk else cast.dan


def _assessment(cast, person):
    from safehaven.careplans import actions

    a = actions.record_assessment(by=_by(cast, person), person=person, ratings={"housing": {"status": "need"}})
    return {"public_id": a.public_id}


def _goal_obj(cast, person):
    from safehaven.careplans import actions

    plan = actions.start_plan(by=_by(cast, person), person=person)
    plan.refresh_from_db()
    return actions.add_goal(by=_by(cast, person), plan=plan, version=plan.version, description="matrix goal")


def _goal(cast, person):
    return {"public_id": _goal_obj(cast, person).public_id}


def _step(cast, person):
    from safehaven.careplans import actions

    goal = _goal_obj(cast, person)
    goal.plan.refresh_from_db()
    step = actions.add_step(by=_by(cast, person), goal=goal, version=goal.plan.version,
                            description="matrix step", owner_kind="person")
    return {"public_id": step.public_id}


def _conference_obj(cast, person):
    from safehaven.careplans import actions

    return actions.record_conference(
        by=_by(cast, person), person=person, decisions=[{"text": "matrix decision"}],
        external=[{"name": "Jo", "recipient_category": "housing", "purpose": "referral"}],
    )


def _conference(cast, person):
    return {"public_id": _conference_obj(cast, person).public_id}


def _conference_outside(cast, person):
    conference = _conference_obj(cast, person)
    attendee = conference.attendees.get(user__isnull=True)
    return {"public_id": conference.public_id, "attendee_id": attendee.public_id}


def _task(cast, person):
    from safehaven.careplans import actions

    task = actions.create_task(by=_by(cast, person), person=person, title="matrix task")
    return {"public_id": task.public_id}


def objects() -> dict:
    return {
        "needs_assessment": _assessment, "care_goal": _goal, "care_step": _step,
        "case_conference": _conference, "case_conference_outside": _conference_outside,
        "case_task": _task,
    }


def routes(Route) -> dict:
    p = Perm.CASE_MANAGE
    return {
        "careplans:caseload": Route(p),
        "careplans:task_status": Route(p, obj="case_task", method="POST", data={"status": "in-progress"}),
        "careplans:needs": Route(p, obj="person"),
        "careplans:assessment": Route(p, obj="needs_assessment"),
        "careplans:plan": Route(p, obj="person"),
        "careplans:add_goal": Route(p, obj="person", method="POST", data={"version": "1", "description": "m"}),
        "careplans:goal_status": Route(p, obj="care_goal", method="POST", data={"version": "1", "status": "on-hold"}),
        "careplans:add_step": Route(p, obj="care_goal", method="POST",
                                    data={"new-version": "1", "new-description": "m", "new-owner_kind": "person"}),
        "careplans:update_step": Route(p, obj="care_step", method="POST",
                                       data={"version": "1", "status": "in-progress", "progress": "10"}),
        "careplans:print": Route(p, obj="person"),
        "careplans:safety": Route(p, obj="person"),
        "careplans:contacts": Route(p, obj="person"),
        "careplans:new_conference": Route(p, obj="person"),
        "careplans:conference": Route(p, obj="case_conference"),
        "careplans:conference_external": Route(p, obj="case_conference_outside"),
        "careplans:timeline": Route(p, obj="person"),
    }
