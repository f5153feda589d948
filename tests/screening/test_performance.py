"""The paused-response lookup uses the (session, instrument, status) index (issue #10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.screening import actions
from safehaven.screening.models import ScreeningResponse

pytestmark = pytest.mark.django_db


def paused_lookups(queries):
    return [q["sql"] for q in queries
            if 'FROM "screening_screeningresponse"' in q["sql"] and "'in-progress'" in q["sql"]
            and '"instrument_id" =' in q["sql"]]


def test_the_index_exists():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ScreeningResponse._meta.db_table)
    index = constraints["screen_resp_session"]
    assert index["index"] and index["columns"] == ["session_id", "instrument_id", "status"]


def test_pausing_resuming_and_finishing_look_up_the_paused_response_through_the_index(
    cast, client_for, instruments, private_session
):
    phq9 = instruments["PHQ9"]
    gad7 = instruments["GAD7"]
    for _ in range(3):  # other responses to the same instrument, as at a busy clinic
        other = actions.start_session(by=cast.alice, person=cast.patient)
        actions.record_privacy(by=cast.alice, session=other, alone=True)
        actions.record_confidentiality(by=cast.alice, session=other)
        actions.record_response(by=cast.alice, session=other, instrument=phq9, raw={}, pause=True)
    actions.record_response(by=cast.alice, session=private_session, instrument=gad7, raw={}, pause=True)
    url = reverse("screening:tablet_ask", args=[private_session.public_id, phq9.public_id])
    client = client_for(cast.alice)
    with CaptureQueriesContext(connection) as pause:
        client.post(url, {"a0": "1", "pause": "1"})
    with CaptureQueriesContext(connection) as resume:
        page = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as finish:
        client.post(url, {"a0": "1", "a1": "2"})
    assert 'name="a0" value="1" checked' in page
    saved = ScreeningResponse.objects.get(session=private_session, instrument=phq9)
    assert saved.status == "completed"
    # one lookup in the page and one in the write path, as before the index
    assert [len(paused_lookups(c.captured_queries)) for c in (pause, resume, finish)] == [2, 1, 2]
    if connection.vendor != "sqlite":
        return
    for sql in paused_lookups(pause.captured_queries + resume.captured_queries):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "screen_resp_session" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
