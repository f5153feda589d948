"""Screening resources leave as valid FHIR R4 with sensitivity labels."""

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from safehaven.fhir.resources import screening as fhir_screening
from safehaven.screening import actions, engine
from safehaven.screening.models import HealthConcern

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
