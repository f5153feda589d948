"""Query counts on the worklist and the chart stay the same as the data grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.people import actions
from safehaven.testing.factories import make_person

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_encounters(cast, n):
    for i in range(n):
        enc = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint=f"visit {i}")
        actions.write_note(by=cast.alice, encounter=enc, body=f"note {i}")


def test_chart_query_count_is_the_same_with_1_and_50_encounters(cast, client_for):
    client = client_for(cast.alice)
    url = reverse("people:chart", args=[cast.patient.public_id])
    add_encounters(cast, 1)
    client.get(url)  # warm the session
    with_one = count_queries(client, url)
    add_encounters(cast, 49)
    with_fifty = count_queries(client, url)
    assert with_one == with_fifty
    # The chart carries panels from several capabilities, each with a fixed query count;
    # this ceiling catches a panel that starts to query per row.
    assert with_fifty <= 60


def test_worklist_query_count_is_the_same_with_1_and_50_people(cast, client_for):
    client = client_for(cast.alice)
    url = reverse("people:worklist")
    client.get(url)
    with_one = count_queries(client, url)
    for i in range(49):
        person = make_person(cast.alice, cast.site_a, f"Person {i}")
        enc = actions.start_encounter(by=cast.alice, person=person, setting="outreach", chief_complaint="x")
        actions.write_note(by=cast.alice, encounter=enc, body="y")
    with_fifty = count_queries(client, url)
    assert with_one == with_fifty
    assert with_fifty <= 14


def test_encounter_history_query_count_is_the_same_with_1_and_60_encounters(cast, client_for):
    client = client_for(cast.alice)
    url = reverse("people:encounters", args=[cast.patient.public_id])
    add_encounters(cast, 1)
    client.get(url)
    with_one = count_queries(client, url)
    add_encounters(cast, 59)
    assert count_queries(client, url) == with_one
    assert count_queries(client, url + "?page=2") == with_one
