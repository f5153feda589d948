"""Information-sharing consents: informed, written or witnessed, time-limited, revocable."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.consent.decision import Recipient, may_disclose
from safehaven.consent.models import ConsentGrant, Disclosure, RequiredReport
from safehaven.testing.factories import make_person
from tests.consent.helpers import grant

pytestmark = pytest.mark.django_db

SHELTER = Recipient(kind="organization", category="housing", ref="org-shelter-1", label="Bay Shelter")


def new_url(person):
    return reverse("consent:new_grant", args=[person.public_id])


def form_data(**kw):
    data = {
        "provision": "permit", "recipient_kind": "organization", "recipient_label": "Bay Shelter",
        "recipient_ref": "org-shelter-1", "recipient_category": "housing", "purposes": ["referral"],
        "categories": ["identity_contact"], "method": "written", "signature_name": "Rosa",
        "language": "es", "informed": "on",
        "expires_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_an_advocate_records_a_consent_and_it_permits_sharing(cast, client_for):
    response = client_for(cast.ana).post(new_url(cast.patient), form_data())
    assert response.status_code == 302
    g = ConsentGrant.objects.get()
    assert g.language == "es" and g.recorded_by == cast.ana and g.informed
    assert may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])


def test_a_drawn_signature_is_kept_as_svg_path_data(cast, client_for):
    client_for(cast.ana).post(new_url(cast.patient), form_data(signature_name="", signature_image="M10 10 L20 30 L40 12"))
    assert ConsentGrant.objects.get().signature_image == "M10 10 L20 30 L40 12"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expires_on": None}, "Give an end date. Every consent must end."),
        ({"expires_on": "2000-01-01"}, "The end date must be in the future."),
        ({"expires_on": (timezone.localdate() + datetime.timedelta(days=800)).isoformat()}, "at most one year"),
        ({"informed": None}, "Confirm that you explained"),
        ({"method": "witnessed_verbal", "witness_name": ""}, "Verbal consent needs the name of a witness."),
        ({"signature_name": ""}, "Written consent needs their typed or drawn signature."),
        ({"signature_image": "<svg onload=alert(1)>", "signature_name": ""}, "could not be read"),
        ({"purposes": None}, "Choose at least one purpose."),
        ({"categories": ["everything"]}, "Select a valid choice"),
        ({"recipient_ref": ""}, "Name the organisation or service."),
        ({"recipient_category": "law_enforcement", "recipient_kind": "category", "recipient_ref": ""},
         "needs their explicit request"),
    ],
)
def test_bad_consents_are_refused_with_a_clear_message(cast, client_for, changes, message):
    response = client_for(cast.ana).post(new_url(cast.patient), form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ConsentGrant.objects.exists()


def test_the_form_keeps_the_answers_when_it_is_refused(cast, client_for):
    response = client_for(cast.ana).post(new_url(cast.patient), form_data(informed=None, recipient_label="Casa <b>Luz</b>"))
    page = response.content.decode()
    assert "Casa &lt;b&gt;Luz&lt;/b&gt;" in page and "<b>Luz</b>" not in page


def test_law_enforcement_sharing_is_recorded_only_when_they_asked_for_it(cast, client_for):
    data = form_data(recipient_category="law_enforcement", recipient_kind="category", recipient_ref="",
                     recipient_label="City police", purposes=["law_enforcement"], explicit_protected="on")
    assert client_for(cast.ana).post(new_url(cast.patient), data).status_code == 302
    police = Recipient(kind="category", category="law_enforcement", label="City police")
    assert may_disclose(cast.patient, police, "law_enforcement", ["identity_contact"])


def test_withdrawing_a_consent_stops_sharing_at_once(cast, client_for):
    g = grant(cast)
    page = client_for(cast.bob).get(reverse("consent:person", args=[cast.patient.public_id])).content.decode()
    assert f'name="version" value="{g.version}"' in page
    response = client_for(cast.bob).post(reverse("consent:revoke", args=[g.public_id]),
                                         {"reason": "", "version": g.version})
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.revoked_at is not None and g.revoked_by == cast.bob and g.version == 2
    assert not may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])
    again = client_for(cast.bob).post(reverse("consent:revoke", args=[g.public_id]), {"version": 1})
    assert again.status_code == 409 and "already withdrawn" in again.content.decode()


def test_withdrawing_is_404_for_another_team_and_403_for_other_roles(cast, client_for):
    g = grant(cast)
    url = reverse("consent:revoke", args=[g.public_id])
    assert client_for(cast.carol).post(url).status_code == 404
    assert client_for(cast.dan).post(url).status_code == 404
    assert client_for(cast.fay).post(url).status_code == 403
    assert client_for(cast.alice).post(reverse("consent:revoke", args=["not-a-uuid"])).status_code == 404
    g.refresh_from_db()
    assert g.revoked_at is None


@pytest.mark.parametrize("name", ["person", "new_grant", "disclosures", "new_report"])
def test_consent_pages_follow_the_access_rules(cast, client, client_for, name):
    url = reverse(f"consent:{name}", args=[cast.patient.public_id])
    assert client.get(url).status_code == 302
    assert client_for(cast.ana).get(url).status_code == 200
    assert client_for(cast.fay).get(url).status_code == 403
    assert client_for(cast.eve).get(url).status_code == 403
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.dan).get(url).status_code == 404


def test_the_consents_page_lists_in_force_and_ended_consents(cast, client_for):
    grant(cast, recipient_label="Casa Luz")
    ended = grant(cast, recipient_label="Old Partner")
    ended.revoked_at = timezone.now()
    ended.save()
    page = client_for(cast.ana).get(reverse("consent:person", args=[cast.patient.public_id])).content.decode()
    assert page.index("Casa Luz") < page.index("Ended or withdrawn") < page.index("Old Partner")


def test_a_required_report_about_a_minor_is_recorded_logged_and_shown(cast, client_for):
    teen = make_person(cast.ana, cast.site_a, "Teo", age_band="12-17")
    client = client_for(cast.ana)
    response = client.post(reverse("consent:new_report", args=[teen.public_id]), {
        "recipient_category": "child_protection", "agency": "County CPS",
        "legal_basis": "State mandated reporter law", "categories": ["identity_contact", "substance_use"],
        "person_told": "on", "how_told": "Told in person by Ana before the call",
    })
    assert response.status_code == 302
    report = RequiredReport.objects.get()
    assert report.categories == ["identity_contact"] and report.person_told_at is not None
    disclosure = Disclosure.objects.get(person=teen)
    assert disclosure.legal_basis == "State mandated reporter law" and disclosure.channel == "required_report"
    log = client.get(reverse("consent:disclosures", args=[teen.public_id])).content.decode()
    assert "County CPS" in log and "Required by law" in log


def test_a_required_report_cannot_be_recorded_for_an_adult(cast, client_for):
    response = client_for(cast.ana).post(reverse("consent:new_report", args=[cast.patient.public_id]), {
        "recipient_category": "law_enforcement", "agency": "Police", "legal_basis": "none",
        "categories": ["identity_contact"],
    })
    assert response.status_code == 400 and "only for someone under 18" in response.content.decode()
    assert not RequiredReport.objects.exists() and not Disclosure.objects.exists()


def test_the_disclosure_log_lists_who_sent_what_to_whom(cast, client_for):
    from safehaven.consent.decision import log_disclosure

    grant(cast)
    decision = may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])
    log_disclosure(by=cast.ana, person=cast.patient, recipient=SHELTER, purpose="referral",
                   decision=decision, channel="referral")
    page = client_for(cast.bob).get(reverse("consent:disclosures", args=[cast.patient.public_id])).content.decode()
    assert "Bay Shelter" in page and "identity_contact" in page and "ana" in page


@pytest.mark.parametrize("name", ["person", "disclosures"])
def test_consent_lists_run_a_fixed_number_of_queries(cast, client_for, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safehaven.consent.decision import log_disclosure

    client = client_for(cast.ana)
    url = reverse(f"consent:{name}", args=[cast.patient.public_id])

    def count(n):
        for _i in range(n):
            g = grant(cast)
            decision = may_disclose(cast.patient, SHELTER, "referral", ["identity_contact"])
            log_disclosure(by=cast.ana, person=cast.patient, recipient=SHELTER, purpose="referral",
                           decision=decision, channel="referral")
            g.revoked_at = timezone.now()
            g.save()
            grant(cast)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    assert count(1) == count(6)


def test_a_report_not_yet_told_can_be_marked_as_told_by_the_care_team(cast, client_for):
    from safehaven.consent.actions import record_required_report

    teen = make_person(cast.ana, cast.site_a, "Teo", age_band="12-17")
    report = record_required_report(
        by=cast.ana, person=teen, recipient_category="child_protection", agency="County CPS",
        legal_basis="State law", categories=["identity_contact"], person_told=False,
    )
    page = client_for(cast.ana).get(reverse("consent:person", args=[teen.public_id])).content.decode()
    assert "They have not been told yet." in page
    url = reverse("consent:report_told", args=[report.public_id])
    assert client_for(cast.carol).post(url, {"how_told": "x"}).status_code == 404
    assert client_for(cast.fay).post(url, {"how_told": "x"}).status_code == 403
    refused = client_for(cast.ana).post(url, {"how_told": "  "}, follow=True)
    assert "Say how they were told about the report." in refused.content.decode()
    report.refresh_from_db()
    assert report.person_told_at is None
    client_for(cast.ana).post(url, {"how_told": "Ana, in person"})
    report.refresh_from_db()
    assert report.person_told_at is not None and report.how_told == "Ana, in person"


def test_every_control_on_the_consent_pages_has_a_label(cast, client_for):
    import re

    from tests.consent.helpers import encounter

    grant(cast)
    enc = encounter(cast)
    client = client_for(cast.alice)
    urls = [reverse(f"consent:{n}", args=[cast.patient.public_id]) for n in ("person", "new_grant", "disclosures")]
    urls += [reverse("consent:encounter_steps", args=[enc.public_id]), reverse("consent:expiring")]
    for url in urls:
        page = client.get(url).content.decode()
        assert "data-quick-exit" in page
        ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
        hidden = {i for _t, i in re.findall(r'<input[^>]*type="(hidden|submit)"[^>]*id="([^"]+)"', page)}
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        assert ids - hidden <= labelled, (url, ids - hidden - labelled)


def test_in_force_is_exactly_the_grants_whose_own_test_says_so(cast):
    # in_force filters in the database; each grant's is_in_force() must agree, at any moment.
    from safehaven.consent import queries

    now = timezone.now()
    day = datetime.timedelta(days=1)
    template = grant(cast)
    made = []
    for starts, expires, revoked in [
        (-10, 10, None), (-10, -1, None), (1, 10, None), (-10, 10, -1), (-10, 10, 2), (-5, 0, None),
    ]:
        row = ConsentGrant.objects.get(pk=template.pk)
        row.pk, row.id = None, None
        row.public_id = uuid.uuid4()
        row.starts_at, row.expires_at = now + starts * day, now + expires * day
        row.revoked_at = None if revoked is None else now + revoked * day
        row.save()
        made.append(row)
    everything = list(ConsentGrant.objects.filter(person=cast.patient))
    for moment in (now, now + 3 * day, now - 6 * day, now + 11 * day):
        expected = {g.pk for g in everything if g.is_in_force(moment)}
        assert {g.pk for g in queries.in_force(cast.patient, at=moment)} == expected
    assert {g.pk for g in queries.in_force(cast.patient, at=now)} >= {made[0].pk, made[4].pk}
    assert made[1].pk not in {g.pk for g in queries.in_force(cast.patient, at=now)}
