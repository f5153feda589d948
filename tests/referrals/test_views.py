"""Staff referral pages: who may see what, bad input, and the chart panel."""

import pytest
from django.urls import reverse

from safehaven.referrals.models import PartnerLink, Referral
from tests.referrals.conftest import grant

pytestmark = pytest.mark.django_db


def detail_url(referral):
    return reverse("referrals:detail", args=[referral.public_id])


def new_url(person):
    return reverse("referrals:new", args=[person.public_id])


# --- worklist --------------------------------------------------------------------------

def test_worklist_requires_login(cast, client):
    response = client.get(reverse("referrals:worklist"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_worklist_refuses_roles_without_case_management(cast, client_for):
    for user in (cast.fay, cast.bob, cast.eve, cast.erin, cast.tom):
        assert client_for(user).get(reverse("referrals:worklist")).status_code == 403


def test_worklist_shows_my_caseloads_referrals_only(cast, client_for, make_referral):
    make_referral(send=True)
    page = client_for(cast.ana).get(reverse("referrals:worklist")).content.decode()
    assert "Rosa" in page and "Bayside Housing Collective" in page
    other = client_for(cast.carol).get(reverse("referrals:worklist")).content.decode()
    assert "Rosa" not in other


def test_the_nav_shows_referrals_to_case_managers(cast, client_for):
    page = client_for(cast.ana).get(reverse("referrals:worklist")).content.decode()
    assert f'href="{reverse("referrals:worklist")}"' in page


# --- starting a referral ------------------------------------------------------------

def test_new_referral_page_lists_services_and_needs(cast, client_for, service):
    page = client_for(cast.ana).get(new_url(cast.patient), {"q": "housing"}).content.decode()
    assert "Transitional housing" in page and "Shelter and housing" in page


def test_new_referral_is_403_for_front_desk_and_404_for_other_teams(cast, client_for, service):
    assert client_for(cast.fay).get(new_url(cast.patient)).status_code == 403
    assert client_for(cast.carol).get(new_url(cast.patient)).status_code == 404
    assert client_for(cast.dan).get(new_url(cast.patient)).status_code == 404
    assert client_for(cast.ana).get(reverse("referrals:new", args=["nope"])).status_code == 404


def test_a_referral_is_saved_as_a_draft_from_the_form(cast, client_for, service):
    response = client_for(cast.ana).post(new_url(cast.patient), {
        "need_domain": "housing", "service": str(service.public_id), "priority": "urgent",
        "categories": ["identity_contact", "mental_health"],
        "summary_mental_health": "Sees a counsellor",
    })
    referral = Referral.objects.get(person=cast.patient)
    assert response.status_code == 302 and response["Location"] == detail_url(referral)
    assert referral.status == "draft" and referral.priority == "urgent"
    assert referral.requested_categories == ["identity_contact", "mental_health"]
    assert referral.summary_map == {"mental_health": "Sees a counsellor"}


@pytest.mark.parametrize("data,message", [
    ({"need_domain": "housing"}, "Choose a service."),
    ({"need_domain": "housing", "service": "not-a-uuid"}, "Choose one of the services listed."),
    ({"service": "SERVICE"}, "Choose the need this referral meets."),
    ({"need_domain": "bogus", "service": "SERVICE"}, "Select a valid choice"),
    ({"need_domain": "housing", "service": "SERVICE", "categories": ["diary"]}, "Select a valid choice"),
    ({"need_domain": "housing", "service": "SERVICE", "priority": "now!"}, "Select a valid choice"),
])
def test_bad_referral_input_gets_a_clear_message_and_nothing_is_saved(cast, client_for, service, data, message):
    data = {k: (str(service.public_id) if v == "SERVICE" else v) for k, v in data.items()}
    data.setdefault("priority", "routine")
    response = client_for(cast.ana).post(new_url(cast.patient), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Referral.objects.exists()


def test_hostile_text_in_a_summary_is_stored_as_text_and_shown_escaped(cast, client_for, service, org):
    grant(cast.patient, org, ["clinical_summary"], by=cast.alice)
    client = client_for(cast.ana)
    base = {"need_domain": "housing", "service": str(service.public_id), "priority": "routine",
            "categories": ["clinical_summary"]}
    response = client.post(new_url(cast.patient), {**base, "summary_clinical_summary": "a\x00b"})
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()
    client.post(new_url(cast.patient), {
        **base, "summary_clinical_summary": "<script>alert(1)</script>'; DROP TABLE x;--\u202e\x07",
    })
    referral = Referral.objects.get()
    # clean_text drops the bell and the right-to-left override; markup and SQL are kept as typed.
    assert referral.summary_map["clinical_summary"] == "<script>alert(1)</script>'; DROP TABLE x;--"
    client.post(reverse("referrals:send", args=[referral.public_id]))
    client.post(reverse("referrals:make_link", args=[referral.public_id]))
    link_page = client_for(cast.ana).get(detail_url(referral)).content.decode()
    assert "<script>alert(1)</script>" not in link_page


# --- detail, send, status -----------------------------------------------------------

def test_detail_is_404_for_other_teams_and_403_for_roles_without_case_management(cast, client_for, make_referral):
    referral = make_referral()
    assert client_for(cast.ana).get(detail_url(referral)).status_code == 200
    assert client_for(cast.carol).get(detail_url(referral)).status_code == 404
    assert client_for(cast.dan).get(detail_url(referral)).status_code == 404
    assert client_for(cast.bob).get(detail_url(referral)).status_code == 403
    assert client_for(cast.ana).get(reverse("referrals:detail", args=["x"])).status_code == 404


def test_detail_requires_login(cast, client, make_referral):
    response = client.get(detail_url(make_referral()))
    assert response.status_code == 302


def test_the_draft_shows_what_consent_allows_and_what_is_withheld(cast, client_for, org, make_referral):
    grant(cast.patient, org, ["identity_contact"], by=cast.alice)
    referral = make_referral(categories=["identity_contact", "mental_health"])
    page = client_for(cast.ana).get(detail_url(referral)).content.decode()
    assert "Identity and contact details" in page
    assert "Withheld" in page and "Mental health" in page


def test_sending_from_the_page(cast, client_for, make_referral):
    referral = make_referral()
    client = client_for(cast.ana)
    assert client.post(reverse("referrals:send", args=[referral.public_id])).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "requested"
    client.post(reverse("referrals:send", args=[referral.public_id]))
    assert referral.events.count() == 2  # sending twice does nothing


def test_carol_cannot_send_or_change_another_teams_referral(cast, client_for, make_referral):
    referral = make_referral()
    client = client_for(cast.carol)
    assert client.post(reverse("referrals:send", args=[referral.public_id])).status_code == 404
    assert client.post(reverse("referrals:status", args=[referral.public_id]),
                       {"to_status": "cancelled", "reason": "x"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == "draft"


def test_a_status_change_without_its_reason_is_refused_with_a_message(cast, client_for, make_referral):
    referral = make_referral(send=True)
    client = client_for(cast.ana)
    url = reverse("referrals:status", args=[referral.public_id])
    response = client.post(url, {"to_status": "cancelled", "reason": ""})
    assert response.status_code == 400 and "Give a reason." in response.content.decode()
    response = client.post(url, {"to_status": "completed", "outcome": "x"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(url, {"to_status": "cancelled", "reason": "They moved away"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "cancelled" and referral.status_reason == "They moved away"


def test_a_stale_form_is_refused(cast, client_for, make_referral):
    referral = make_referral(send=True)
    old = referral.version
    client = client_for(cast.ana)
    url = reverse("referrals:status", args=[referral.public_id])
    assert client.post(url, {"to_status": "accepted", "version": old}).status_code == 302
    response = client.post(url, {"to_status": "cancelled", "reason": "r", "version": old})
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()


def test_help_answer_is_recorded_from_the_page(cast, client_for, make_referral):
    from safehaven.referrals import actions

    referral = make_referral(send=True)
    client = client_for(cast.ana)
    url = reverse("referrals:help_answer", args=[referral.public_id])
    assert client.post(url, {"answer": "yes"}).status_code == 302  # not completed: a message only
    actions.change_status(by=cast.ana, referral=referral, to_status="accepted")
    actions.change_status(by=cast.ana, referral=referral, to_status="completed", outcome="Bed")
    assert client.post(url, {"answer": "maybe"}).status_code == 400
    assert client.post(url, {"answer": "yes", "comment": "Thank you"}).status_code == 302
    referral.help_check.refresh_from_db()
    assert referral.help_check.answer == "yes"


# --- links from the staff side ------------------------------------------------------

def test_a_link_is_shown_once_and_only_its_hash_is_stored(cast, client_for, make_referral):
    referral = make_referral(send=True)
    client = client_for(cast.ana)
    response = client.post(reverse("referrals:make_link", args=[referral.public_id]))
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    link = PartnerLink.objects.get(referral=referral)
    token = page.split("/partner/r/")[1].split("/")[0]
    assert len(token) >= 40 and token not in link.token_hash
    assert token not in client.get(detail_url(referral)).content.decode()


def test_no_link_for_a_draft(cast, client_for, make_referral):
    referral = make_referral()
    client_for(cast.ana).post(reverse("referrals:make_link", args=[referral.public_id]))
    assert not PartnerLink.objects.exists()


def test_revoking_from_the_page(cast, client_for, make_referral):
    from safehaven.referrals import actions

    referral = make_referral(send=True)
    link, _token = actions.create_partner_link(by=cast.ana, referral=referral)
    assert client_for(cast.carol).post(
        reverse("referrals:revoke_link", args=[referral.public_id, link.public_id])).status_code == 404
    client_for(cast.ana).post(reverse("referrals:revoke_link", args=[referral.public_id, link.public_id]))
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client_for(cast.ana).post(
        reverse("referrals:revoke_link", args=[referral.public_id, "zzz"])).status_code == 404


# --- chart panel ----------------------------------------------------------------------

def test_the_chart_shows_the_persons_referrals_to_case_managers(cast, client_for, make_referral):
    make_referral()
    chart = reverse("people:chart", args=[cast.patient.public_id])
    assert "Transitional housing" in client_for(cast.ana).get(chart).content.decode()
    assert "Transitional housing" not in client_for(cast.fay).get(chart).content.decode()


def test_the_panel_query_count_does_not_grow(cast, client_for, make_referral):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(cast.ana)
    chart = reverse("people:chart", args=[cast.patient.public_id])
    make_referral()
    client.get(chart)
    with CaptureQueriesContext(connection) as small:
        client.get(chart)
    for _ in range(5):
        make_referral(send=True)
    with CaptureQueriesContext(connection) as large:
        client.get(chart)
    assert len(large) == len(small)


def test_the_worklist_page_query_count_does_not_grow(cast, client_for, make_referral):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(cast.ana)
    make_referral(send=True)
    client.get(reverse("referrals:worklist"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("referrals:worklist"))
    for _ in range(5):
        make_referral(send=True)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("referrals:worklist"))
    assert len(large) == len(small)


# --- settings -------------------------------------------------------------------------

def test_the_clinic_admin_sets_the_follow_up_days(cast, client_for):
    from safehaven.referrals.models import ReferralPolicy

    url = reverse("referrals:policy")
    assert client_for(cast.ana).get(url).status_code == 403
    client = client_for(cast.erin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"stale_after_business_days": "0", "link_valid_days": "14"})
    assert response.status_code == 400 and "greater than or equal to 1" in response.content.decode()
    response = client.post(url, {"stale_after_business_days": "8", "link_valid_days": "7"})
    assert response.status_code == 302
    assert ReferralPolicy.objects.get(site=cast.site_a).stale_after_business_days == 8
