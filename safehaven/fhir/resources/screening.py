"""Questionnaire, QuestionnaireResponse, Observation (scores) and Condition (health concerns).

Trafficking-related health concerns leave the clinic only when the person agreed that they
may appear in exports (`HealthConcern.on_exports`); `_exportable_concerns` enforces it.
"""

import datetime
import json

from safehaven.fhir.common import instant, security_labels
from safehaven.fhir.registry import ResourceSpec
from safehaven.screening import engine
from safehaven.screening.models import HealthConcern, Instrument, ScoredResult, ScreeningResponse

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# On an amended Observation: the Observation it corrects (valueReference). The core
# `replaces` extension is only for canonical resources, so Safe Haven defines its own.
REPLACES_URL = engine.SH + "replaces"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# The component of an incomplete but positive Observation that carries the lowest total
# the answers given allow: a local code, never the instrument's total-score code.
MINIMUM_TOTAL = {"system": engine.LOCAL_SYSTEM, "code": "minimum-total",
                 "display": "Lowest possible total from the answers given (not a total score)"}
ABSENT_DISPLAY = {"asked-declined": "Asked But Declined", "unknown": "Unknown"}
ABSENT_TEXT = {
    "asked-declined": "No question was answered: there is no total.",
    "unknown": "Too few questions were answered for a total.",
}


def instrument_categories(instrument: Instrument) -> list[str]:
    """Return the data categories a response to this instrument discloses.

    Decided by the Questionnaire's own data (its data-category extension, else a known
    LOINC panel code), never by its name; an instrument of unknown content is labelled
    as the most protected category (`engine.data_categories`).
    """
    return engine.data_categories(instrument.resource or {})


def _last_change(obj, written_at: datetime.datetime) -> datetime.datetime:
    """Return when a row last changed (`updated_at`); for a row not saved yet, when it was written."""
    changed = getattr(obj, "updated_at", None)
    return changed if isinstance(changed, datetime.datetime) else written_at


def questionnaire_to_fhir(instrument: Instrument) -> dict:
    """Return the Questionnaire as imported, with our id."""
    resource = dict(instrument.resource)
    resource["id"] = str(instrument.public_id)
    if not instrument.active:
        resource["status"] = "retired"  # no longer offered here, whatever the file said
    resource["meta"] = {"lastUpdated": instant(instrument.imported_at)}
    return resource


def response_to_fhir(response: ScreeningResponse) -> dict:
    """Return the QuestionnaireResponse with the calculated answers."""
    body = json.loads(response.answers) if response.answers else {}
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.public_id),
        "meta": {
            "lastUpdated": instant(_last_change(response, response.authored_at)),
            "security": security_labels(instrument_categories(response.instrument)),
        },
        "questionnaire": f"{response.instrument.url}|{response.instrument.version}"
        if response.instrument.version else response.instrument.url,
        "status": response.status,
        "subject": {"reference": f"Patient/{response.person.public_id}"},
        "authored": instant(response.authored_at),
        "item": body.get("item") or [],
    }
    if not resource["item"]:
        del resource["item"]
    return resource


def observation_to_fhir(result: ScoredResult) -> dict:
    """Return a scored Observation (survey category) derived from its QuestionnaireResponse.

    A total the response did not give has no value but a dataAbsentReason: asked-declined
    (no question answered) or unknown (too few answered). When the answers given already
    reach the cut-off, the Observation still has no value (what they add up to is not the
    total score), but it says Positive (interpretation POS) and carries that lowest
    possible total in a component with a local code (`MINIMUM_TOTAL`).

    meta.lastUpdated is when the row last changed (a correction marks the old result
    entered-in-error and adds an amended one: both then leave in an incremental export);
    effectiveDateTime stays the screening date. An amended result names the one it
    replaces, in derivedFrom and in the `replaces` extension.
    """
    resource = {
        "resourceType": "Observation",
        "id": str(result.public_id),
        "meta": {
            "lastUpdated": instant(_last_change(result, result.effective_at)),
            "security": security_labels(instrument_categories(result.response.instrument)),
        },
        "status": result.status,
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey", "display": "Survey",
        }]}],
        "code": {"coding": [{"system": result.system, "code": result.code,
                             "display": result.display or result.code}]},
        "subject": {"reference": f"Patient/{result.person.public_id}"},
        "effectiveDateTime": instant(result.effective_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{result.response.public_id}"}],
    }
    if result.replaces_id is not None:
        replaced = {"reference": f"Observation/{result.replaces.public_id}",
                    "display": "The result this one corrects (entered in error)"}
        resource["extension"] = [{"url": REPLACES_URL, "valueReference": replaced}]
        resource["derivedFrom"].append(dict(replaced))
    value = result.value
    if value is None:
        reason = result.data_absent_reason or "unknown"
        text = ABSENT_TEXT.get(reason, "")
        answered, asked = result.response.answered, result.response.asked
        if reason == "unknown" and answered is not None and asked:
            text = f"Incomplete: {answered} of {asked} questions answered, too few for a total."
        low = result.at_least
        if reason == "unknown" and low is not None:
            low = _number(low)
            count = (f"{answered} of {asked} questions answered" if answered is not None and asked
                     else "some questions answered")
            text = (f"Incomplete: {count}, too few for a total; the answers given already add up to"
                    f" {low}, at or above the cut-off, so the screen is positive.")
            resource["interpretation"] = [{
                "coding": [{"system": INTERPRETATION, "code": "POS", "display": "Positive"}],
                "text": f"At least {low}: {result.interpretation} or higher" if result.interpretation
                else f"At least {low}",
            }]
            resource["component"] = [{"code": {"coding": [dict(MINIMUM_TOTAL)], "text": MINIMUM_TOTAL["display"]},
                                      "valueQuantity": _score_quantity(low)}]
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT, "code": reason, "display": ABSENT_DISPLAY.get(reason, reason)}],
            "text": text,
        }
        return resource
    resource["valueQuantity"] = _score_quantity(_number(value))
    if result.interpretation:
        resource["interpretation"] = [{"text": result.interpretation}]
    return resource


def _number(value) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _score_quantity(number: int | float) -> dict:
    return {"value": number, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}


def condition_to_fhir(concern: HealthConcern) -> dict:
    """Return a health-concern Condition carrying its sensitivity label."""
    return {
        "resourceType": "Condition",
        "id": str(concern.public_id),
        "meta": {"lastUpdated": instant(concern.recorded_at),
                 "security": security_labels([concern.sensitivity])},
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active" if concern.active else "inactive",
        }]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": concern.verification or "unconfirmed",
        }]},
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "problem-list-item",
        }]}],
        "code": {"coding": [{"system": ICD10CM, "code": concern.code, "display": concern.display}]},
        "subject": {"reference": f"Patient/{concern.person.public_id}"},
        "recordedDate": instant(concern.recorded_at),
    }


def _responses(qs):
    return qs.select_related("person", "instrument").exclude(status="entered-in-error")


def _results(qs):
    return qs.select_related("person", "response__instrument", "replaces")


def _exportable_concerns(qs):
    return qs.select_related("person").filter(active=True, in_record=True, on_exports=True).exclude(code="")


RESOURCES = [
    ResourceSpec(
        type="Questionnaire", model=Instrument, to_fhir=questionnaire_to_fhir, person_path="",
        categories=(), updated_field="imported_at", status_field=None, code_field="code",
    ),
    ResourceSpec(
        type="QuestionnaireResponse", model=ScreeningResponse, to_fhir=response_to_fhir,
        categories=("clinical_summary",), updated_field="updated_at", date_field="authored_at",
        status_field="status", optimise=_responses,
        object_categories=lambda r: instrument_categories(r.instrument),
    ),
    ResourceSpec(
        type="Observation", model=ScoredResult, to_fhir=observation_to_fhir,
        categories=("clinical_summary",), updated_field="updated_at", date_field="effective_at",
        status_field="status", code_field="code", optimise=_results,
        object_categories=lambda r: instrument_categories(r.response.instrument),
    ),
]

# Not in RESOURCES: the registry holds one spec per FHIR type and careplans already serves
# "Condition" (SDOH health concerns). Until the registry accepts several models for one
# type, the FHIR capability can add this spec alongside (see the screening report).
TRAFFICKING_CONCERN_SPEC = ResourceSpec(
    type="Condition", model=HealthConcern, to_fhir=condition_to_fhir,
    categories=("clinical_summary", "trafficking_related"), updated_field="recorded_at",
    date_field="recorded_at", code_field="code", optimise=_exportable_concerns,
)
RESOURCES.append(TRAFFICKING_CONCERN_SPEC)  # the registry now serves several models per FHIR type
