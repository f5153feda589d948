"""FHIR R4 Consent: export and import of information-sharing consents.

One ConsentGrant is one Consent. The base provision denies (deny by default); a nested
provision of type permit or deny carries the recipient (actor, role IRCP), the action
(disclose), the purposes (our code and the v3-ActReason code), the data classes, the
security labels of sensitive classes, and the period. Checked with `fhir.resources.R4B`.
"""

import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from safehaven.accounts.permissions import Perm
from safehaven.consent.models import (
    DATA_CATEGORY_CODES,
    PURPOSE_CODES,
    RECIPIENT_CATEGORIES,
    ConsentGrant,
)
from safehaven.fhir.registry import ResourceSpec

BASE = "https://safehaven.example.org/fhir"
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/data-category"
PURPOSE_SYSTEM = f"{BASE}/CodeSystem/purpose"
RECIPIENT_SYSTEM = f"{BASE}/sid/recipient-"  # + organization | service | category
RECIPIENT_CATEGORY_EXT = f"{BASE}/StructureDefinition/recipient-category"
METHOD_EXT = f"{BASE}/StructureDefinition/consent-method"
SIGNATURE_EXT = f"{BASE}/StructureDefinition/signature-name"
REVOKED_EXT = f"{BASE}/StructureDefinition/revoked-at"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
# Security labels (v3-ActCode) of sensitive data classes.
SECURITY_LABELS = {
    "substance_use": "ETH",
    "mental_health": "PSY",
    "sexual_reproductive": "SEX",
    "trafficking_related": "SDV",
}
# Reading a purpose coded only in v3-ActReason: the first of ours that maps to it.
PURPOSE_FROM_V3 = {}
for _ours, _v3 in PURPOSE_CODES.items():
    PURPOSE_FROM_V3.setdefault(_v3, _ours)
RECIPIENT_CATEGORY_CODES = {code for code, _label in RECIPIENT_CATEGORIES}


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _status(grant: ConsentGrant) -> str:
    return "active" if grant.is_in_force() else "inactive"


def to_fhir(grant: ConsentGrant) -> dict:
    """Return the consent as an R4 Consent resource (JSON)."""
    period = {"start": _iso(grant.starts_at), "end": _iso(grant.expires_at)}
    ident_value = grant.recipient_ref if grant.recipient_kind != "category" else grant.recipient_category
    purposes = [{"system": PURPOSE_SYSTEM, "code": p} for p in grant.purposes]
    v3 = sorted({PURPOSE_CODES[p] for p in grant.purposes if p in PURPOSE_CODES})
    purposes += [{"system": V3_ACT_REASON, "code": code} for code in v3]
    labels = sorted({SECURITY_LABELS[c] for c in grant.categories if c in SECURITY_LABELS})
    nested: dict[str, Any] = {
        "type": grant.provision,
        "period": period,
        "actor": [{
            "role": {"coding": [{"system": V3_PARTICIPATION, "code": "IRCP"}]},
            "reference": {
                "identifier": {"system": RECIPIENT_SYSTEM + grant.recipient_kind, "value": ident_value},
                "display": grant.recipient_label,
                "extension": [{"url": RECIPIENT_CATEGORY_EXT, "valueCode": grant.recipient_category}],
            },
        }],
        "action": [{"coding": [{"system": CONSENT_ACTION, "code": "disclose"}]}],
        "purpose": purposes,
        "class": [{"system": CATEGORY_SYSTEM, "code": c} for c in grant.categories],
    }
    if labels:
        nested["securityLabel"] = [{"system": V3_ACT_CODE, "code": code} for code in labels]
    extension = [{"url": METHOD_EXT, "valueCode": grant.method}]
    if grant.signature_name:
        extension.append({"url": SIGNATURE_EXT, "valueString": grant.signature_name})
    if grant.revoked_at:
        extension.append({"url": REVOKED_EXT, "valueDateTime": _iso(grant.revoked_at)})
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(grant.public_id),
        "meta": {"security": [{"system": V3_CONFIDENTIALITY, "code": "R"}]},
        "language": grant.language,
        "extension": extension,
        "status": _status(grant),
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{grant.person.public_id}"},
        "dateTime": _iso(grant.created_at),
        "policyRule": {"coding": [{"system": V3_ACT_CODE, "code": "OPTIN"}]},
        "provision": {"type": "deny", "period": period, "provision": [nested]},
    }
    if grant.witness_name:
        resource["verification"] = [{
            "verified": True,
            "verifiedWith": {"display": grant.witness_name},
            "verificationDate": _iso(grant.created_at),
        }]
    return resource


def bundle(grants: list[ConsentGrant]) -> dict:
    """Return a collection Bundle of the consents."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _iso(timezone.now()),
        "entry": [
            {"fullUrl": f"urn:uuid:{g.public_id}", "resource": to_fhir(g)} for g in grants
        ],
    }


def validate(resource: dict) -> None:
    """Raise ValueError unless the resource is a valid R4 Consent or Bundle."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.consent import Consent

    if not isinstance(resource, dict):
        raise ValueError("expected a JSON object")
    kind = resource.get("resourceType")
    model = {"Consent": Consent, "Bundle": Bundle}.get(kind)
    if model is None:
        raise ValueError("expected a Consent or a Bundle of Consents")
    try:
        model.model_validate(resource)
    except Exception as exc:  # pydantic's ValidationError; keep the message short
        raise ValueError(f"not a valid FHIR R4 {kind}: {str(exc).splitlines()[0]}") from None


def _dt(value: Any, what: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"{what} is not a date and time")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _ext(resource: dict, url: str) -> Any:
    for ext in resource.get("extension") or []:
        if ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
    return None


def _leaves(provision: dict, period: dict) -> list[tuple[dict, dict]]:
    """Return the nested provisions that name an actor, with the period that applies."""
    here = provision.get("period") or period
    out = []
    if provision.get("actor") and provision.get("type") in {"permit", "deny"}:
        out.append((provision, here))
    for child in provision.get("provision") or []:
        out.extend(_leaves(child, here))
    return out


def _purposes(codings: list[dict]) -> list[str]:
    ours = [c["code"] for c in codings if c.get("system") == PURPOSE_SYSTEM]
    if ours:
        return sorted(set(ours))
    return sorted({PURPOSE_FROM_V3[c["code"]] for c in codings
                   if c.get("system") == V3_ACT_REASON and c.get("code") in PURPOSE_FROM_V3})


def _recipient(actor: dict) -> dict:
    ref = actor.get("reference") or {}
    ident = ref.get("identifier") or {}
    system = ident.get("system", "")
    kind = system[len(RECIPIENT_SYSTEM):] if system.startswith(RECIPIENT_SYSTEM) else "organization"
    if kind not in {"organization", "service", "category"}:
        raise ValueError("unknown kind of recipient")
    category = _ext(ref, RECIPIENT_CATEGORY_EXT) or (ident.get("value") if kind == "category" else "other")
    if category not in RECIPIENT_CATEGORY_CODES:
        raise ValueError(f"unknown recipient category: {category}")
    return {
        "recipient_kind": kind,
        "recipient_ref": "" if kind == "category" else str(ident.get("value") or ""),
        "recipient_category": category,
        "recipient_label": str(ref.get("display") or ident.get("value") or ""),
    }


def from_fhir(resource: dict) -> list[dict]:
    """Return, for each permit/deny provision naming a recipient, the fields of a ConsentGrant.

    Accepts a Consent or a Bundle of Consents; raises ValueError for anything else.
    The `patient` field of each item is the referenced patient's id (for the caller to check).
    """
    validate(resource)
    if resource["resourceType"] == "Bundle":
        consents = [e.get("resource") for e in resource.get("entry") or []]
        if not consents or any((c or {}).get("resourceType") != "Consent" for c in consents):
            raise ValueError("the Bundle must hold only Consent resources")
    else:
        consents = [resource]
    items = []
    for consent in consents:
        if consent.get("status") not in {"active", "inactive"}:
            raise ValueError("only active or ended consents can be imported")
        patient = (consent.get("patient") or {}).get("reference", "")
        witness = ""
        for verification in consent.get("verification") or []:
            witness = (verification.get("verifiedWith") or {}).get("display", "") or witness
        method = _ext(consent, METHOD_EXT) or ("witnessed_verbal" if witness else "written")
        base = consent.get("provision") or {}
        leaves = _leaves(base, base.get("period") or {})
        if not leaves:
            raise ValueError("the Consent names no recipient")
        for provision, period in leaves:
            for actor in provision["actor"]:
                categories = sorted({c.get("code") for c in provision.get("class") or []
                                     if c.get("system") == CATEGORY_SYSTEM})
                unknown = [c for c in categories if c not in DATA_CATEGORY_CODES]
                if unknown or not categories:
                    raise ValueError("each provision needs known data classes")
                items.append({
                    "patient": patient.removeprefix("Patient/"),
                    "provision": provision["type"],
                    **_recipient(actor),
                    "purposes": _purposes(provision.get("purpose") or []),
                    "categories": categories,
                    "method": method,
                    "witness_name": witness,
                    "signature_name": _ext(consent, SIGNATURE_EXT) or "",
                    "language": consent.get("language") or "en",
                    "starts_at": _dt(period.get("start"), "period.start"),
                    "expires_at": _dt(period.get("end"), "period.end"),
                    "revoked_at": _dt(_ext(consent, REVOKED_EXT), "revoked-at"),
                })
    return items


RESOURCES = [
    ResourceSpec(
        type="Consent",
        model=ConsentGrant,
        to_fhir=to_fhir,
        person_path="person",
        categories=("identity_contact",),
        updated_field="created_at",
        date_field="created_at",
        optimise=lambda qs: qs.select_related("person"),
        extra={"perm": Perm.MANAGE_CONSENT},  # as the consent pages
    ),
]
