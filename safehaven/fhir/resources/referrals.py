"""Referrals as FHIR R4 ServiceRequest + Task (SDOH Clinical Care IG shape), and Task updates in.

A referral is one ServiceRequest (what is asked for, of which organisation) and one Task
(where the partner is with it: the FHIR Task status codes). Both carry the referral's
public id as their `id`. A partner's system sends back a Task; `parse_task_update`
validates it with `fhir.resources.R4B` and returns the change to apply.
"""

from dataclasses import dataclass
from typing import Any

from safehaven.accounts.permissions import Perm
from safehaven.fhir.registry import ResourceSpec
from safehaven.referrals.models import NEED_SDOH, STATUS_CODES, Referral
from safehaven.referrals.needs import need_label

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
SDOHCC_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
PROFILE_SERVICE_REQUEST = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
PROFILE_TASK = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
TASK_CODES = "http://hl7.org/fhir/CodeSystem/task-code"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

# ServiceRequest.status for each Task status.
REQUEST_STATUS = {
    "draft": "draft",
    "requested": "active",
    "accepted": "active",
    "in-progress": "active",
    "on-hold": "on-hold",
    "completed": "completed",
    "rejected": "revoked",
    "failed": "revoked",
    "cancelled": "revoked",
    "entered-in-error": "entered-in-error",
}


def _meta(profile: str, referral: Referral) -> dict:
    return {
        "profile": [profile],
        "lastUpdated": referral.updated_at.isoformat(),
        "security": [{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}],
    }


def _category(referral: Referral) -> dict:
    code = NEED_SDOH.get(referral.need_domain, "sdoh-category-unspecified")
    return {"coding": [{"system": SDOHCC_CODES, "code": code}], "text": str(need_label(referral.need_domain))}


def _organization(referral: Referral) -> dict:
    ref: dict[str, Any] = {"display": referral.organization_name}
    if referral.organization_id:
        ref["reference"] = f"Organization/{referral.organization.public_id}"
    return ref


def service_request_to_fhir(referral: Referral) -> dict:
    """Return the referral as an R4 ServiceRequest (SDOHCC-ServiceRequest shape)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.public_id),
        "meta": _meta(PROFILE_SERVICE_REQUEST, referral),
        "status": REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [_category(referral)],
        "priority": referral.priority,
        "code": {"text": referral.service_name},
        "subject": {"reference": f"Patient/{referral.person.public_id}"},
        "authoredOn": (referral.requested_at or referral.created_at).isoformat(),
        "requester": {"reference": f"Practitioner/{referral.created_by.public_id}"},
        "performer": [_organization(referral)],
    }
    if referral.goal_ref:
        resource["supportingInfo"] = [{"reference": f"Goal/{referral.goal_ref}"}]
    return resource


def task_to_fhir(referral: Referral) -> dict:
    """Return the referral's progress as an R4 Task (SDOHCC-TaskForReferralManagement shape)."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.public_id),
        "meta": _meta(PROFILE_TASK, referral),
        "status": referral.status,
        "intent": "order",
        "priority": referral.priority,
        "code": {"coding": [{"system": TASK_CODES, "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{referral.public_id}"},
        "for": {"reference": f"Patient/{referral.person.public_id}"},
        "authoredOn": referral.created_at.isoformat(),
        "lastModified": referral.status_changed_at.isoformat(),
        "requester": {"reference": f"Practitioner/{referral.created_by.public_id}"},
        "owner": _organization(referral),
    }
    if referral.status_reason and referral.status in {"rejected", "failed", "cancelled", "entered-in-error"}:
        resource["statusReason"] = {"text": referral.status_reason}
    if referral.status == "completed" and referral.outcome:
        resource["output"] = [{
            "type": {"coding": [{"system": SDOHCC_CODES, "code": "resulting-activity"}],
                     "text": "What was provided"},
            "valueString": referral.outcome,
        }]
    return resource


def bundle_for(referral: Referral) -> dict:
    """Return a collection Bundle holding the referral's ServiceRequest and Task."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": service_request_to_fhir(referral)},
            {"resource": task_to_fhir(referral)},
        ],
    }


class TaskUpdateError(ValueError):
    """A Task update that is not valid FHIR or does not say what changed."""


@dataclass(frozen=True)
class TaskUpdate:
    """What a partner's Task says: which referral, its new status, and why or what was done."""

    referral_id: str
    status: str
    reason: str
    outcome: str
    owner_id: str


def _ref_id(reference: str | None, kind: str) -> str:
    if reference and reference.startswith(f"{kind}/"):
        return reference.split("/", 1)[1]
    return ""


def parse_task_update(data: Any) -> TaskUpdate:
    """Validate an R4 Task (dict) and return the update it carries."""
    from fhir.resources.R4B.task import Task
    from pydantic import ValidationError

    if not isinstance(data, dict) or data.get("resourceType") != "Task":
        raise TaskUpdateError("not a FHIR Task")
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise TaskUpdateError(f"not a valid R4 Task ({where}: {first.get('msg', 'invalid')})") from None
    if task.status not in STATUS_CODES:
        raise TaskUpdateError(f"unknown status {task.status}")
    referral_id = _ref_id(task.focus.reference if task.focus else None, "ServiceRequest") or (task.id or "")
    if not referral_id:
        raise TaskUpdateError("the Task names no referral (id or focus ServiceRequest)")
    reason = (task.statusReason.text or "") if task.statusReason else ""
    outcome = ""
    for output in task.output or []:
        value = getattr(output, "valueString", None)
        if value:
            outcome = value
            break
    owner = _ref_id(task.owner.reference if task.owner else None, "Organization")
    return TaskUpdate(referral_id, task.status, reason, outcome, owner)


def _optimise(qs):
    return qs.select_related("person", "organization", "created_by")


RESOURCES = [
    ResourceSpec(
        type="ServiceRequest", model=Referral, to_fhir=service_request_to_fhir,
        categories=("clinical_summary",), date_field="created_at", optimise=_optimise,
        extra={"perm": Perm.CASE_MANAGE},  # as the referral pages: case management, not clinical.view
    ),
    ResourceSpec(
        type="Task", model=Referral, to_fhir=task_to_fhir, categories=("clinical_summary",),
        date_field="status_changed_at", status_field="status", optimise=_optimise,
        extra={"perm": Perm.CASE_MANAGE},
    ),
]
