"""The referral packet carries exactly what the person's consent allows for that partner."""

import json

import pytest
from django.utils import timezone

from safehaven.consent.models import Disclosure
from safehaven.referrals import actions, packet
from tests.referrals.conftest import grant

pytestmark = pytest.mark.django_db

ALL = ["identity_contact", "clinical_summary", "mental_health", "location"]
TEXTS = {
    "identity_contact": "Prefers mornings",
    "clinical_summary": "Asthma, uses an inhaler",
    "mental_health": "Sees a counsellor weekly",
    "location": "Staying with a friend",
}


def test_the_packet_contains_exactly_the_consented_categories(cast, org, make_referral):
    grant(cast.patient, org, ["identity_contact", "clinical_summary"], by=cast.alice)
    referral = make_referral(categories=ALL, summaries=TEXTS, send=True)
    sent = referral.packet_data
    assert sorted(sent["categories"]) == ["clinical_summary", "identity_contact"]
    assert referral.packet_categories == ["clinical_summary", "identity_contact"]
    raw = json.dumps(sent)
    assert "Sees a counsellor weekly" not in raw and "Staying with a friend" not in raw
    assert sent["categories"]["clinical_summary"]["summary"] == "Asthma, uses an inhaler"
    assert sent["categories"]["identity_contact"]["name"] == "Rosa"


def test_the_packet_never_carries_the_legal_name_or_a_confidential_address(cast, org, make_referral):
    grant(cast.patient, org, ALL, by=cast.alice)
    referral = make_referral(categories=ALL, summaries=TEXTS, send=True)
    raw = json.dumps(referral.packet_data)
    assert "Quintero" not in raw
    assert "77 Hidden Lane" not in raw and "Safe House" not in raw


def test_without_consent_the_packet_holds_only_the_request(cast, make_referral):
    referral = make_referral(categories=ALL, summaries=TEXTS, send=True)
    sent = referral.packet_data
    assert sent["categories"] == {}
    assert sent["service"] == "Transitional housing" and sent["need"] == "housing"
    assert "Rosa" not in json.dumps(sent)


def test_a_consent_for_another_purpose_or_partner_does_not_count(cast, org, other_org, make_referral):
    grant(cast.patient, org, ["identity_contact"], by=cast.alice, purposes=["treatment"])
    grant(cast.patient, other_org, ["identity_contact"], by=cast.alice)
    referral = make_referral(categories=["identity_contact"], send=True)
    assert referral.packet_categories == []


def test_a_deny_wins_over_a_permit(cast, org, make_referral):
    grant(cast.patient, org, ["identity_contact", "mental_health"], by=cast.alice)
    grant(cast.patient, org, ["mental_health"], by=cast.alice, provision="deny")
    referral = make_referral(categories=["identity_contact", "mental_health"], send=True)
    assert referral.packet_categories == ["identity_contact"]


def test_a_law_enforcement_service_needs_a_consent_naming_law_enforcement(cast, org, service, make_referral):
    service.involves_law_enforcement = True
    service.save()
    grant(cast.patient, org, ["identity_contact"], by=cast.alice, category="housing")
    referral = make_referral(categories=["identity_contact"])
    assert packet.recipient_for(referral).category == "law_enforcement"


def test_sending_logs_the_disclosure_of_what_was_sent(cast, org, make_referral):
    grant(cast.patient, org, ["identity_contact"], by=cast.alice)
    referral = make_referral(categories=["identity_contact", "mental_health"], send=True)
    disclosure = Disclosure.objects.get(person=cast.patient)
    assert disclosure.categories == ["identity_contact"]
    assert disclosure.recipient_ref == str(org.public_id)
    assert disclosure.purpose == "referral" and disclosure.channel == "referral_packet"
    assert disclosure.detail["referral"] == str(referral.public_id)


def test_a_revoked_consent_hides_its_sections_from_the_partner_afterwards(cast, org, make_referral):
    consent = grant(cast.patient, org, ["identity_contact", "clinical_summary"], by=cast.alice)
    referral = make_referral(categories=["identity_contact", "clinical_summary"],
                             summaries=TEXTS, send=True)
    assert sorted(packet.visible_packet(referral)["categories"]) == ["clinical_summary", "identity_contact"]
    consent.revoked_at = timezone.now()
    consent.save()
    assert packet.visible_packet(referral)["categories"] == {}


def test_contact_details_follow_the_persons_contact_preferences(cast, org, make_referral):
    from safehaven.people.actions import update_contact_preferences

    grant(cast.patient, org, ["identity_contact"], by=cast.alice)
    sent = make_referral(send=True).packet_data["categories"]["identity_contact"]
    assert sent["contact"] == {"through_clinic_only": True}
    update_contact_preferences(by=cast.alice, person=cast.patient, do_not_contact=False,
                               channels=["sms"], phone="+15550100", email="rosa@example.org")
    cast.patient.refresh_from_db()
    referral = actions.create_referral(
        by=cast.ana, person=cast.patient, need_domain="housing",
        service=make_referral().service, requested_categories=["identity_contact"],
    )
    contact = actions.send_referral(by=cast.ana, referral=referral).packet_data["categories"]["identity_contact"]["contact"]
    assert contact["phone"] == "+15550100" and contact["email"] == ""


def test_unknown_categories_and_needs_are_refused(cast, service):
    with pytest.raises(ValueError):
        actions.create_referral(by=cast.ana, person=cast.patient, need_domain="housing",
                                service=service, requested_categories=["diary"])
    with pytest.raises(ValueError):
        actions.create_referral(by=cast.ana, person=cast.patient, need_domain="'; DROP",
                                service=service, requested_categories=[])
