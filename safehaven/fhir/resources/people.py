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


def patient_to_fhir(person: Person) -> dict:
    """Return an R4 Patient: the name they use, birth date, preferred language."""
    resource = {
        "resourceType": "Patient",
        "id": str(person.public_id),
        "meta": {"lastUpdated": instant(person.updated_at), "security": PATIENT_LABELS},
        "active": person.active,
        "name": [{"use": "usual", "text": person.chosen_name}],
    }
    if person.date_of_birth:
        resource["birthDate"] = person.date_of_birth.isoformat()
    if person.preferred_language in ("en", "es", "fr"):
        resource["communication"] = [{
            "language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": person.preferred_language}]},
            "preferred": True,
        }]
    return resource


def encounter_to_fhir(encounter: Encounter) -> dict:
    """Return an R4 Encounter with its class, period, setting and reason in the person's words."""
    code, display = SETTING_CLASS.get(encounter.setting, ("AMB", "ambulatory"))
    period = {"start": instant(encounter.started_at)}
    if encounter.ended_at:
        period["end"] = instant(encounter.ended_at)
    updated = encounter.ended_at if encounter.ended_at and encounter.ended_at > encounter.created_at else encounter.created_at
    resource = {
        "resourceType": "Encounter",
        "id": str(encounter.public_id),
        "meta": {"lastUpdated": instant(updated), "security": ENCOUNTER_LABELS},
        "status": encounter.status,
        "class": {"system": ENCOUNTER_CLASS, "code": code, "display": display},
        "type": [{"text": SETTING_LABEL.get(encounter.setting, encounter.setting)}],
        "subject": {"reference": f"Patient/{encounter.person.public_id}"},
        "period": period,
    }
    if encounter.chief_complaint:
        resource["reasonCode"] = [{"text": encounter.chief_complaint}]
    return resource


def _optimise_patients(qs):
    return qs.defer("legal_name", "safety_note", "legal_key", "chosen_key", "chosen_name_folded")


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
    ),
    ResourceSpec(
        type="Encounter", model=Encounter, to_fhir=encounter_to_fhir, person_path="person",
        categories=("clinical_summary",), updated_field="created_at", date_field="started_at",
        status_field="status", code_field=None, optimise=_optimise_encounters,
    ),
]
