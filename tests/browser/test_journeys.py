"""Journeys a clinic depends on, in a real browser, with accessibility checks."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from safehaven.people.models import Person
from safehaven.testing.factories import PASSWORD
from tests.browser.conftest import serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_two_factors_and_register_a_person(page, cast):
    page.goto(page.base + "/accounts/login/")
    assert serious_violations(page) == []
    sign_in(page, cast.alice, PASSWORD)
    expect(page.get_by_role("heading", name="People on my care teams")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Register a person").first.click()
    page.get_by_label("Name they use").fill("Marisol")
    page.get_by_label("Age band").select_option("18-24")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/people/*/")
    expect(page.get_by_role("heading", name="Marisol")).to_be_visible()
    assert Person.objects.filter(chosen_name="Marisol").count() == 1
    assert serious_violations(page) == []


def test_the_second_factor_cannot_be_skipped_by_typing_a_url(page, cast):
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.goto(page.base + f"/people/{cast.patient.public_id}/")
    assert "/accounts/two-factor/" in page.url
    assert "Rosa" not in page.content()


def test_quick_exit_leaves_nothing_behind_the_back_button(page, cast):
    sign_in(page, cast.alice, PASSWORD)
    page.goto(page.base + f"/people/{cast.patient.public_id}/")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url("**/weather/?exit=1")
    assert "Weather" in page.title()
    page.go_back()
    # The chart's history entry was replaced and the session ended: Back reaches only the
    # sign-in page, never a record.
    page.wait_for_load_state()
    assert f"/people/{cast.patient.public_id}/" not in page.url
    assert "Rosa" not in page.content()
    page.reload()
    assert "Rosa" not in page.content() and "/accounts/login/" in page.url


def test_self_administered_screen_on_a_tablet_with_quick_exit(page, cast):
    call_command("instruments", "import", "--shipped", verbosity=0)
    sign_in(page, cast.alice, PASSWORD)
    page.goto(page.base + f"/people/{cast.patient.public_id}/")
    page.get_by_role("button", name="Offer the screen").click()
    page.get_by_label("Yes").first.check()
    page.locator("#step-privacy button[type=submit]").click()
    page.get_by_label("I explained this to them").check()
    page.locator("#step-confidentiality button[type=submit]").click()
    page.locator("#step-education input[type=radio]").first.check()
    page.locator("#step-education button[type=submit]").click()
    page.get_by_role("link", name="Hand the tablet to them").click()
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.get_by_role("heading", name="Health and safety questions")).to_be_visible()
    content = page.content().lower()
    assert "traffick" not in content and "My people" not in page.content()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Questions 1").click()
    page.get_by_label("Prefer not to say").first.check()
    assert serious_violations(page) == []
    # Someone walks in: quick exit, then the back button shows nothing of the visit.
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url("**/weather/?exit=1")
    page.go_back()
    page.wait_for_load_state()
    text = page.content()
    assert "Health and safety questions" not in text and "Rosa" not in text


def test_send_a_referral_and_the_partner_updates_it_through_the_link(page, browser, cast):
    import datetime

    from django.utils import timezone

    from safehaven.consent.models import ConsentGrant
    from safehaven.directory.demo import load_demo_directory
    from safehaven.directory.models import Service
    from safehaven.referrals.models import Referral

    load_demo_directory()
    service = Service.objects.select_related("organization").order_by("name").first()
    ConsentGrant.objects.create(
        person=cast.patient, recipient_kind="organization", recipient_ref=str(service.organization.public_id),
        recipient_label=service.organization.name, recipient_category="housing", purposes=["referral"],
        categories=["identity_contact"], method="written", informed=True, recorded_by=cast.ana,
        expires_at=timezone.now() + datetime.timedelta(days=90),
    )
    sign_in(page, cast.ana, PASSWORD)
    page.goto(page.base + f"/referrals/new/{cast.patient.public_id}/")
    page.get_by_label("The need it meets").select_option(index=1)
    page.get_by_label(service.name, exact=False).first.check()
    page.get_by_role("checkbox", name="Identity and contact details").check()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("button", name="Send to the partner").click()
    page.get_by_role("button", name="Make a new link (earlier ones stop working)").click()
    link = page.locator("#new-link").input_value()
    assert "/partner/r/" in link
    partner = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = partner.new_page()
    phone.goto(link if link.startswith("http") else page.base + link)
    expect(phone.get_by_role("heading", name="A referral to your service")).to_be_visible()
    assert "Rosalind" not in phone.content()
    assert serious_violations(phone) == []
    phone.get_by_label("New status").select_option("accepted")
    phone.get_by_role("button", name="Send update").click()
    phone.wait_for_load_state()
    referral = Referral.objects.get(person=cast.patient)
    assert referral.status == "accepted"
    partner.close()


def test_record_a_sharing_consent_and_withdraw_it(page, cast):
    import datetime

    from safehaven.consent.models import ConsentGrant

    sign_in(page, cast.ana, PASSWORD)
    page.goto(page.base + f"/consent/people/{cast.patient.public_id}/new/")
    page.get_by_label("Who would receive it").select_option("category")
    page.get_by_label("Recipient's name").fill("Housing providers in the county")
    page.get_by_label("Kind of recipient").select_option("housing")
    page.get_by_role("checkbox", name="Referral").check()
    page.get_by_role("checkbox", name="Identity and contact details").check()
    ends = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    page.get_by_label("Ends on").fill(ends)
    page.get_by_label("How they gave it").select_option("written")
    page.get_by_label("Typed signature (their name as they sign it)").fill("Rosa Q.")
    page.get_by_role("checkbox", name="I explained what will be shared").check()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save the consent").click()
    page.wait_for_load_state()
    grant = ConsentGrant.objects.get(person=cast.patient)
    assert grant.categories == ["identity_contact"] and grant.purposes == ["referral"]
    from django.utils import timezone

    assert timezone.localtime(grant.expires_at).date().isoformat() == ends
    assert "Housing providers in the county" in page.content()
    assert serious_violations(page) == []
