"""FHIR R4 read/search: who gets what, paging and filtering, errors as OperationOutcome."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient

from safehaven.audit.models import AuditEvent
from safehaven.consent.models import Disclosure
from safehaven.fhir import actions
from safehaven.fhir.models import AccessToken
from safehaven.people import actions as people_actions
from safehaven.testing.factories import make_person
from tests.fhir.helpers import bearer, grant, make_client

pytestmark = pytest.mark.django_db


def body(response):
    return json.loads(response.content)


def encounter(cast, person=None, by=None, when=None, **kw):
    return people_actions.start_encounter(
        by=by or cast.alice, person=person or cast.patient, setting=kw.pop("setting", "community_clinic"),
        chief_complaint=kw.pop("complaint", "Headaches most days"), started_at=when, **kw,
    )


# --- CapabilityStatement and errors -----------------------------------------------------

def test_metadata_is_a_valid_capability_statement_listing_patient_and_encounter(client):
    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    statement = CapabilityStatement.model_validate(body(response))
    types = {r.type for r in statement.rest[0].resource}
    assert {"Patient", "Encounter"} <= types


def test_it_answers_401_outcome_without_credentials(cast, client):
    response = client.get("/fhir/r4/Patient")
    assert response.status_code == 401
    OperationOutcome.model_validate(body(response))
    assert "text/html" not in response["Content-Type"]


def test_it_refuses_an_unknown_expired_or_revoked_token(cast):
    client, raw = make_client(cast)
    api = Client()
    assert api.get("/fhir/r4/Patient", **bearer("shf_nonsense")).status_code == 401
    assert api.get("/fhir/r4/Patient", HTTP_AUTHORIZATION="Basic abc").status_code == 401
    token = AccessToken.objects.get(client=client)
    actions.revoke_token(by=cast.erin, token=token)
    assert api.get("/fhir/r4/Patient", **bearer(raw)).status_code == 401
    _t, raw2 = actions.issue_token(by=cast.erin, client=client, scopes=["system/*.read"], days=1)
    AccessToken.objects.filter(token_hash=_t.token_hash).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api.get("/fhir/r4/Patient", **bearer(raw2)).status_code == 401


def test_tokens_are_stored_only_as_hashes(cast):
    _client, raw = make_client(cast)
    assert not AccessToken.objects.filter(token_hash__contains=raw[4:20]).exists()
    assert AccessToken.objects.get().token_hash != raw


def test_unknown_types_bad_ids_and_bad_params_get_outcomes_not_tracebacks(cast, client_for):
    api = client_for(cast.alice)
    for url, status in [
        ("/fhir/r4/Spaceship", 404),
        ("/fhir/r4/Patient/not-a-uuid", 404),
        ("/fhir/r4/Encounter?date=yesterday", 400),
        ("/fhir/r4/Encounter?_count=abc", 400),
        ("/fhir/r4/Encounter?_count=100000", 400),
        ("/fhir/r4/Encounter?patient=<script>", 400),
        ("/fhir/r4/Encounter?colour=blue", 400),
        ("/fhir/r4/Patient?date=2024", 400),
        ("/fhir/r4/Encounter?date=2024-13-45", 400),
        ("/fhir/r4/Encounter?_format=xml", 400),
    ]:
        response = api.get(url)
        assert response.status_code == status, url
        outcome = OperationOutcome.model_validate(body(response))
        assert outcome.issue[0].diagnostics
        assert "Traceback" not in response.content.decode()


def test_writes_are_refused_with_405(cast, client_for):
    response = client_for(cast.alice).post("/fhir/r4/Patient", data="{}", content_type="application/fhir+json")
    assert response.status_code == 405
    OperationOutcome.model_validate(body(response))


# --- staff sessions: role and care team -----------------------------------------------

def test_a_care_team_clinician_reads_her_patient_as_valid_r4(cast, client_for):
    response = client_for(cast.alice).get(f"/fhir/r4/Patient/{cast.patient.public_id}")
    assert response.status_code == 200
    patient = FhirPatient.model_validate(body(response))
    assert patient.name[0].text == "Rosa"
    assert "Quintero" not in response.content.decode()  # the legal name never goes out
    assert {c.code for c in patient.meta.security} >= {"R"}
    assert AuditEvent.objects.filter(action="fhir.read", person_id=str(cast.patient.public_id)).exists()


def test_a_patient_read_is_audited_without_reading_the_person_again(cast, client_for):
    client = client_for(cast.alice)
    client.get(f"/fhir/r4/Patient/{cast.patient.public_id}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/fhir/r4/Patient/{cast.patient.public_id}")
    assert response.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "people_person"' in q["sql"]]
    assert len(reads) == 2, reads  # is it here, then the row itself (with its site)
    event = AuditEvent.objects.filter(action="fhir.read").latest("seq")
    assert event.person_id == str(cast.patient.public_id) and event.site_id == str(cast.site_a.public_id)


def test_encounters_validate_and_carry_security_labels(cast, client_for):
    enc = encounter(cast, setting="telehealth")
    people_actions.finish_encounter(by=cast.alice, encounter=enc)
    response = client_for(cast.alice).get(f"/fhir/r4/Encounter/{enc.public_id}")
    resource = FhirEncounter.model_validate(body(response))
    assert resource.subject.reference == f"Patient/{cast.patient.public_id}"
    assert resource.class_fhir.code == "VR"
    assert resource.status == "finished"
    assert resource.meta.security[0].code == "R"


def test_another_team_and_another_site_get_404_and_empty_searches(cast, client_for):
    enc = encounter(cast)
    for user in (cast.carol, cast.dan):
        api = client_for(user)
        assert api.get(f"/fhir/r4/Patient/{cast.patient.public_id}").status_code == 404
        assert api.get(f"/fhir/r4/Encounter/{enc.public_id}").status_code == 404
        bundle = body(api.get(f"/fhir/r4/Encounter?patient={cast.patient.public_id}"))
        assert bundle["total"] == 0 and bundle["entry"] == []


def test_roles_without_clinical_access_get_403(cast, client_for):
    encounter(cast)
    assert client_for(cast.eve).get("/fhir/r4/Patient").status_code == 403
    assert client_for(cast.tom).get("/fhir/r4/Patient").status_code == 403
    # Front desk sees who is registered, not the clinical record.
    assert client_for(cast.fay).get("/fhir/r4/Patient").status_code == 200
    assert client_for(cast.fay).get("/fhir/r4/Encounter").status_code == 403


# --- search: paging and filtering -----------------------------------------------------

def test_search_pages_with_next_and_previous_links(cast, client_for):
    for _ in range(5):
        encounter(cast)
    api = client_for(cast.alice)
    first = body(api.get("/fhir/r4/Encounter?_count=2"))
    Bundle.model_validate(first)
    assert first["type"] == "searchset" and first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links and "_page=2" in links["next"]
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        page = body(api.get(url.replace("http://testserver", "")))
        seen += [e["resource"]["id"] for e in page["entry"]]
        rel = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in rel
        url = rel.get("next")
    assert len(seen) == len(set(seen)) == 5


def test_search_filters_by_patient_date_status_and_last_updated(cast, client_for):
    other = make_person(cast.alice, cast.site_a, "Lena")
    old = encounter(cast, when=timezone.make_aware(datetime.datetime(2023, 3, 5, 10)))
    new = encounter(cast, when=timezone.make_aware(datetime.datetime(2024, 6, 1, 10)))
    people_actions.finish_encounter(by=cast.alice, encounter=new)
    theirs = encounter(cast, person=other, when=timezone.make_aware(datetime.datetime(2024, 6, 2, 10)))
    api = client_for(cast.alice)

    def ids(query):
        response = api.get(f"/fhir/r4/Encounter?{query}")
        assert response.status_code == 200, response.content
        return {e["resource"]["id"] for e in body(response)["entry"]}

    assert ids(f"patient=Patient/{cast.patient.public_id}") == {str(old.public_id), str(new.public_id)}
    assert ids(f"patient={other.public_id}") == {str(theirs.public_id)}
    assert ids("date=2023") == {str(old.public_id)}
    assert ids("date=ge2024-06-01&date=lt2024-06-02") == {str(new.public_id)}
    assert ids("date=gt2024-06-01") == {str(theirs.public_id)}
    assert ids("status=finished") == {str(new.public_id)}
    assert ids("status=in-progress,planned") == {str(old.public_id), str(theirs.public_id)}
    assert ids(f"_lastUpdated=ge{timezone.localdate().isoformat()}") == {str(old.public_id), str(new.public_id), str(theirs.public_id)}
    assert ids("_lastUpdated=lt2000") == set()
    assert ids(f"_id={theirs.public_id}") == {str(theirs.public_id)}


def test_search_runs_a_fixed_number_of_queries(cast, client_for):
    api = client_for(cast.alice)
    encounter(cast)
    api.get("/fhir/r4/Encounter")  # warm caches (roles, sessions)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/fhir/r4/Encounter?_count=50").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(12):
        person = make_person(cast.alice, cast.site_a, f"P{i}")
        encounter(cast, person=person)
    assert count() == small


# --- machine clients: scopes and consent ----------------------------------------------

def test_a_client_sees_only_people_whose_consent_permits_it(cast):
    client, raw = make_client(cast)
    other = make_person(cast.alice, cast.site_a, "Lena")
    denied = make_person(cast.alice, cast.site_a, "Maya")
    grant(cast, cast.patient)
    grant(cast, denied)
    grant(cast, denied, categories=("clinical_summary",), provision="deny")
    api = Client()
    patients = body(api.get("/fhir/r4/Patient", **bearer(raw)))
    assert {e["resource"]["id"] for e in patients["entry"]} == {str(cast.patient.public_id), str(denied.public_id)}
    assert api.get(f"/fhir/r4/Patient/{other.public_id}", **bearer(raw)).status_code == 404
    encounter(cast, person=denied)
    mine = encounter(cast)
    encs = body(api.get("/fhir/r4/Encounter", **bearer(raw)))
    assert {e["resource"]["id"] for e in encs["entry"]} == {str(mine.public_id)}
    assert Disclosure.objects.filter(person=cast.patient, channel="fhir").exists()
    assert not Disclosure.objects.filter(person=other).exists()


def test_revoked_and_expired_consents_stop_disclosure_at_once(cast):
    _client, raw = make_client(cast)
    consent = grant(cast, cast.patient)
    api = Client()
    url = f"/fhir/r4/Patient/{cast.patient.public_id}"
    assert api.get(url, **bearer(raw)).status_code == 200
    consent.revoked_at = timezone.now()
    consent.save()
    assert api.get(url, **bearer(raw)).status_code == 404


def test_a_consent_for_another_purpose_or_organisation_does_not_count(cast):
    _client, raw = make_client(cast)
    grant(cast, cast.patient, purpose="research")
    grant(cast, cast.patient, ref="00000000-0000-4000-8000-000000000001")
    assert Client().get(f"/fhir/r4/Patient/{cast.patient.public_id}", **bearer(raw)).status_code == 404


def test_a_client_is_still_bounded_by_its_staff_accounts_care_teams(cast):
    _client, raw = make_client(cast, acts_as=cast.carol)
    grant(cast, cast.patient)
    assert Client().get(f"/fhir/r4/Patient/{cast.patient.public_id}", **bearer(raw)).status_code == 404


def test_a_token_without_the_read_scope_gets_403(cast):
    _client, raw = make_client(cast, scopes=("system/Encounter.read",))
    assert Client().get("/fhir/r4/Patient", **bearer(raw)).status_code == 403
    assert Client().get("/fhir/r4/Encounter", **bearer(raw)).status_code == 200
