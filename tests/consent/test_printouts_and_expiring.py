"""Printouts for the person in their language and plain words; consents about to expire."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.consent import actions, queries
from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
from safehaven.consent.models import Disclosure
from safehaven.testing.factories import make_person
from tests.consent.helpers import encounter, grant

pytestmark = pytest.mark.django_db
FORBIDDEN = ("traffick", "exploit", "abuse", "42 cfr")


@pytest.fixture
def printed(monkeypatch):
    """Capture the HTML handed to WeasyPrint instead of rendering a PDF (fast)."""
    pages: list[str] = []

    class FakeHTML:
        def __init__(self, string, **kwargs):
            pages.append(string)

        def write_pdf(self):
            return b"%PDF-1.7 fake"

    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    return pages


def shared_with_shelter(cast):
    grant(cast, categories=["identity_contact", "trafficking_related", "substance_use"])
    shelter = Recipient(kind="organization", category="housing", ref="org-shelter-1", label="Bay Shelter")
    decision = may_disclose(cast.patient, shelter, "referral", ["identity_contact", "trafficking_related"])
    log_disclosure(by=cast.ana, person=cast.patient, recipient=shelter, purpose="referral",
                   decision=decision, channel="referral")


def test_the_disclosure_log_prints_as_a_real_pdf(cast, client_for):
    shared_with_shelter(cast)
    response = client_for(cast.ana).get(reverse("consent:disclosures_pdf", args=[cast.patient.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "Who has received your information"),
     ("es", "Quién ha recibido su información"),
     ("fr", "Qui a reçu vos informations")],
)
def test_the_disclosure_log_prints_in_their_language_in_plain_words(cast, client_for, printed, lang, words):
    shared_with_shelter(cast)
    client_for(cast.ana).get(reverse("consent:disclosures_pdf", args=[cast.patient.public_id]), {"lang": lang})
    html = printed[0]
    assert words in html and f'lang="{lang}"' in html and "Bay Shelter" in html
    assert not any(word in html.lower() for word in FORBIDDEN)


def test_printing_is_logged_as_a_disclosure_to_the_person(cast, client_for, printed):
    client_for(cast.ana).get(reverse("consent:summary_pdf", args=[cast.patient.public_id]))
    d = Disclosure.objects.get()
    assert d.recipient_kind == "self" and d.channel == "print" and d.detail == {"document": "consent_summary"}


def test_the_summary_shows_their_choices_declines_and_a_neutral_heading(cast, client_for, printed):
    grant(cast, recipient_label="Casa Luz", categories=["mental_health"])
    enc = encounter(cast)
    actions.record_step_answer(by=cast.alice, encounter=enc, step="pelvic_genital", status="rejected")
    client = client_for(cast.ana)
    client.get(reverse("consent:summary_pdf", args=[cast.patient.public_id]), {"neutral": "1"})
    client.get(reverse("consent:summary_pdf", args=[cast.patient.public_id]))
    neutral, normal = printed
    assert "Casa Luz" in neutral and "Your mental health care" in neutral
    assert "Pelvic or genital exam" in neutral
    assert "Harbor Clinic" not in neutral and "Personal record" in neutral
    assert "Harbor Clinic" in normal


def test_a_required_report_is_shown_to_the_person_in_the_printout(cast, client_for, printed):
    teen = make_person(cast.ana, cast.site_a, "Teo", age_band="12-17")
    actions.record_required_report(
        by=cast.ana, person=teen, recipient_category="child_protection", agency="County CPS",
        legal_basis="State mandated reporter law", categories=["identity_contact"], person_told=False,
    )
    client_for(cast.ana).get(reverse("consent:disclosures_pdf", args=[teen.public_id]))
    assert "Reports the law required" in printed[0] and "County CPS" in printed[0]


def test_a_signed_consent_form_prints_the_drawn_signature(cast, client_for, printed):
    g = grant(cast, signature_image="M1 1 L50 50", signature_name="")
    client_for(cast.ana).get(reverse("consent:grant_pdf", args=[g.public_id]), {"lang": "es"})
    assert 'd="M1 1 L50 50"' in printed[0] and "Permiso para compartir información" in printed[0]


def test_a_blank_form_needs_a_consent_role_and_logs_nothing(cast, client_for, printed):
    assert client_for(cast.eve).get(reverse("consent:blank_form_pdf")).status_code == 403
    assert client_for(cast.ana).get(reverse("consent:blank_form_pdf"), {"lang": "fr"}).status_code == 200
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("name", ["disclosures_pdf", "summary_pdf"])
def test_printouts_follow_the_access_rules(cast, client, client_for, printed, name):
    url = reverse(f"consent:{name}", args=[cast.patient.public_id])
    assert client.get(url).status_code == 302
    assert client_for(cast.fay).get(url).status_code == 403
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.dan).get(url).status_code == 404
    assert not printed and not Disclosure.objects.exists()


# --- consents about to expire ------------------------------------------------------------

def test_expiring_lists_consents_ending_soon_for_my_people_only(cast):
    soon = grant(cast, days=5)
    grant(cast, days=60)
    revoked = grant(cast, days=3)
    actions.revoke_consent(by=cast.ana, grant=revoked, version=revoked.version)
    assert list(queries.expiring(cast.ana)) == [soon]
    assert list(queries.expiring(cast.carol)) == []
    assert list(queries.expiring([cast.site_a])) == [soon]
    assert list(queries.expiring([cast.site_b.pk])) == []
    assert list(queries.expiring(cast.ana, within_days=90)) != [soon]


def test_the_expiring_page_runs_a_fixed_number_of_queries(cast, client_for):
    client = client_for(cast.ana)

    def count(n):
        for i in range(n):
            person = make_person(cast.ana, cast.site_a, f"P{i}")
            grant(cast, person=person, days=3)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("consent:expiring"))
        assert response.status_code == 200
        return len(ctx)

    assert count(1) == count(5)


def test_the_expiring_page_explains_a_bad_number_of_days(cast, client_for):
    client = client_for(cast.ana)
    for days in ["abc", "0", "1000"]:
        response = client.get(reverse("consent:expiring"), {"days": days})
        assert response.status_code == 400 and "from 1 to 120" in response.content.decode()
    assert client_for(cast.eve).get(reverse("consent:expiring")).status_code == 403


def test_the_expiring_page_lists_names_and_dates(cast, client_for):
    grant(cast, days=2, recipient_label="Casa <i>Luz</i>")
    page = client_for(cast.ana).get(reverse("consent:expiring")).content.decode()
    assert "Rosa" in page and "Casa &lt;i&gt;Luz&lt;/i&gt;" in page


def test_the_summary_shows_documentation_decisions_without_the_code_or_its_words(cast, client_for, printed):
    from safehaven.screening.actions import record_health_concern

    record_health_concern(by=cast.alice, person=cast.patient, code="Z91.42", decided_with_person=True,
                          in_record=True, on_printouts=False, on_portal=False)
    client_for(cast.ana).get(reverse("consent:summary_pdf", args=[cast.patient.public_id]))
    html = printed[0]
    assert "What may be written down and where" in html
    assert "printed papers — no" in html and "your health record — yes" in html
    assert "Z91.42" not in html and not any(word in html.lower() for word in FORBIDDEN)
