"""Prepared queries (safehaven/lib/prepared.py): compiled once, bound each call, same rows as the ORM."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safehaven.lib import prepared as prepared_module
from safehaven.lib.prepared import many, prepared
from safehaven.people.actions import start_encounter
from safehaven.people.models import CareTeamMember, Encounter, Person
from safehaven.testing.factories import make_person

pytestmark = pytest.mark.django_db


@prepared(person=models.BigIntegerField())
def newest(person, *, limit):
    return Encounter.objects.filter(person_id=person).select_related("clinician").order_by("-started_at", "-id")[:limit]


@prepared(person=models.BigIntegerField(), since=models.DateTimeField())
def since(person, since):
    return Encounter.objects.filter(person_id=person, started_at__gte=since).order_by("started_at").values_list(
        "pk", flat=True)


@prepared(public_id=models.UUIDField())
def by_public_id(public_id):
    return Person.objects.filter(public_id=public_id).values("pk", "site_id")


def _people(cast):
    a, b = make_person(cast.alice, cast.site_a), make_person(cast.alice, cast.site_a, chosen_name="Iva")
    now = timezone.now()
    for n in range(4):
        start_encounter(by=cast.alice, person=a, setting="clinic", chief_complaint="cough",
                        started_at=now - dt.timedelta(days=n))
    start_encounter(by=cast.alice, person=b, setting="clinic", chief_complaint="rash", started_at=now)
    return a, b, now


def test_rows_match_the_orm_for_each_new_value(cast):
    a, b, now = _people(cast)
    for person in (a, b, a):
        got = newest.list(person=person.pk, limit=3)
        want = list(Encounter.objects.filter(person=person).order_by("-started_at", "-id")[:3])
        assert got == want
        assert all(isinstance(e, Encounter) and e.clinician_id == cast.alice.pk for e in got)
        assert got[0].clinician.username == cast.alice.username  # select_related kept
    assert len(newest.list(person=a.pk, limit=10)) == 4  # the limit is shape: its own compiled query
    assert newest.first(person=b.pk, limit=3).person_id == b.pk
    assert newest.list(person=-1, limit=3) == [] and newest.first(person=-1, limit=3) is None
    assert not newest.exists(person=-1, limit=1) and newest.exists(person=a.pk, limit=1)


def test_values_are_converted_as_the_orm_converts_them(cast):
    a, _b, now = _people(cast)
    assert len(since.list(person=a.pk, since=now - dt.timedelta(days=1, hours=1))) == 2
    assert since.list(person=a.pk, since=now + dt.timedelta(minutes=1)) == []
    assert by_public_id.list(public_id=a.public_id) == [{"pk": a.pk, "site_id": cast.site_a.pk}]
    assert by_public_id.list(public_id=str(a.public_id)) == [{"pk": a.pk, "site_id": cast.site_a.pk}]


def test_compiled_once_then_one_query_a_call(cast, monkeypatch):
    a, b, _now = _people(cast)
    monkeypatch.setattr(prepared_module, "CHECK", False)
    newest.list(person=a.pk, limit=2)
    compiles = []
    original = newest.build
    monkeypatch.setattr(newest, "build", lambda **kw: compiles.append(kw) or original(**kw))
    with CaptureQueriesContext(connection) as queries:
        newest.list(person=b.pk, limit=2)
        newest.list(person=a.pk, limit=2)
    assert compiles == [] and len(queries) == 2
    newest.list(person=a.pk, limit=97)  # a new shape (no other test uses 97) compiles again
    assert len(compiles) == 1


def test_values_are_parameters_never_sql_text(cast):
    a, _b, _now = _people(cast)
    sql = newest._compiled("default", {"limit": 2}).sql
    assert "%s" in sql and str(a.pk) not in sql
    with pytest.raises(ValidationError):  # the field refuses a malformed value before any SQL runs
        by_public_id.list(public_id="x' OR '1'='1")


def test_missing_value_and_non_queryset_are_clear_errors(cast):
    with pytest.raises(TypeError, match="needs values for person"):
        newest.list(limit=2)

    @prepared(x=models.IntegerField())
    def not_a_queryset(x):
        return [x]

    with pytest.raises(TypeError, match="must return a QuerySet"):
        not_a_queryset.list(x=1)
    with pytest.raises(TypeError, match="model field instance"):
        prepared(x=int)


def test_check_mode_catches_a_query_that_branches_on_its_value(cast):
    a, b, _now = _people(cast)

    @prepared(person=models.BigIntegerField())
    def branches(person):
        # Wrong on purpose: at preparation `person` is a marker, so this branch is frozen.
        if isinstance(person, int):
            return CareTeamMember.objects.none()
        return Encounter.objects.filter(person_id=person).order_by("pk")

    assert prepared_module.CHECK  # the test suite runs with the check on (tests/conftest.py)
    with pytest.raises(AssertionError, match="returned"):
        branches.list(person=a.pk)


def test_shapes_kept_are_bounded(cast, monkeypatch):
    monkeypatch.setattr(prepared_module, "MAX_SHAPES", 3)
    a, _b, _now = _people(cast)
    for limit in range(1, 8):
        newest.list(person=a.pk, limit=limit)
    assert len(newest._cache) <= 3


@prepared(ids=many(models.BigIntegerField()))
def encounters_in(ids):
    return Encounter.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)


def test_a_list_value_binds_each_item_and_its_length_is_shape(cast):
    a, b, _now = _people(cast)
    ids = sorted(Encounter.objects.filter(person__in=[a, b]).values_list("pk", flat=True))
    assert encounters_in.list(ids=ids[:2]) == ids[:2]
    assert encounters_in.list(ids=ids[2:4]) == ids[2:4]  # same length: same compiled query
    assert encounters_in.list(ids=[ids[0], ids[0], ids[-1]]) == [ids[0], ids[-1]]
    assert encounters_in.list(ids=[]) == []  # nothing to ask: no query at all
    assert encounters_in.list(ids=(i for i in ids)) == ids
    with pytest.raises(TypeError, match="many"):
        many(int)


def test_row_converters_are_worked_out_once_per_connection(cast, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    a, b, _now = _people(cast)
    monkeypatch.setattr(prepared_module, "CHECK", False)
    first = newest.list(person=a.pk, limit=4)  # dates come back as aware datetimes either way
    calls = []
    original = SQLCompiler.get_converters
    monkeypatch.setattr(SQLCompiler, "get_converters", lambda self, exprs: calls.append(1) or original(self, exprs))
    again = newest.list(person=a.pk, limit=4)
    assert calls == [] and again == first
    assert [e.started_at for e in again] == [e.started_at for e in first]
    assert all(e.started_at.tzinfo is not None for e in again)
