"""FHIR R4 Consent export and import: nested permit/deny provisions, valid under R4B, round trip."""

import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent

from safehaven.consent.actions import ConsentInputError, import_fhir_consents
from safehaven.consent.models import ConsentGrant, Disclosure
from safehaven.fhir.resources.consent import from_fhir, to_fhir
from tests.consent.helpers import grant

pytestmark = pytest.mark.django_db

FIELDS = ["provision", "recipient_kind", "recipient_ref", "recipient_label", "recipient_category",
          "purposes", "categories", "method", "witness_name", "signature_name", "language"]


def test_a_consent_exports_as_a_valid_r4_consent_with_nested_provisions(cast):
    g = grant(cast, purposes=["referral", "treatment"], categories=["identity_contact", "substance_use"])
    resource = to_fhir(g)
    Consent.model_validate(resource)
    assert resource["provision"]["type"] == "deny"
    nested = resource["provision"]["provision"][0]
    assert nested["type"] == "permit"
    assert nested["actor"][0]["reference"]["display"] == "Bay Shelter"
    assert nested["action"][0]["coding"][0]["code"] == "disclose"
    assert {"code": "TREAT", "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason"} in nested["purpose"]
    assert [c["code"] for c in nested["class"]] == ["identity_contact", "substance_use"]
    assert nested["securityLabel"][0]["code"] == "ETH"
    assert nested["period"]["end"].startswith(g.expires_at.astimezone().date().isoformat()[:4])


@pytest.mark.parametrize("kind", ["permit", "deny"])
def test_the_round_trip_keeps_every_field(cast, kind):
    g = grant(cast, provision=kind, method="witnessed_verbal", witness_name="Nurse Bob",
              signature_name="", language="fr", purposes=["legal_advocacy", "referral"],
              categories=["location", "mental_health"])
    (item,) = from_fhir(json.loads(json.dumps(to_fhir(g))))
    for field in FIELDS:
        assert item[field] == getattr(g, field), field
    assert item["starts_at"] == g.starts_at.replace(microsecond=g.starts_at.microsecond)
    assert item["expires_at"] == g.expires_at and item["revoked_at"] is None
    assert item["patient"] == str(cast.patient.public_id)


def test_import_creates_the_same_consent_for_the_same_person(cast):
    g = grant(cast, categories=["clinical_summary"])
    resource = to_fhir(g)
    g.delete()
    (imported,) = import_fhir_consents(by=cast.ana, person=cast.patient, resource=resource)
    for field in FIELDS:
        assert getattr(imported, field) == getattr(g, field), field
    assert imported.expires_at == g.expires_at


def test_import_refuses_a_consent_about_someone_else_and_writes_nothing(cast):
    resource = to_fhir(grant(cast))
    ConsentGrant.objects.all().delete()
    with pytest.raises(ConsentInputError):
        import_fhir_consents(by=cast.dan, person=cast.other_patient, resource=resource)
    assert not ConsentGrant.objects.exists()


def test_import_skips_withdrawn_consents(cast):
    from safehaven.consent.actions import revoke_consent

    g = grant(cast)
    g = revoke_consent(by=cast.ana, grant=g, version=g.version)
    resource = to_fhir(g)
    assert resource["status"] == "inactive"
    assert import_fhir_consents(by=cast.ana, person=cast.patient, resource=resource) == []


def test_the_export_view_returns_a_valid_bundle_and_logs_the_disclosure(cast, client_for):
    grant(cast)
    response = client_for(cast.ana).get(reverse("consent:fhir_export", args=[cast.patient.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    Bundle.model_validate(json.loads(response.content))
    assert Disclosure.objects.get(channel="fhir").recipient_kind == "self"


def test_the_export_view_follows_the_access_rules(cast, client, client_for):
    url = reverse("consent:fhir_export", args=[cast.patient.public_id])
    assert client.get(url).status_code == 302
    assert client_for(cast.fay).get(url).status_code == 403
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.dan).get(url).status_code == 404
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "The text is not JSON."),
        ('{"resourceType": "Patient"}', "expected a Consent or a Bundle of Consents"),
        ('{"resourceType": "Consent", "status": "bogus"}', "not a valid FHIR R4 Consent"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_the_import_view_explains_bad_input(cast, client_for, text, message):
    response = client_for(cast.ana).post(
        reverse("consent:fhir_import", args=[cast.patient.public_id]),
        {"resource": text, "holds_original": "on"},
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not ConsentGrant.objects.exists()


def test_the_import_view_imports(cast, client_for):
    resource = to_fhir(grant(cast))
    ConsentGrant.objects.all().delete()
    response = client_for(cast.ana).post(
        reverse("consent:fhir_import", args=[cast.patient.public_id]),
        {"resource": json.dumps(resource), "holds_original": "on"},
    )
    assert response.status_code == 302 and ConsentGrant.objects.count() == 1
