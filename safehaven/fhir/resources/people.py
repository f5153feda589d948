"""Patient and Encounter, read from people.Person and people.Encounter."""

from safehaven.fhir.common import instant, security_labels
from safehaven.fhir.registry import ResourceSpec
from safehaven.people.models import Encounter, Person

LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# Our care settings -> v3 ActEncounterCode.
SETTING_CLASS = {
    "community_clinic": ("AMB", "ambulatory"),
    "emergency": ("EMER", "emergency"),
    "outreach": ("FLD", "field"),
    "residential": ("NONAC", "inpatient non-acute"),
    "telehealth": ("VR", "virtual"),
}
SETTING_LABEL = dict((code, str(label)) for code, label in Encounter.SETTINGS)
PATIENT_LABELS = security_labels(["identity_contact"])
ENCOUNTER_LABELS = security_labels(["clinical_summary"])


def patient_resource(public_id, updated_at, active, chosen_name, date_of_birth, language) -> dict:
    """Return an R4 Patient: the name they use, birth date, preferred language."""
    resource = {
        "resourceType": "Patient",
        "id": str(public_id),
        "meta": {"lastUpdated": instant(updated_at), "security": PATIENT_LABELS},
        "active": active,
        "name": [{"use": "usual", "text": chosen_name}],
    }
    if date_of_birth:
        resource["birthDate"] = date_of_birth.isoformat()
    if language in ("en", "es", "fr"):
        resource["communication"] = [{
            "language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": language}]},
            "preferred": True,
        }]
    return resource


def patient_to_fhir(person: Person) -> dict:
    return patient_resource(person.public_id, person.updated_at, person.active, person.chosen_name,
                            person.date_of_birth, person.preferred_language)


def encounter_resource(public_id, status, setting, chief_complaint, started_at, ended_at, created_at,
                       patient_id) -> dict:
    """Return an R4 Encounter with its class, period, setting and reason in the person's words."""
    code, display = SETTING_CLASS.get(setting, ("AMB", "ambulatory"))
    period = {"start": instant(started_at)}
    if ended_at:
        period["end"] = instant(ended_at)
    updated = ended_at if ended_at and ended_at > created_at else created_at
    resource = {
        "resourceType": "Encounter",
        "id": str(public_id),
        "meta": {"lastUpdated": instant(updated), "security": ENCOUNTER_LABELS},
        "status": status,
        "class": {"system": ENCOUNTER_CLASS, "code": code, "display": display},
        "type": [{"text": SETTING_LABEL.get(setting, setting)}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": period,
    }
    if chief_complaint:
        resource["reasonCode"] = [{"text": chief_complaint}]
    return resource


def encounter_to_fhir(encounter: Encounter) -> dict:
    return encounter_resource(
        encounter.public_id, encounter.status, encounter.setting, encounter.chief_complaint,
        encounter.started_at, encounter.ended_at, encounter.created_at, encounter.person.public_id,
    )


# Bulk export fast paths: (person pk, resource) straight from value rows, no model instances.
def _patient_rows(qs):
    rows = qs.values_list("pk", "public_id", "updated_at", "active", "chosen_name", "date_of_birth",
                          "preferred_language")
    for pk, *values in rows.iterator(chunk_size=5000):
        yield pk, patient_resource(*values)


def _encounter_rows(qs):
    rows = qs.values_list("person_id", "public_id", "status", "setting", "chief_complaint", "started_at",
                          "ended_at", "created_at", "person__public_id")
    for pk, *values in rows.iterator(chunk_size=5000):
        yield pk, encounter_resource(*values)


def _optimise_patients(qs):
    # The site comes with the person: the audit of a read names it (fhir/access.py record_access).
    return qs.select_related("site").defer("legal_name", "safety_note", "legal_key", "chosen_key", "chosen_name_folded")


def _optimise_encounters(qs):
    return qs.select_related("person").only(
        "public_id", "status", "setting", "chief_complaint", "started_at", "ended_at", "created_at",
        "person_id", "person__public_id",
    )


RESOURCES = [
    ResourceSpec(
        type="Patient", model=Person, to_fhir=patient_to_fhir, person_path="pk",
        categories=("identity_contact",), updated_field="updated_at", date_field=None,
        status_field=None, code_field=None, optimise=_optimise_patients,
        extra={"export_rows": _patient_rows},
    ),
    ResourceSpec(
        type="Encounter", model=Encounter, to_fhir=encounter_to_fhir, person_path="person",
        categories=("clinical_summary",), updated_field="created_at", date_field="started_at",
        status_field="status", code_field=None, optimise=_optimise_encounters,
        extra={"export_rows": _encounter_rows},
    ),
]
