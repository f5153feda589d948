"""The research extract: consented people only, pseudonymous, shifted, k-anonymous or refused."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.consent.models import ConsentGrant, Disclosure
from safehaven.evaluation import research
from safehaven.people.models import Encounter, Person

pytestmark = pytest.mark.django_db
URL = reverse("evaluation:research")


def research_consent(cast, person, **extra):
    now = timezone.now()
    return ConsentGrant.objects.create(
        person=person, recipient_kind="category", recipient_label="Researchers", recipient_category="research",
        purposes=["research"], categories=["clinical_summary"], method="written", informed=True,
        recorded_by=cast.alice, starts_at=now - datetime.timedelta(days=1),
        expires_at=now + datetime.timedelta(days=90), **extra,
    )


def cohort(cast, n, *, consent=True, band="25-34", name="R"):
    people = []
    for i in range(n):
        person = Person.objects.create(site=cast.site_a, chosen_name=f"{name}{i}", chosen_name_folded=f"{name}{i}",
                                       age_band=band)
        Encounter.objects.create(person=person, site=cast.site_a, setting="community_clinic", chief_complaint="x",
                                 clinician=cast.alice, started_at=timezone.now() - datetime.timedelta(days=400))
        if consent:
            research_consent(cast, person)
        people.append(person)
    return people


def rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_it_requires_login_and_the_export_permission(cast, client, client_for):
    assert client.get(URL).status_code == 302
    for user in (cast.eve, cast.alice, cast.fay):
        assert client_for(user).get(URL).status_code == 403
    assert client_for(cast.erin).get(URL).status_code == 200


def test_only_people_who_consented_to_research_are_included(cast, client_for):
    consented = cohort(cast, 12)
    cohort(cast, 5, consent=False, name="N")
    revoked = cohort(cast, 1, name="X")[0]
    ConsentGrant.objects.filter(person=revoked).update(revoked_at=timezone.now())
    response = client_for(cast.erin).post(URL, {"study": "outcomes-2025", "k": 11})
    assert response.status_code == 200
    extract = rows(response)
    assert len(extract) == 12
    text = response.content.decode()
    for person in consented:
        assert str(person.public_id) not in text and person.chosen_name not in text
    assert Disclosure.objects.filter(channel="research-extract").count() == 12
    assert not Disclosure.objects.filter(person=revoked).exists()


def test_pseudonyms_are_keyed_per_study_and_dates_are_shifted(cast):
    people = cohort(cast, 11)
    first, _d, _p = research.build_extract(sites={cast.site_a.pk}, study="a", k=11)
    second, _d, _p = research.build_extract(sites={cast.site_a.pk}, study="b", k=11)
    assert {r["pseudonym"] for r in first.rows}.isdisjoint({r["pseudonym"] for r in second.rows})
    true_date = (timezone.localtime(timezone.now() - datetime.timedelta(days=400))).date().isoformat()
    assert all(r["first_visit"] != true_date for r in first.rows)
    key = research._key("a")
    shifts = {research.date_shift(key, p) for p in people}
    assert all(datetime.timedelta(days=-180) <= s <= datetime.timedelta(days=180) and s for s in shifts)
    assert all(r["age_band"] == "25-34" and r["region"] == "US-CA" for r in first.rows)


def test_it_refuses_an_extract_that_is_not_k_anonymous(cast, client_for):
    cohort(cast, 12)
    cohort(cast, 2, band="50-64", name="Old")  # two people would stand out
    response = client_for(cast.erin).post(URL, {"study": "s1", "k": 11})
    assert response.status_code == 400
    assert "refused" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert not Disclosure.objects.exists()
    with pytest.raises(research.NotAnonymous):
        research.build_extract(sites={cast.site_a.pk}, study="s1", k=11)
    # A smaller k (when the ethics approval allows it) is honoured.
    assert client_for(cast.erin).post(URL, {"study": "s1", "k": 2}).status_code == 200


def test_bad_input_is_refused_with_a_message(cast, client_for):
    client = client_for(cast.erin)
    for data in ({"study": "<script>", "k": 11}, {"study": "ok", "k": 1}, {"study": "ok", "k": "many"}, {}):
        response = client.post(URL, data)
        assert response.status_code == 400
        assert "errorlist" in response.content.decode()
        assert "<script>" not in response.content.decode()
