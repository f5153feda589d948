"""Several models per FHIR type: Condition from care plans and from screening, read,
searched, paged and exported as one type, each with its own filter and consent."""

import json

import pytest
from django.test import Client
from fhir.resources.R4B.condition import Condition as FhirCondition

from safehaven.careplans.models import HealthConcern as NeedConcern
from safehaven.fhir.capability import capability_statement
from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL
from safehaven.fhir.registry import all_specs, every_spec, specs_by_type
from safehaven.fhir.resources.screening import TRAFFICKING_CONCERN_SPEC
from safehaven.screening import actions as screening_actions
from safehaven.screening.models import HealthConcern as ScreeningConcern
from safehaven.testing.factories import make_person
from tests.careplans.helpers import assess
from tests.fhir.helpers import bearer, grant, make_client

pytestmark = pytest.mark.django_db


def concerns(cast, person=None):
    """Two needs in crisis (care plans), one exportable and one private screening concern."""
    person = person or cast.patient
    assess(cast, person=person, housing="crisis", legal="urgent")
    shared = screening_actions.record_health_concern(by=cast.alice, person=person, code="Z91.42",
                                                     decided_with_person=True, in_record=True, on_exports=True)
    private = screening_actions.record_health_concern(by=cast.alice, person=person, code="T76.51XA",
                                                      decided_with_person=True, in_record=True)
    needs = list(NeedConcern.objects.filter(assessment__person=person).order_by("pk"))
    return needs, shared, private


def ids(bundle):
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def test_condition_is_served_by_both_models_in_a_stable_order():
    specs = specs_by_type()["Condition"]
    assert [s.model for s in specs] == [NeedConcern, ScreeningConcern]
    assert specs[1] is TRAFFICKING_CONCERN_SPEC
    assert all_specs()["Condition"].model is NeedConcern  # first spec for callers wanting one
    assert sum(1 for s in every_spec() if s.type == "Condition") == 2


def test_the_capability_statement_lists_condition_once():
    types = [r["type"] for r in capability_statement("http://x")["rest"][0]["resource"]]
    assert types.count("Condition") == 1 and "Task" in types


def test_a_condition_is_read_from_whichever_model_holds_it(cast, client_for):
    needs, shared, private = concerns(cast)
    api = client_for(cast.alice)
    for public_id in (needs[0].public_id, shared.public_id):
        response = api.get(f"/fhir/r4/Condition/{public_id}")
        assert response.status_code == 200, response.content
        FhirCondition.model_validate(json.loads(response.content))
    # The person did not allow this concern to leave: screening's own filter keeps it out.
    assert api.get(f"/fhir/r4/Condition/{private.public_id}").status_code == 404
    assert client_for(cast.carol).get(f"/fhir/r4/Condition/{shared.public_id}").status_code == 404


def test_search_is_the_union_of_both_models_and_pages_neither_overlap_nor_skip(cast, client_for):
    needs, shared, _private = concerns(cast)
    other = make_person(cast.alice, cast.site_a, "Lena")
    more_needs, more_shared, _ = concerns(cast, other)
    api = client_for(cast.alice)
    everything = json.loads(api.get("/fhir/r4/Condition?_count=50").content)
    expected = [str(c.public_id) for c in sorted(needs + more_needs, key=lambda c: c.pk)]
    expected += [str(c.public_id) for c in sorted([shared, more_shared], key=lambda c: c.pk)]
    assert ids(everything) == expected and everything["total"] == 6
    paged = []
    for page in range(1, 5):
        bundle = json.loads(api.get(f"/fhir/r4/Condition?_count=2&_page={page}").content)
        assert bundle["total"] == 6
        paged += ids(bundle)
        relations = {link["relation"] for link in bundle["link"]}
        assert ("next" in relations) == (page < 3)
    assert paged == expected
    mine = json.loads(api.get(f"/fhir/r4/Condition?patient={cast.patient.public_id}").content)
    assert set(ids(mine)) == {str(c.public_id) for c in needs} | {str(shared.public_id)}
    coded = json.loads(api.get("/fhir/r4/Condition?code=Z91.42").content)
    assert set(ids(coded)) == {str(shared.public_id), str(more_shared.public_id)}
    for entry in everything["entry"]:
        FhirCondition.model_validate(entry["resource"])


def test_a_parameter_no_model_understands_is_a_clear_400(cast, client_for):
    response = client_for(cast.alice).get("/fhir/r4/Condition?status=active")
    assert response.status_code == 400
    assert "Unsupported search parameter" in json.loads(response.content)["issue"][0]["diagnostics"]


def export_conditions(raw):
    kick = Client().get("/fhir/r4/$export?_type=Condition", HTTP_PREFER="respond-async", **bearer(raw))
    assert kick.status_code == 202, kick.content
    status = Client().get(kick["Content-Location"].replace("http://testserver", ""), **bearer(raw))
    manifest = json.loads(status.content)
    out = []
    for item in manifest["output"]:
        assert item["type"] == "Condition"
        body = Client().get(item["url"].replace("http://testserver", ""), **bearer(raw))
        out += [json.loads(line) for line in b"".join(body.streaming_content).decode().splitlines()]
    return out


def test_bulk_export_writes_both_models_into_one_condition_file_as_consent_allows(cast):
    needs, shared, private = concerns(cast)
    other = make_person(cast.alice, cast.site_a, "Lena")
    other_needs, other_shared, _ = concerns(cast, other)
    grant(cast, cast.patient, categories=("identity_contact", "clinical_summary", "location", "trafficking_related"))
    grant(cast, other, categories=("identity_contact", "clinical_summary", "location"))  # screening's stays home
    _client, raw = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    exported = export_conditions(raw)
    got = {r["id"] for r in exported}
    assert {str(c.public_id) for c in needs + other_needs} <= got
    assert str(shared.public_id) in got
    assert str(private.public_id) not in got and str(other_shared.public_id) not in got
    for resource in exported:
        FhirCondition.model_validate(resource)
