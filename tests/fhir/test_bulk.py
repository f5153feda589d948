"""Bulk Data $export: kick-off, polling, manifest, consent, cancel and expiry."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.patient import Patient as FhirPatient

from safehaven.audit.models import AuditEvent
from safehaven.consent.models import Disclosure
from safehaven.fhir import actions, bulk
from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL, ExportJob
from safehaven.people import actions as people_actions
from safehaven.testing.factories import make_person
from tests.fhir.helpers import bearer, grant, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def exporter(cast):
    """A partner system acting as the clinic administrator, allowed to export."""
    return make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))


def kickoff(raw, url="/fhir/r4/$export"):
    return Client().get(url, HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json", **bearer(raw))


def status_path(response):
    return response["Content-Location"].replace("http://testserver", "")


def lines(raw, manifest, resource_type):
    for item in manifest["output"]:
        if item["type"] == resource_type:
            response = Client().get(item["url"].replace("http://testserver", ""), **bearer(raw))
            assert response.status_code == 200
            assert response["Content-Type"] == "application/fhir+ndjson"
            text = b"".join(response.streaming_content).decode()
            return [json.loads(line) for line in text.splitlines()]
    return []


def test_kickoff_polls_to_a_manifest_of_valid_ndjson(cast, exporter):
    _client, raw = exporter
    grant(cast, cast.patient)
    people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="Tooth pain")
    response = kickoff(raw)
    assert response.status_code == 202
    assert "/fhir/r4/bulk/" in response["Content-Location"]
    status = Client().get(status_path(response), **bearer(raw))
    assert status.status_code == 200
    manifest = json.loads(status.content)
    assert manifest["requiresAccessToken"] is True
    assert {"Patient", "Encounter"} <= {o["type"] for o in manifest["output"]}
    assert "Expires" in status
    patients = lines(raw, manifest, "Patient")
    encounters = lines(raw, manifest, "Encounter")
    assert [p["id"] for p in patients] == [str(cast.patient.public_id)]
    for resource in patients:
        FhirPatient.model_validate(resource)
    for resource in encounters:
        FhirEncounter.model_validate(resource)
    actions_logged = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"fhir.export.start", "fhir.export.complete", "fhir.export.manifest", "fhir.export.download"} <= actions_logged


def test_an_export_never_includes_what_consent_forbids(cast, exporter):
    _client, raw = exporter
    no_consent = make_person(cast.alice, cast.site_a, "Lena")
    only_identity = make_person(cast.alice, cast.site_a, "Maya")
    denied = make_person(cast.alice, cast.site_a, "Noel")
    for person in (no_consent, only_identity, denied, cast.patient):
        people_actions.start_encounter(by=cast.alice, person=person, setting="community_clinic", chief_complaint="Cough")
    grant(cast, cast.patient)
    grant(cast, only_identity, categories=("identity_contact",))
    grant(cast, denied)
    grant(cast, denied, categories=("identity_contact",), provision="deny")
    grant(cast, no_consent, purpose="research")  # another purpose does not count
    manifest = json.loads(Client().get(status_path(kickoff(raw)), **bearer(raw)).content)
    patient_ids = {p["id"] for p in lines(raw, manifest, "Patient")}
    encounter_subjects = {e["subject"]["reference"] for e in lines(raw, manifest, "Encounter")}
    assert patient_ids == {str(cast.patient.public_id), str(only_identity.public_id)}
    assert encounter_subjects == {f"Patient/{cast.patient.public_id}", f"Patient/{denied.public_id}"}
    assert not Disclosure.objects.filter(person=no_consent).exists()
    assert set(Disclosure.objects.get(person=only_identity).categories) == {"identity_contact"}


def test_only_export_clients_may_kick_off(cast, client_for, exporter):
    _c, read_only = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL,))
    _c, no_perm = make_client(cast, acts_as=cast.alice, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    assert kickoff(read_only).status_code == 403
    assert kickoff(no_perm).status_code == 403
    assert client_for(cast.erin).get("/fhir/r4/$export").status_code == 403
    assert Client().get("/fhir/r4/$export").status_code == 401
    assert not ExportJob.objects.exists()


def test_kickoff_rejects_bad_parameters_with_outcomes(cast, exporter):
    _client, raw = exporter
    for query in ("_type=Spaceship", "_outputFormat=text/csv", "_since=last-week", "_typeFilter=Patient%3Factive%3Dtrue"):
        response = kickoff(raw, f"/fhir/r4/$export?{query}")
        assert response.status_code == 400, query
        assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_type_and_since_narrow_the_export(cast, exporter):
    _client, raw = exporter
    grant(cast, cast.patient)
    people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="Tooth pain")
    manifest = json.loads(Client().get(status_path(kickoff(raw, "/fhir/r4/Patient/$export?_type=Encounter")), **bearer(raw)).content)
    assert [o["type"] for o in manifest["output"]] == ["Encounter"]
    future = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    manifest = json.loads(Client().get(status_path(kickoff(raw, f"/fhir/r4/$export?_since={future}")), **bearer(raw)).content)
    assert manifest["output"] == []


def test_group_export_covers_one_site_and_hides_other_sites(cast, exporter):
    _client, raw = exporter
    grant(cast, cast.patient)
    grant(cast, cast.other_patient)
    response = kickoff(raw, f"/fhir/r4/Group/{cast.site_a.public_id}/$export")
    manifest = json.loads(Client().get(status_path(response), **bearer(raw)).content)
    assert [p["id"] for p in lines(raw, manifest, "Patient")] == [str(cast.patient.public_id)]
    assert kickoff(raw, f"/fhir/r4/Group/{cast.site_b.public_id}/$export").status_code == 404
    assert kickoff(raw, "/fhir/r4/Group/nope/$export").status_code == 404


def test_polling_a_running_export_answers_202_with_progress(cast, exporter):
    client, raw = exporter
    job = actions.start_export(by=cast.erin, client=client, level="system", types=[])
    ExportJob.objects.filter(pk=job.pk).update(status="in-progress", progress="5000 of 20000 people")
    response = Client().get(f"/fhir/r4/bulk/{job.public_id}", **bearer(raw))
    assert response.status_code == 202
    assert response["X-Progress"] == "5000 of 20000 people"


def test_another_client_cannot_see_the_export(cast, exporter):
    _client, raw = exporter
    _other, other_raw = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    path = status_path(kickoff(raw))
    assert Client().get(path, **bearer(other_raw)).status_code == 404


def test_delete_cancels_and_removes_the_files(cast, exporter):
    _client, raw = exporter
    grant(cast, cast.patient)
    path = status_path(kickoff(raw))
    manifest = json.loads(Client().get(path, **bearer(raw)).content)
    job = ExportJob.objects.get()
    folder = actions.export_dir(job)
    assert any(folder.iterdir())
    response = Client().delete(path, **bearer(raw))
    assert response.status_code == 202
    assert not folder.exists()
    assert Client().get(path, **bearer(raw)).status_code == 404
    file_url = manifest["output"][0]["url"].replace("http://testserver", "")
    assert Client().get(file_url, **bearer(raw)).status_code == 404
    assert Client().delete(path, **bearer(raw)).status_code == 404
    assert AuditEvent.objects.filter(action="fhir.export.cancel").exists()


def test_a_running_export_stops_when_cancelled(cast, exporter):
    client, _raw = exporter
    grant(cast, cast.patient)
    job = actions.start_export(by=cast.erin, client=client, level="system", types=[])
    ExportJob.objects.filter(pk=job.pk).update(status="cancelled")
    with pytest.raises(bulk.Cancelled):
        bulk.write_export(ExportJob.objects.get(pk=job.pk))
    assert bulk.run_export.call(str(job.public_id)) == {"skipped": True}


def test_files_expire(cast, exporter):
    _client, raw = exporter
    grant(cast, cast.patient)
    path = status_path(kickoff(raw))
    manifest = json.loads(Client().get(path, **bearer(raw)).content)
    job = ExportJob.objects.get()
    assert job.expires_at > timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert Client().get(path, **bearer(raw)).status_code == 404
    file_url = manifest["output"][0]["url"].replace("http://testserver", "")
    assert Client().get(file_url, **bearer(raw)).status_code == 404
    assert not actions.export_dir(job).exists()
    assert ExportJob.objects.get().output == []


def test_a_failed_export_reports_an_outcome_without_details(cast, exporter, monkeypatch):
    _client, raw = exporter

    def broken(job, **kw):
        raise RuntimeError("disk full at /secret/path")

    monkeypatch.setattr(bulk, "write_export", broken)
    response = Client().get(status_path(kickoff(raw)), **bearer(raw))
    assert response.status_code == 500
    assert "secret" not in response.content.decode()
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_the_cli_registers_a_client_whose_token_works(cast):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("fhir_client", "Partner EHR", "--acts-as", "alice", "--recipient-category", "health_care",
                 "--recipient-ref", "7d6f1f9e-8a4b-4c61-9f25-1d8b7c1e2a01", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    grant(cast, cast.patient)
    response = Client().get(f"/fhir/r4/Patient/{cast.patient.public_id}", **bearer(raw))
    assert response.status_code == 200
