"""Query-planner statistics: refreshed after bulk loads and by the worker, cheaply."""

import pytest
from django.core.management import call_command
from django.db import connection

from safehaven.core import dbstats
from safehaven.people.models import Person

pytestmark = pytest.mark.django_db


def test_refresh_gives_the_planner_statistics(cast):
    Person.objects.bulk_create([Person(site=cast.site_a, chosen_name=f"S{i}", chosen_name_folded=f"s{i}")
                                for i in range(30)])
    seconds = dbstats.refresh()
    assert seconds < 5
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [Person._meta.db_table])
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Person._meta.db_table])
        rows = cursor.fetchall()
    assert rows, "no statistics were written for the people table"
    if connection.vendor == "sqlite":
        assert any(int(stat.split()[0]) >= 30 for (stat,) in rows)
    else:
        assert rows[0][0] >= 30


def test_every_runs_at_most_once_per_interval(monkeypatch):
    calls = []
    monkeypatch.setattr(dbstats, "refresh", lambda: calls.append(1))
    now = [0.0]
    every = dbstats.Every(interval=3600, clock=lambda: now[0])
    assert every() is True
    now[0] = 3599
    assert every() is False
    now[0] = 3601
    assert every() is True
    assert len(calls) == 2


def test_the_worker_keeps_the_statistics(cast, monkeypatch):
    calls = []
    monkeypatch.setattr(dbstats, "refresh", lambda: calls.append(1))
    call_command("worker", "--once", verbosity=0)
    assert calls == [1]


def test_a_bulk_load_refreshes_them(monkeypatch):
    from safehaven.core import synth

    calls = []
    monkeypatch.setattr(dbstats, "refresh", lambda: calls.append(1))
    synth.generate(patients=3, seed=5, progress=False)
    assert calls == [1]
