"""Small helpers every FHIR converter and view shares: labels, references, outcomes."""

import datetime
import json

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# Data categories (consent.models.DATA_CATEGORIES) -> HL7 v3 sensitivity codes.
SENSITIVITY = {
    "mental_health": ("PSY", "psychiatry information sensitivity"),
    "substance_use": ("ETH", "substance abuse information sensitivity"),
    "sexual_reproductive": ("SEX", "sexuality and reproductive health information sensitivity"),
    "trafficking_related": ("SDV", "sexual assault, abuse, or domestic violence information sensitivity"),
}
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}


def security_labels(categories) -> list[dict]:
    """Return meta.security codings for data of these categories.

    Every record of a Safe Haven clinic is restricted: being a patient here is itself
    sensitive. Sensitive categories add their HL7 sensitivity code.
    """
    labels = [dict(RESTRICTED)]
    for category in sorted(set(categories)):
        if category in SENSITIVITY:
            code, display = SENSITIVITY[category]
            labels.append({"system": ACT_CODE, "code": code, "display": display})
    return labels


def instant(value: datetime.datetime | None) -> str | None:
    """Return a FHIR instant (seconds precision, with offset) or None."""
    if value is None:
        return None
    return value.isoformat(timespec="seconds")


def reference(resource_type: str, public_id) -> dict:
    return {"reference": f"{resource_type}/{public_id}"}


def dumps(resource: dict) -> str:
    """Return compact JSON for a resource (one NDJSON line, no new lines inside)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(dumps(resource), status=status, content_type=FHIR_JSON)
    for key, value in (headers or {}).items():
        response[key] = value
    response["Cache-Control"] = "no-store"
    return response


ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 410: "not-found", 429: "throttled", 500: "exception"}


def operation_outcome(status: int, message: str, *, code: str | None = None) -> HttpResponse:
    """Return an OperationOutcome response (never HTML, never a traceback)."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error" if status >= 400 else "information",
            "code": code or ISSUE_CODES.get(status, "processing"),
            "diagnostics": message,
        }],
    }
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if status == 401 else None
    return fhir_response(outcome, status=status, headers=headers)
