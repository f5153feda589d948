"""Needs assessment: default domains, history, what changed, the urgent pathway, access."""

import pytest
from django.db import connection
from django.urls import reverse

from safehaven.careplans.domains import DEFAULT_DOMAINS
from safehaven.careplans.models import CaseTask, NeedDomain, NeedRating, NeedsAssessment
from tests.careplans.helpers import assess, url

pytestmark = pytest.mark.django_db


def test_the_default_domains_are_installed_with_stable_codes(cast):
    codes = list(NeedDomain.objects.values_list("code", flat=True))
    assert codes == [code for code, *_ in DEFAULT_DOMAINS]
    assert len(codes) == 21
    for code in ("substance-use", "education", "family-reunification", "family-reconciliation", "immigration"):
        assert code in codes
    assert list(NeedDomain.objects.filter(has_emergency=True).values_list("code", flat=True)) == ["substance-use"]


def test_a_domain_a_clinic_adds_is_assessed_too(cast, client_for):
    NeedDomain.objects.create(code="pets", label="Pets", order=999)
    page = client_for(cast.ana).get(url("needs", cast.patient)).content.decode()
    assert "Pets: status" in page


def test_an_assessment_rates_every_active_domain(cast):
    assessment = assess(cast, housing={"status": "urgent", "priority": "high", "notes": "Sleeping in a car"})
    ratings = {r.domain.code: r for r in assessment.ratings.select_related("domain")}
    assert len(ratings) == 21
    assert ratings["housing"].status == "urgent" and ratings["housing"].priority == "high"
    assert ratings["legal"].status == "not_assessed"


def test_notes_are_encrypted_at_rest(cast):
    assess(cast, housing={"status": "need", "notes": "Sleeping in a blue car"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM careplans_needrating WHERE notes <> ''")
        raw = [row[0] for row in cursor.fetchall()]
    assert raw and all("blue car" not in value for value in raw)


def test_the_change_view_shows_only_what_changed_since_last_time(cast, client_for):
    assess(cast, housing="crisis", legal="need", employment="need")
    second = assess(cast, housing="stable", legal="urgent", employment="need")
    page = client_for(cast.ana).get(url("assessment", second)).content.decode()
    assert "What changed since last time" in page
    assert "Shelter and housing" in page and "Better" in page
    assert "Legal" in page and "Worse" in page
    assert "Employment and job training" not in page  # unchanged, hidden by default
    everything = client_for(cast.ana).get(url("assessment", second) + "?all=1").content.decode()
    assert "Employment and job training" in everything


def test_a_reassessment_starts_from_the_last_answers(cast, client_for):
    assess(cast, housing="urgent")
    page = client_for(cast.ana).get(url("needs", cast.patient)).content.decode()
    assert '<option value="urgent" selected>' in page


def test_history_lists_every_assessment_newest_first(cast, client_for):
    first = assess(cast, housing="crisis")
    second = assess(cast, housing="need")
    page = client_for(cast.ana).get(url("needs", cast.patient)).content.decode()
    assert page.index(str(second.public_id)) < page.index(str(first.public_id))


def test_a_substance_use_emergency_opens_the_urgent_pathway(cast, client_for):
    client = client_for(cast.ana)
    data = {"status_substance-use": "crisis", "emergency_substance-use": "on"}
    response = client.post(url("needs", cast.patient), data)
    assert response.status_code == 302
    task = CaseTask.objects.get(person=cast.patient)
    assert task.kind == "urgent_substance_use" and task.priority == "stat" and task.status == "requested"
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Urgent pathway open." in chart
    caseload = client.get(reverse("careplans:caseload")).content.decode()
    assert "Urgent substance-use pathway" in caseload


def test_an_emergency_needs_a_crisis_or_urgent_status(cast, client_for):
    response = client_for(cast.ana).post(url("needs", cast.patient), {
        "status_substance-use": "stable", "emergency_substance-use": "on", "notes_housing": "kept",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "An emergency needs the status" in page and "kept" in page
    assert not NeedsAssessment.objects.exists() and not CaseTask.objects.exists()


def test_bad_answers_are_refused_with_a_message_and_nothing_is_saved(cast, client_for):
    response = client_for(cast.ana).post(url("needs", cast.patient), {"status_housing": "terrible"})
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not NeedRating.objects.exists()


def test_declining_to_discuss_is_a_status_of_its_own(cast):
    assessment = assess(cast, immigration="declined")
    assert assessment.ratings.get(domain__code="immigration").get_status_display() == "Declined to discuss"


def test_hostile_text_in_notes_is_harmless(cast, client_for):
    client = client_for(cast.ana)
    hostile = "<script>alert(1)</script>' OR 1=1 -- \u202e\x07"
    response = client.post(url("needs", cast.patient), {"status_housing": "need", "notes_housing": hostile})
    assert response.status_code == 302
    rating = NeedRating.objects.get(domain__code="housing")
    assert "\x07" not in rating.notes and "OR 1=1" in rating.notes
    page = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    null = client.post(url("needs", cast.patient), {"status_housing": "need", "notes_housing": "a\x00b"})
    assert null.status_code == 400 and "Null characters are not allowed" in null.content.decode()


def test_needs_pages_require_login(cast, client):
    response = client.get(url("needs", cast.patient))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_needs_pages_refuse_roles_without_care_access(cast, client_for):
    for user in (cast.fay, cast.eve, cast.erin, cast.tom):
        assert client_for(user).get(url("needs", cast.patient)).status_code == 403


def test_a_nurse_sees_the_needs_summary_on_the_chart_but_not_the_case_pages(cast, client_for):
    assess(cast, housing="crisis")
    client = client_for(cast.bob)
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Shelter and housing" in chart and url("needs", cast.patient) not in chart
    assert client.get(url("needs", cast.patient)).status_code == 403
    assert client.post(url("needs", cast.patient), {"status_housing": "need"}).status_code == 403


def test_needs_are_404_for_another_team_and_another_site(cast, client_for):
    assessment = assess(cast, housing="need")
    for user in (cast.carol, cast.dan):
        client = client_for(user)
        assert client.get(url("needs", cast.patient)).status_code == 404
        assert client.get(url("assessment", assessment)).status_code == 404
        assert client.post(url("needs", cast.patient), {"status_housing": "need"}).status_code == 404
    assert client_for(cast.ana).get(url("assessment", "not-a-uuid")).status_code == 404
