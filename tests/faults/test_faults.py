"""Faults: a process killed mid-write, the database going away, and recovery."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from safehaven.audit import chain
from safehaven.audit.models import AuditEvent
from safehaven.people.models import Person

ROOT = Path(__file__).resolve().parents[2]

KILL_MID_WRITE = r"""
import os, signal, django
django.setup()
from safehaven.audit import chain
from safehaven.accounts.models import Site, User
from safehaven.people import actions

original = chain.append
def append_then_die(events):
    original(events)          # the person row and its audit event are written...
    os.kill(os.getpid(), signal.SIGKILL)   # ...and the process dies before COMMIT
chain.append = append_then_die
actions.register_person(by=User.objects.get(username="alice"), site=Site.objects.get(name="Harbor Clinic"),
                        chosen_name="Half Written", age_band="25-34")
"""


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_mid_write_leaves_neither_the_change_nor_its_audit_event(cast):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a database file")
    before = AuditEvent.objects.count()
    connection.close()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="safehaven.settings", SAFEHAVEN_ENV="development",
               DATABASE_URL=_database_url())
    result = subprocess.run([sys.executable, "-c", KILL_MID_WRITE], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    assert not Person.objects.filter(chosen_name="Half Written").exists()
    assert AuditEvent.objects.count() == before
    assert chain.verify().ok
    # and the next write goes through normally
    from safehaven.people import actions

    actions.register_person(by=cast.alice, site=cast.site_a, chosen_name="Whole", age_band="25-34")
    assert chain.verify().ok


@pytest.mark.django_db
def test_database_unavailable_gives_a_plain_page_and_the_app_recovers(cast, client_for, monkeypatch):
    from safehaven.people import queries

    client = client_for(cast.alice)
    real = queries.worklist
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("could not connect to server: Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "worklist", flaky)
    down = client.get(reverse("people:worklist"))
    assert down.status_code == 503
    page = down.content.decode()
    assert "Temporarily unavailable" in page and "Traceback" not in page
    assert down["Retry-After"] == "30"
    assert client.get(reverse("people:worklist")).status_code == 200


@pytest.mark.django_db
def test_health_check_reports_the_database(client, monkeypatch):
    assert client.get(reverse("core:healthz")).json() == {"status": "ok"}
