"""Partners: the single-referral link (expiring, revocable) and partner accounts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.audit.models import AuditEvent
from safehaven.referrals import actions
from safehaven.referrals.models import PartnerAccount, PartnerLink
from safehaven.testing.factories import make_staff
from tests.referrals.conftest import grant

pytestmark = pytest.mark.django_db


def link_url(token):
    return reverse("partner:link", args=[token])


@pytest.fixture
def sent(cast, org, make_referral):
    grant(cast.patient, org, ["identity_contact", "clinical_summary"], by=cast.alice)
    return make_referral(
        categories=["identity_contact", "clinical_summary", "mental_health"], send=True,
        summaries={"clinical_summary": "Asthma", "mental_health": "Counselling weekly"},
    )


@pytest.fixture
def token(cast, sent):
    _link, token = actions.create_partner_link(by=cast.ana, referral=sent)
    return token


# --- the link -------------------------------------------------------------------------

def test_the_link_shows_only_the_consented_packet_without_signing_in(client, sent, token):
    response = client.get(link_url(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rosa" in page and "Asthma" in page and "Transitional housing" in page
    assert "Counselling weekly" not in page  # no consent for mental health
    assert "Quintero" not in page  # never the legal name
    assert "77 Hidden Lane" not in page and "Safe House" not in page  # confidential location
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"].startswith("noindex")
    assert 'name="viewport"' in page  # usable on a phone


def test_the_partner_accepts_then_completes_through_the_link(client, sent, token):
    assert client.post(link_url(token), {"to_status": "accepted"}).status_code == 302
    assert client.post(link_url(token), {"to_status": "in-progress"}).status_code == 302
    assert client.post(link_url(token), {"to_status": "on-hold", "note": "Waiting"}).status_code == 302
    assert client.post(link_url(token), {"to_status": "in-progress"}).status_code == 302
    response = client.post(link_url(token), {"to_status": "completed", "outcome": "Three months' housing"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == "completed" and sent.outcome == "Three months' housing"
    assert {e.actor_kind for e in sent.events.filter(from_status__gt="")} >= {"partner_link"}
    closed = client.get(link_url(token))
    assert closed.status_code == 200 and "Rosa" not in closed.content.decode()


def test_a_decline_through_the_link_needs_a_reason(client, sent, token):
    response = client.post(link_url(token), {"to_status": "rejected", "reason": ""})
    assert response.status_code == 400 and "Give a reason." in response.content.decode()
    response = client.post(link_url(token), {"to_status": "rejected", "reason": "Full this month"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == "rejected" and sent.status_reason == "Full this month"


def test_the_partner_cannot_make_changes_reserved_to_the_clinic(client, sent, token):
    for status in ("cancelled", "entered-in-error", "completed", "draft", "<b>"):
        response = client.post(link_url(token), {"to_status": status, "reason": "r", "outcome": "o"})
        assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == "requested"


def test_an_expired_link_shows_a_plain_page_and_no_data(client, sent, token):
    PartnerLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(link_url(token))
    page = response.content.decode()
    assert response.status_code == 404
    assert "does not work" in page and "Rosa" not in page and "Transitional housing" not in page
    assert client.post(link_url(token), {"to_status": "accepted"}).status_code == 404
    sent.refresh_from_db()
    assert sent.status == "requested"


def test_a_revoked_link_shows_a_plain_page_and_no_data(cast, client, sent, token):
    actions.revoke_partner_link(by=cast.ana, link=PartnerLink.objects.get())
    response = client.get(link_url(token))
    assert response.status_code == 404 and "Rosa" not in response.content.decode()


def test_a_new_link_replaces_the_old_one(cast, client, sent, token):
    _link, fresh = actions.create_partner_link(by=cast.ana, referral=sent)
    assert client.get(link_url(token)).status_code == 404
    assert client.get(link_url(fresh)).status_code == 200


def test_a_guessed_or_garbage_token_is_the_same_plain_page(client, sent, token):
    for guess in ("x", token[:-1] + ("A" if token[-1] != "A" else "B"), "a" * 300, "%00"):
        response = client.get(link_url(guess))
        assert response.status_code == 404 and "Rosa" not in response.content.decode()


def test_a_link_view_is_audited(client, sent, token):
    client.get(link_url(token))
    assert AuditEvent.objects.filter(action="referral.partner_view", object_id=str(sent.public_id)).exists()


def test_the_link_honours_a_consent_revoked_after_sending(cast, client, sent, token):
    from safehaven.consent.models import ConsentGrant

    ConsentGrant.objects.update(revoked_at=timezone.now())
    page = client.get(link_url(token)).content.decode()
    assert "Rosa" not in page and "Asthma" not in page


def test_the_link_expires_after_the_sites_number_of_days(cast, sent):
    actions.set_policy(by=cast.erin, site=cast.site_a, stale_after_business_days=5, link_valid_days=3)
    link, _token = actions.create_partner_link(by=cast.ana, referral=sent)
    assert (link.expires_at - link.created_at).days == 3


# --- partner accounts -----------------------------------------------------------------

@pytest.fixture
def paula(cast, org):
    """A staff account of the housing partner, with the partner role."""
    user = make_staff("paula", cast.site_a, "partner", display_name="Paula (Bayside)")
    actions.link_partner_account(by=cast.erin, user=user, organization=org)
    return user


def test_a_partner_account_sees_only_its_organisations_referrals(cast, client_for, paula, sent, make_referral, other_service):
    elsewhere = make_referral(svc=other_service, send=True)
    client = client_for(paula)
    listing = client.get(reverse("partner:list")).content.decode()
    assert str(sent.public_id) in listing and str(elsewhere.public_id) not in listing
    assert client.get(reverse("partner:referral", args=[sent.public_id])).status_code == 200
    assert client.get(reverse("partner:referral", args=[elsewhere.public_id])).status_code == 404
    assert client.get(reverse("partner:referral", args=["garbage"])).status_code == 404


def test_a_partner_account_never_sees_drafts(cast, client_for, paula, make_referral):
    draft = make_referral()
    assert client_for(paula).get(reverse("partner:referral", args=[draft.public_id])).status_code == 404


def test_a_partner_account_updates_its_referral(cast, client_for, paula, sent):
    client = client_for(paula)
    url = reverse("partner:referral", args=[sent.public_id])
    assert client.post(url, {"to_status": "accepted"}).status_code == 302
    sent.refresh_from_db()
    assert sent.status == "accepted"
    assert sent.events.last().actor == paula and sent.events.last().actor_kind == "partner_account"


def test_an_inactive_partner_account_sees_nothing(cast, client_for, paula, sent):
    PartnerAccount.objects.update(active=False)
    assert client_for(paula).get(reverse("partner:referral", args=[sent.public_id])).status_code == 404


def test_partner_pages_need_sign_in_and_the_partner_role(cast, client, client_for, sent):
    response = client.get(reverse("partner:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (cast.alice, cast.ana, cast.erin):
        assert client_for(user).get(reverse("partner:list")).status_code == 403
        assert client_for(user).get(reverse("partner:referral", args=[sent.public_id])).status_code == 403


def test_a_partner_who_skipped_the_second_factor_is_sent_to_it(cast, client, paula):
    client.force_login(paula)
    response = client.get(reverse("partner:list"))
    assert response.status_code == 302 and reverse("accounts:verify") in response["Location"]


def test_a_partner_cannot_open_the_clinics_own_pages(cast, client_for, paula, sent):
    client = client_for(paula)
    assert client.get(reverse("referrals:detail", args=[sent.public_id])).status_code == 403
    assert client.get(reverse("people:chart", args=[cast.patient.public_id])).status_code == 403


def test_the_link_pages_speak_spanish_and_french(client, sent, token):
    from django.core.management import call_command

    call_command("i18n", "compile")
    page = client.get(link_url("nope"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Este enlace no funciona" in page
    page = client.get(link_url(token), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Informer la clinique" in page
