"""The background worker: Django's tasks framework with the database backend."""

import json

import pytest
from django.core.management import call_command
from django.tasks import task_backends
from django_tasks_db.models import DBTaskResult

from safehaven.followup import actions
from safehaven.followup.models import Reminder

pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_backend(settings):
    """Use the database task backend (Django resets its task backends on the change)."""
    settings.TASKS = DB_TASKS
    assert task_backends["default"].supports_defer


def test_scheduling_queues_a_task_that_the_worker_runs_once(cast, reachable, outbox, db_backend, monkeypatch):
    from safehaven.followup import contact

    monkeypatch.setattr(contact, "in_safe_hours", lambda prefs, moment: True)
    reminder = actions.schedule_reminder(by=cast.alice, person=reachable, kind="due_care", channel="sms")
    assert DBTaskResult.objects.count() == 1
    call_command("worker", "--once", stdout=open("/dev/null", "w"))
    reminder.refresh_from_db()
    assert reminder.state == "sent"
    call_command("worker", "--once", stdout=open("/dev/null", "w"))
    assert len(outbox.read_text().splitlines()) == 1
    assert json.loads(outbox.read_text())["to"] == "+1 555 0100"
    assert Reminder.objects.get().attempts == 1
