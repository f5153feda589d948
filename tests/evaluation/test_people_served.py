"""People served, new, returning and retained: the SQL-backed count equals a plain reference.

The reference below is the obvious per-visit computation (a set of people per cell, calendar
months with dateutil on the local calendar); the product's version pushes the quarter into SQL and counts each
distinct key once, so it stays fast at 100,000 people. They must agree on every data set,
including visits at quarter and year boundaries in local time and first visits at month ends.
"""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safehaven.evaluation.measures import ALL, RETENTION_MONTHS, _people_served
from safehaven.people.models import Encounter, Person

pytestmark = pytest.mark.django_db
YEAR = 2025
TODAY = datetime.date(2026, 3, 31)


def reference(year, site_ids, today):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime(year, 1, 1), tz)
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1), tz)
    everything = list(Encounter.objects.values_list("person_id", "site_id", "started_at"))
    first = {}
    last = {}
    everything = [(pid, site, timezone.localtime(when)) for pid, site, when in everything]
    for pid, _site, when in everything:
        first[pid] = min(first.get(pid, when), when)
        last[pid] = max(last.get(pid, when), when)
    sets = {}

    def add(row, cell, pid):
        sets.setdefault(row, {}).setdefault(cell, set()).add(pid)

    for pid, site_id, when in everything:
        if site_id not in site_ids or not (start <= when < end):
            continue
        local = timezone.localtime(when)
        quarter = f"Q{(local.month - 1) // 3 + 1}"
        local_first = timezone.localtime(first[pid])
        for site in (site_id, ALL):
            for period in (quarter, "Y"):
                is_new = local_first.year == year and (
                    period == "Y" or f"Q{(local_first.month - 1) // 3 + 1}" == period)
                add("served", (site, period), pid)
                add("new" if is_new else "returning", (site, period), pid)
                if is_new:
                    for months in RETENTION_MONTHS:
                        if (first[pid] + relativedelta(months=months)).date() <= today:
                            add(f"eligible_{months}", (site, period), pid)
                            kept = last[pid] >= first[pid] + relativedelta(months=months)
                            add(f"{'retained' if kept else 'lost'}_{months}", (site, period), pid)
    return {row: {cell: len(people) for cell, people in cells.items()} for row, cells in sets.items()}


# Moments chosen to sit on the edges that matter: quarter and year boundaries in local time,
# month ends (calendar-month arithmetic clamps), and ordinary days.
EDGE_DAYS = [
    (2024, 12, 31, 23), (2025, 1, 1, 0), (2025, 1, 31, 12), (2025, 3, 31, 23), (2025, 4, 1, 0),
    (2025, 6, 30, 22), (2025, 7, 1, 1), (2025, 8, 31, 10), (2025, 9, 30, 23), (2025, 10, 1, 0),
    (2025, 10, 31, 9), (2025, 12, 31, 23), (2026, 1, 1, 0), (2026, 1, 31, 8), (2026, 2, 28, 12),
    (2025, 11, 30, 12), (2025, 12, 31, 0), (2026, 3, 31, 12), (2025, 2, 28, 12), (2025, 5, 15, 12),
]
visit = st.tuples(st.integers(0, 5), st.integers(0, 1), st.sampled_from(EDGE_DAYS),
                  st.integers(-90, 90))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(visit, min_size=1, max_size=30))
def test_counts_equal_the_reference(cast, visits):
    Encounter.objects.all().delete()
    Person.objects.filter(chosen_name__startswith="PS").delete()
    sites = [cast.site_a, cast.site_b]
    people = [Person.objects.create(site=cast.site_a, chosen_name=f"PS{i}", chosen_name_folded=f"ps{i}")
              for i in range(6)]
    tz = timezone.get_current_timezone()
    rows = []
    for person_index, site_index, (y, m, d, h), shift_minutes in visits:
        when = timezone.make_aware(datetime.datetime(y, m, d, h), tz)
        if abs(shift_minutes) > 60:  # some visits away from the edge by days, not minutes
            when += datetime.timedelta(days=shift_minutes)
        else:
            when += datetime.timedelta(minutes=shift_minutes)
        rows.append(Encounter(person=people[person_index], site=sites[site_index], setting="community_clinic",
                              chief_complaint="x", clinician=cast.alice, started_at=when, status="finished"))
    Encounter.objects.bulk_create(rows)
    for site_ids in ([cast.site_a.pk, cast.site_b.pk], [cast.site_a.pk]):
        expected = reference(YEAR, site_ids, TODAY)
        got = {row: {cell: n for cell, n in cells.items() if n} for row, cells in
               _people_served(YEAR, site_ids, TODAY).items()}
        assert got == expected


def test_the_year_is_read_with_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    person = Person.objects.create(site=cast.site_a, chosen_name="PSq", chosen_name_folded="psq")
    Encounter.objects.bulk_create([
        Encounter(person=person, site=cast.site_a, setting="community_clinic", chief_complaint="x",
                  clinician=cast.alice, status="finished",
                  started_at=timezone.make_aware(datetime.datetime(YEAR, 1 + i % 12, 3)))
        for i in range(40)
    ])
    with django_assert_max_num_queries(2):
        counts = _people_served(YEAR, [cast.site_a.pk], TODAY)
    assert counts["served"][(ALL, "Y")] == 1


@pytest.mark.parametrize("first,later,retained_2,eligible_12", [
    ((2025, 1, 31, 12), (2025, 3, 31, 12), True, True),    # Jan 31 + 2 months is Mar 31: 59 days
    ((2025, 1, 31, 12), (2025, 3, 31, 11), False, True),   # an hour short
    ((2025, 8, 31, 12), (2025, 10, 31, 12), True, False),  # 61 days; + 12 months is after today
    ((2025, 8, 31, 12), (2025, 10, 31, 11), False, False),
    ((2025, 3, 31, 10), (2025, 5, 31, 10), True, True),    # first + 12 months = today: eligible
    ((2025, 4, 1, 10), (2025, 6, 1, 10), True, False),     # first + 12 months is after today
])
def test_calendar_month_edges(cast, first, later, retained_2, eligible_12):
    tz = timezone.get_current_timezone()
    person = Person.objects.create(site=cast.site_a, chosen_name="PSe", chosen_name_folded="pse")
    Encounter.objects.bulk_create([
        Encounter(person=person, site=cast.site_a, setting="community_clinic", chief_complaint="x",
                  clinician=cast.alice, status="finished",
                  started_at=timezone.make_aware(datetime.datetime(*moment), tz).astimezone(datetime.UTC))
        for moment in (first, later)
    ])
    got = _people_served(YEAR, [cast.site_a.pk], TODAY)
    assert got == reference(YEAR, [cast.site_a.pk], TODAY)
    assert got.get("retained_2", {}).get((ALL, "Y"), 0) == int(retained_2)
    assert got.get("eligible_12", {}).get((ALL, "Y"), 0) == int(eligible_12)


def test_a_person_missing_from_the_spans_read_is_left_out_not_a_crash(cast, monkeypatch):
    """A person whose span read comes back without them (their visits removed between the
    two reads) is left out of this read instead of breaking the dashboard."""
    person = Person.objects.create(site=cast.site_a, chosen_name="PSr", chosen_name_folded="psr")
    Encounter.objects.create(person=person, site=cast.site_a, setting="community_clinic", chief_complaint="x",
                             clinician=cast.alice, status="finished",
                             started_at=timezone.make_aware(datetime.datetime(YEAR, 5, 3)))
    original = Encounter.objects.filter

    def filter_without_spans(*args, **kwargs):
        qs = original(*args, **kwargs)
        if "person_id__in" in kwargs:
            return qs.none()
        return qs

    monkeypatch.setattr(Encounter.objects, "filter", filter_without_spans)
    counts = _people_served(YEAR, [cast.site_a.pk], TODAY)
    assert counts.get("served", {}).get((ALL, "Y"), 0) == 0
