"""Gatekeepers for careplans objects, built on `get_person_for` (404 outside the care team)."""

from typing import Any

from django.http import Http404

from safehaven.access.gate import _parse_uuid, get_person_for
from safehaven.accounts.permissions import Perm
from safehaven.careplans.models import CaseConference, CaseTask, Goal, NeedsAssessment, Step


def reader_perm(user: Any) -> Perm:
    """Return the permission needed to open needs, plans and the timeline: case management.

    (Nurses and others holding only clinical.view see the summary panel on the chart.)
    """
    return Perm.CASE_MANAGE


def _load(model, public_id, *related):
    obj = model.objects.select_related(*related).filter(public_id=_parse_uuid(public_id)).first()
    if obj is None:
        raise Http404("No such record")
    return obj


def _person_of(obj):
    return obj.person if hasattr(obj, "person") else obj.goal.person


def get_for(user: Any, model, public_id: Any, *, need: Perm, action: str, request: Any = None,
            related: tuple[str, ...] = ("person",)):
    """Return an object of `model` if the user may act on its person with `need`; audit it."""
    from safehaven.access.gate import require_perm

    require_perm(user, need)
    obj = _load(model, public_id, *related)
    person = get_person_for(user, _person_of(obj).public_id, need=need, action=action, request=request)
    if hasattr(obj, "person"):
        obj.person = person
    else:
        obj.goal.person = person
    return obj


def get_assessment_for(user, public_id, *, request=None) -> NeedsAssessment:
    return get_for(user, NeedsAssessment, public_id, need=reader_perm(user),
                   action="careplans.assessment.view", request=request)


def get_goal_for(user, public_id, *, request=None) -> Goal:
    return get_for(user, Goal, public_id, need=Perm.CASE_MANAGE, action="careplans.goal.edit",
                   request=request, related=("person", "plan"))


def get_step_for(user, public_id, *, request=None) -> Step:
    return get_for(user, Step, public_id, need=Perm.CASE_MANAGE, action="careplans.step.edit",
                   request=request, related=("goal", "goal__person", "goal__plan"))


def get_conference_for(user, public_id, *, request=None, action="careplans.conference.view") -> CaseConference:
    return get_for(user, CaseConference, public_id, need=Perm.CASE_MANAGE, action=action, request=request)


def get_task_for(user, public_id, *, request=None) -> CaseTask:
    return get_for(user, CaseTask, public_id, need=Perm.CASE_MANAGE, action="careplans.task.edit",
                   request=request)
