"""Screening resources leave as valid FHIR R4 with sensitivity labels."""

import json

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from safehaven.fhir.resources import screening as fhir_screening
from safehaven.people.models import Person
from safehaven.screening import actions, engine
from safehaven.screening.models import HealthConcern, Instrument, ScreeningResponse

pytestmark = pytest.mark.django_db


def test_every_shipped_instrument_and_a_response_to_it_are_valid_r4(cast, instruments, private_session):
    for instrument in instruments.values():
        Questionnaire.model_validate(fhir_screening.questionnaire_to_fhir(instrument))
        raw = {item["linkId"]: ("true" if item["type"] == "boolean" else "1")
               for item in engine.answerable_items(instrument.resource)}
        response = actions.record_response(by=cast.alice, session=private_session,
                                           instrument=instrument, raw=raw)
        resource = fhir_screening.response_to_fhir(response)
        QuestionnaireResponse.model_validate(resource)
        codes = {s["code"] for s in resource["meta"]["security"]}
        assert "R" in codes and len(codes) == 2


def test_a_health_concern_leaves_only_when_the_person_allowed_exports(cast):
    actions.record_health_concern(by=cast.alice, person=cast.patient, code="T76.51XA",
                                  decided_with_person=True, in_record=True)
    allowed = actions.record_health_concern(by=cast.alice, person=cast.patient, code="Z91.42",
                                            decided_with_person=True, in_record=True, on_exports=True)
    spec = fhir_screening.TRAFFICKING_CONCERN_SPEC
    exported = list(spec.optimise(HealthConcern.objects.all()))
    assert exported == [allowed]
    resource = spec.to_fhir(allowed)
    Condition.model_validate(resource)
    assert {"code": "SDV"}.items() <= next(s for s in resource["meta"]["security"] if s["code"] == "SDV").items()
    assert resource["code"]["coding"][0]["code"] == "Z91.42"


# --- which data category (and so which sensitivity label) a response carries --------------------

EXPECTED_CATEGORIES = {
    "PHQ9": "mental_health", "PHQ2": "mental_health", "GAD7": "mental_health", "PCPTSD5": "mental_health",
    "AUDITC": "substance_use", "DAST10": "substance_use",
    "RAFTKind": "trafficking_related", "QYIT": "trafficking_related", "ChildScreen6": "trafficking_related",
}


def labels(instrument):
    return {s["code"] for s in fhir_screening.response_to_fhir(
        ScreeningResponse(instrument=instrument, person=Person(), answers=""))["meta"]["security"]}


def test_each_shipped_instrument_says_its_own_data_category(instruments):
    assert {name: fhir_screening.instrument_categories(i) for name, i in instruments.items()} == {
        name: [category] for name, category in EXPECTED_CATEGORIES.items()}
    for instrument in instruments.values():
        assert engine.ext_value(instrument.resource, engine.CATEGORY_URL) == EXPECTED_CATEGORIES[instrument.name]


def test_an_imported_lhc_forms_phq9_is_mental_health_not_trafficking_related(db):
    from .lhc_forms import FIXTURE

    instrument = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE.read_text())])[0]
    assert instrument.url == "http://loinc.org/q/44249-1" and instrument.name != "PHQ9"
    assert fhir_screening.instrument_categories(instrument) == ["mental_health"]
    assert labels(instrument) == {"R", "PSY"}


def test_the_name_does_not_decide_the_category(db):
    shipped = dict(actions.shipped_instrument_files())
    data = json.loads(shipped["dast-10.json"])
    data.update(url="https://example.org/q/renamed", name="PHQ9", title="Renamed")
    instrument = actions.import_instruments(by="test", files=[("renamed.json", json.dumps(data))])[0]
    assert fhir_screening.instrument_categories(instrument) == ["substance_use"]


def test_an_unknown_instrument_gets_the_most_protected_label_even_if_not_marked_sensitive(db):
    data = {
        "resourceType": "Questionnaire", "url": "https://example.org/q/wellbeing", "name": "GAD7",
        "status": "active",
        "extension": [{"url": engine.SENSITIVE_URL, "valueBoolean": False}],
        "item": [{"linkId": "q1", "type": "boolean", "text": "Do you sleep well?"}],
    }
    instrument = actions.import_instruments(by="test", files=[("w.json", json.dumps(data))])[0]
    assert fhir_screening.instrument_categories(instrument) == ["trafficking_related"]
    assert labels(instrument) == {"R", "SDV"}
    assert fhir_screening.instrument_categories(Instrument(resource={})) == ["trafficking_related"]


def test_a_declared_category_decides_and_an_unknown_one_is_refused(db):
    data = {
        "resourceType": "Questionnaire", "url": "https://example.org/q/drinks", "status": "active",
        "extension": [{"url": engine.CATEGORY_URL, "valueCode": "substance_use"}],
        "item": [{"linkId": "q1", "type": "boolean", "text": "Do you drink?"}],
    }
    instrument = actions.import_instruments(by="test", files=[("d.json", json.dumps(data))])[0]
    assert labels(instrument) == {"R", "ETH"}
    data["extension"][0]["valueCode"] = "gossip"
    with pytest.raises(engine.InstrumentError, match="'gossip' is not a data category"):
        engine.check_questionnaire(json.dumps(data))


def test_a_declined_total_leaves_as_an_observation_with_a_data_absent_reason(cast, instruments, private_session):
    response = actions.record_response(by=cast.alice, session=private_session, instrument=instruments["GAD7"],
                                       raw={}, declined_items={"/69725-0"})
    result = response.results.get()
    observation = fhir_screening.observation_to_fhir(result)
    Observation.model_validate(observation)
    assert "valueQuantity" not in observation
    assert observation["dataAbsentReason"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "asked-declined",
        "display": "Asked But Declined"}
    assert {s["code"] for s in observation["meta"]["security"]} == {"R", "PSY"}


def test_a_retired_instrument_leaves_as_a_retired_questionnaire(instruments):
    phq9 = next(i for name, i in instruments.items() if i.code == "44249-1")
    assert fhir_screening.questionnaire_to_fhir(phq9)["status"] == phq9.resource["status"]
    Instrument.objects.filter(pk=phq9.pk).update(active=False)
    phq9.refresh_from_db()
    resource = fhir_screening.questionnaire_to_fhir(phq9)
    assert resource["status"] == "retired"
    Questionnaire.model_validate(resource)
    assert phq9.resource["status"] != "retired"  # the stored file is left as imported
