"""Search: open now across midnight and time zones, distance, filters, query counts."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehaven.directory import queries
from safehaven.directory.models import Language
from tests.directory.helpers import make_service

pytestmark = pytest.mark.django_db
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NY = zoneinfo.ZoneInfo("America/New_York")


def names(result):
    return {h.service.name for h in result.hits}


def at(zone, *args):
    return datetime.datetime(*args, tzinfo=zone)


def test_an_overnight_service_is_open_after_midnight_and_closed_in_the_afternoon():
    # Friday 22:00 to Saturday 02:00, Los Angeles time. 2024-06-07 is a Friday.
    make_service("Night Shelter", hours=("FR", "22:00", "02:00"))
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 7, 23, 30))) == {"Night Shelter"}
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 8, 1, 59))) == {"Night Shelter"}
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 8, 2, 0))) == set()
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 7, 21, 59))) == set()
    # Thursday night just after midnight is not Friday night.
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 7, 0, 30))) == set()


def test_open_now_uses_each_locations_own_time_zone():
    make_service("West Clinic", zone="America/Los_Angeles", hours=("MO", "09:00", "17:00"))
    make_service("East Clinic", zone="America/New_York", hours=("MO", "09:00", "17:00"))
    # Monday 2024-06-10 15:00 in New York is 12:00 in Los Angeles: both open.
    assert names(queries.search(open_now=True, at=at(NY, 2024, 6, 10, 15, 0))) == {"West Clinic", "East Clinic"}
    # 18:00 New York = 15:00 Los Angeles: only the west one.
    assert names(queries.search(open_now=True, at=at(NY, 2024, 6, 10, 18, 0))) == {"West Clinic"}
    # 07:00 Los Angeles = 10:00 New York: only the east one.
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 10, 7, 0))) == {"East Clinic"}
    # The same instant given in UTC gives the same answer.
    utc = at(LA, 2024, 6, 10, 7, 0).astimezone(datetime.UTC)
    assert names(queries.search(open_now=True, at=utc)) == {"East Clinic"}


def test_an_overnight_service_across_midnight_in_another_zone():
    # Sunday 23:00 to Monday 01:00 in New York; asked from Los Angeles on Sunday 21:30 (00:30 NY Monday).
    make_service("Late Line", zone="America/New_York", hours=("SU", "23:00", "01:00"))
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 9, 21, 30))) == {"Late Line"}
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 9, 22, 30))) == set()


def test_location_hours_open_every_service_there():
    from safehaven.directory import actions
    from safehaven.directory.models import Schedule

    service = make_service("Hall Service")
    location = service.service_at_locations.get().location
    Schedule.objects.create(location=location, time_zone="America/Los_Angeles", freq="WEEKLY",
                            byday="TU", opens_at=datetime.time(10), closes_at=datetime.time(12))
    actions.rebuild_search_index(service_ids=[service.pk])
    assert names(queries.search(open_now=True, at=at(LA, 2024, 6, 11, 11, 0))) == {"Hall Service"}


def test_distance_orders_by_nearest_and_respects_the_radius():
    make_service("Near", lat=37.80, lon=-122.27)
    make_service("Farther", lat=37.85, lon=-122.27)  # about 5.6 km north
    make_service("Far away", lat=34.05, lon=-118.24)  # Los Angeles
    result = queries.search(near=(37.80, -122.27), within_km=10)
    assert [h.service.name for h in result.hits] == ["Near", "Farther"]
    assert result.hits[1].distance_km == pytest.approx(5.56, abs=0.1)
    assert names(queries.search(near=(37.80, -122.27), within_km=2)) == {"Near"}


def test_confidential_locations_do_not_count_for_distance_or_show_for_other_roles(cast):
    make_service("Shelter", confidential=True, lat=37.80, lon=-122.27)
    assert names(queries.search(near=(37.80, -122.27), within_km=5)) == set()
    assert names(queries.search(viewer=cast.fay, near=(37.80, -122.27), within_km=5)) == set()
    hits = queries.search(viewer=cast.ana, near=(37.80, -122.27), within_km=5).hits
    assert [h.service.name for h in hits] == ["Shelter"] and hits[0].locations[0][1] is True
    plain = queries.search(viewer=cast.fay).hits
    assert plain[0].locations[0][1] is False


def test_filters_by_need_language_eligibility_cost_and_flags():
    a = make_service("Food for all", description="A food pantry.", free_of_charge=True)
    make_service("Youth housing", description="Housing for young people.", minimum_age=12, maximum_age=24,
                 serves_men=False, trauma_informed=True, serves_survivors=True)
    make_service("Court help", description="Legal help.", involves_law_enforcement=True)
    Language.objects.create(service=a, code="es", name="Spanish")
    from safehaven.directory.actions import rebuild_search_index

    rebuild_search_index()
    assert names(queries.search(domain="food")) == {"Food for all"}
    assert names(queries.search(domain="housing")) == {"Youth housing"}
    assert names(queries.search(language="es")) == {"Food for all"}
    assert names(queries.search(age=30)) == {"Food for all", "Court help"}
    assert names(queries.search(gender="man")) == {"Food for all", "Court help"}
    assert names(queries.search(free=True)) == {"Food for all"}
    assert names(queries.search(serves_survivors=True, trauma_informed=True)) == {"Youth housing"}
    assert "Court help" not in names(queries.search(exclude_law_enforcement=True))


def test_search_runs_the_same_number_of_queries_whatever_the_data_size():
    def count(**kwargs):
        with CaptureQueriesContext(connection) as ctx:
            queries.search(**kwargs)
        return len(ctx.captured_queries)

    for i in range(2):
        make_service(f"S{i}", hours=("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00"))
    kinds = [{}, {"open_now": True, "domain": "food"}, {"near": (37.8, -122.27), "within_km": 10}]
    small = [count(**k) for k in kinds]
    for i in range(2, 14):
        make_service(f"S{i}", hours=("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00"))
    assert [count(**k) for k in kinds] == small
