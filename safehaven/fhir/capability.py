"""The CapabilityStatement, built from the registered resource types."""

from django.utils import timezone

from safehaven.fhir.registry import specs_by_type
from safehaven.fhir.search import supported

PARAM_TYPES = {
    "_id": "token", "_lastUpdated": "date", "_count": "number", "patient": "reference",
    "date": "date", "status": "token", "code": "token",
}


def capability_statement(base_url: str) -> dict:
    """Return an R4 CapabilityStatement for this server."""
    resources = []
    for name, specs in sorted(specs_by_type().items()):
        params = sorted(set().union(*(supported(spec) for spec in specs)) - {"_format", "_page"})
        resources.append({
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": p, "type": PARAM_TYPES[p]} for p in params],
        })
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "Safe Haven",
        "kind": "instance",
        "software": {"name": "Safe Haven"},
        "implementation": {"description": "Safe Haven FHIR R4 API", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Read-only. Staff sessions see their care teams; machine clients use a bearer token and "
                "receive only what each person's consent permits for the client's organisation and purpose."
            ),
            "security": {
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth", "display": "OAuth"}]}],
                "description": "Bearer tokens issued by the clinic, scoped system/*.read and system/*.export.",
            },
            "resource": resources,
            "operation": [
                {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                {"name": "patient-export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
                {"name": "group-export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"},
            ],
        }],
    }
