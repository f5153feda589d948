"""The years offered on the dashboard come from the first visit at the evaluator's sites."""

import datetime

import pytest
from django.utils import timezone

from safehaven.evaluation.measures import available_years
from safehaven.people.models import Encounter, Person

pytestmark = pytest.mark.django_db


def _visit(cast, site, year):
    person = Person.objects.create(site=site, chosen_name=f"Y{year}", chosen_name_folded=f"y{year}")
    Encounter.objects.create(person=person, site=site, setting="community_clinic", chief_complaint="x",
                             clinician=cast.alice, status="finished",
                             started_at=timezone.make_aware(datetime.datetime(year, 6, 1)))


def test_years_reach_back_to_the_first_visit_at_these_sites(cast, django_assert_max_num_queries):
    this_year = timezone.localdate().year
    _visit(cast, cast.site_a, this_year - 8)
    _visit(cast, cast.site_b, this_year - 12)
    with django_assert_max_num_queries(1):
        years = available_years([cast.site_a.pk])
    assert years[0] == this_year and years[-1] == this_year - 8
    assert available_years([cast.site_a.pk, cast.site_b.pk])[-1] == this_year - 12


def test_at_least_five_years_without_visits(cast):
    this_year = timezone.localdate().year
    assert available_years([cast.site_a.pk]) == list(range(this_year, this_year - 5, -1))
