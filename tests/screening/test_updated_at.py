"""Responses and scored results know when they last changed (FHIR meta.lastUpdated, `_since`).

The screening date (`authored_at`, `effective_at`) stays what it was; `updated_at` moves
whenever the row changes, a correction included.
"""

import datetime
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from safehaven.fhir.common import instant
from safehaven.fhir.resources.screening import observation_to_fhir, response_to_fhir
from safehaven.screening import actions
from safehaven.screening.models import ScoredResult, ScreeningResponse

from .conftest import phq9_answers

LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.mark.django_db
def test_a_response_stopped_when_the_session_closes_was_updated_then(cast, instruments, private_session):
    gad7 = instruments["GAD7"]
    response = actions.record_response(by=cast.alice, session=private_session, instrument=gad7,
                                       raw={"/69725-0": "1"}, pause=True)
    ScreeningResponse.objects.filter(pk=response.pk).update(updated_at=LONG_AGO)
    actions.close_session(by=cast.alice, session=private_session, outcome="deferred")
    response.refresh_from_db()
    assert response.status == "stopped" and response.updated_at == private_session.ended_at
    assert response_to_fhir(response)["meta"]["lastUpdated"] == instant(private_session.ended_at)


@pytest.mark.django_db
def test_a_result_is_last_updated_when_it_was_scored(cast, instruments, private_session):
    phq9 = instruments["PHQ9"]
    before = timezone.now()
    actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                            raw=phq9_answers(phq9, [1] * 9))
    result = ScoredResult.objects.get()
    assert result.updated_at >= before and result.response.updated_at >= before
    assert observation_to_fhir(result)["meta"]["lastUpdated"] == instant(result.updated_at)


def _migrate(executor, target):
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_the_column_to_existing_rows_and_backfills_it(cast, instruments, private_session):
    """Rows written before the column existed: the screening date, or now when already corrected."""
    phq9 = instruments["PHQ9"]
    responses = [
        actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                                raw=phq9_answers(phq9, [1] * 9))
        for _ in range(2)
    ]
    plain, corrected = (ScoredResult.objects.get(response=r) for r in responses)
    amended = ScoredResult.objects.create(
        person=cast.patient, response=responses[1], code=corrected.code, value=corrected.value,
        status="amended", effective_at=corrected.effective_at, replaces=corrected)
    ScoredResult.objects.filter(pk=corrected.pk).update(status="entered-in-error")
    ScoredResult.objects.update(effective_at=LONG_AGO)
    ScreeningResponse.objects.update(authored_at=LONG_AGO)
    executor = MigrationExecutor(connection)
    latest = max(node for node in executor.loader.graph.leaf_nodes() if node[0] == "screening")
    try:
        _migrate(executor, ("screening", "0004_corrected_results"))
        started = timezone.now()
        _migrate(MigrationExecutor(connection), ("screening", "0005_updated_at"))
    finally:
        _migrate(MigrationExecutor(connection), latest)
    rows = {r.pk: r.updated_at for r in ScoredResult.objects.all()}
    assert rows[plain.pk] == LONG_AGO
    assert rows[corrected.pk] >= started and rows[amended.pk] >= started
    answered = {r.pk: r.updated_at for r in ScreeningResponse.objects.all()}
    assert answered[responses[0].pk] == LONG_AGO and answered[responses[1].pk] >= started
    # Rows written without the ORM (the benchmark's raw inserts) get the time of writing.
    table = connection.ops.quote_name(ScoredResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (public_id, person_id, response_id, system, code, display,"  # noqa: S608
            " interpretation, positive, status, effective_at, data_absent_reason)"
            " VALUES (%s, %s, %s, 'http://loinc.org', 'x', '', '', %s, 'final', %s, '')",
            ["0" * 32 if connection.vendor == "sqlite" else "00000000-0000-0000-0000-000000000000",
             cast.patient.pk, responses[0].pk, False, LONG_AGO],
        )
    raw = ScoredResult.objects.get(code="x")
    assert raw.updated_at >= started
    assert json.loads(json.dumps(observation_to_fhir(raw)))["meta"]["lastUpdated"] == instant(raw.updated_at)
