"""Every access to patient data is audited in a tamper-evident chain."""

import subprocess
import sys

import pytest
from django.db import connection, transaction
from django.urls import reverse

from safehaven.audit import chain
from safehaven.audit.actions import record
from safehaven.audit.models import AuditEvent, AuditHead
from safehaven.people import actions

pytestmark = pytest.mark.django_db


def make_events(cast, n=5):
    with transaction.atomic():
        for i in range(n):
            record(by=cast.alice, action="test.event", person=cast.patient, detail={"i": i})


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_chain_verifies_when_untouched(cast):
    make_events(cast)
    result = chain.verify()
    assert result.ok and result.checked == AuditEvent.objects.count()


def test_an_appended_event_is_stored_field_for_field_and_chained(cast):
    # append() writes one event with its own SQL (built from the model's fields); what the
    # ORM reads back must be exactly what was chained, and the checkpoint must move.
    before = AuditHead.objects.get(pk=1)
    with transaction.atomic():
        event = record(by=cast.alice, action="test.stored", obj=cast.patient,
                       detail={"via": "care_team", "n": 3, "nested": {"ok": True}}, reason="r" * 600,
                       ip="192.0.2.7")
    assert event.pk is not None and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(event, field.attname), field.name
    assert stored.detail == {"via": "care_team", "n": 3, "nested": {"ok": True}}
    assert len(stored.reason) == 500 and stored.at.tzinfo is not None
    assert stored.hash == chain.event_hash(stored.prev_hash, chain._content(stored))
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash, stored.seq) == (before.seq + 1, stored.hash, before.seq + 1)
    assert head.mac == chain.head_mac(head.seq, head.hash)
    assert chain.verify().ok


def test_verifier_catches_an_edited_row(cast):
    make_events(cast)
    target = AuditEvent.objects.filter(action="test.event").order_by("seq")[2]
    raw("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["mallory", target.pk])
    result = chain.verify()
    assert not result.ok and result.first_bad_seq == target.seq and "altered" in result.message


def test_verifier_catches_a_deleted_row(cast):
    make_events(cast)
    target = AuditEvent.objects.filter(action="test.event").order_by("seq")[1]
    raw("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    result = chain.verify()
    assert not result.ok and result.first_bad_seq == target.seq and "missing" in result.message


def test_verifier_catches_a_truncated_tail(cast):
    make_events(cast)
    last = AuditEvent.objects.order_by("-seq").first()
    raw("DELETE FROM audit_auditevent WHERE seq >= %s", [last.seq - 1])
    result = chain.verify()
    assert not result.ok and "tail was removed" in result.message


def test_verifier_catches_a_forged_checkpoint(cast):
    make_events(cast)
    last = AuditEvent.objects.order_by("-seq").first()
    raw("DELETE FROM audit_auditevent WHERE seq = %s", [last.seq])
    AuditHead.objects.filter(pk=1).update(seq=last.seq - 1, hash=last.prev_hash)
    result = chain.verify()
    assert not result.ok and "checkpoint was altered" in result.message


def test_events_cannot_be_changed_or_deleted_through_the_orm(cast):
    make_events(cast, 1)
    event = AuditEvent.objects.last()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()




def test_a_failed_change_leaves_no_audit_event(cast):
    before = AuditEvent.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("url_name", ["chart", "worklist", "encounter", "api_person", "api_people"])
def test_every_patient_data_view_writes_an_audit_event(cast, client_for, url_name):
    encounter = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
    urls = {
        "chart": reverse("people:chart", args=[cast.patient.public_id]),
        "worklist": reverse("people:worklist"),
        "encounter": reverse("people:encounter", args=[encounter.public_id]),
        "api_person": reverse("api:person", args=[cast.patient.public_id]),
        "api_people": reverse("api:people"),
    }
    before = AuditEvent.objects.count()
    response = client_for(cast.alice).get(urls[url_name])
    assert response.status_code == 200
    new = AuditEvent.objects.filter(seq__gt=before, actor_label="alice")
    assert new.exists()
    assert chain.verify().ok


def test_administrator_sees_who_opened_a_record(cast, client_for):
    client_for(cast.bob).get(reverse("people:chart", args=[cast.patient.public_id]))
    page = client_for(cast.erin).get(reverse("audit:person", args=[cast.patient.public_id])).content.decode()
    assert "bob" in page and "person.view" in page
    assert client_for(cast.alice).get(reverse("audit:person", args=[cast.patient.public_id])).status_code == 403
    assert client_for(cast.erin).get(reverse("audit:person", args=[cast.other_patient.public_id])).status_code == 404


def test_audit_log_page_lists_events_of_my_sites_only(cast, client_for):
    client_for(cast.dan).get(reverse("people:chart", args=[cast.other_patient.public_id]))
    page = client_for(cast.erin).get(reverse("audit:log")).content.decode()
    assert "dan" not in page
    assert "alice" in page


def test_safehaven_audit_verify_command_reports_a_break(cast, tmp_path):
    from django.core.management import call_command

    make_events(cast)
    call_command("audit", "verify")
    target = AuditEvent.objects.order_by("seq")[1]
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["edited", target.pk])
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1


def test_console_command_help_explains_each_command():
    result = subprocess.run([sys.executable, "-m", "safehaven.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for name in ("demo", "synth", "audit", "keys"):
        assert f"  {name}" in result.stdout


def test_an_append_works_on_a_database_without_insert_returning(cast, monkeypatch):
    # Only SQLite before 3.35 lacks INSERT ... RETURNING; PostgreSQL always has it.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    batches = []
    real = AuditEvent.objects.bulk_create
    monkeypatch.setattr(AuditEvent.objects, "bulk_create", lambda objs, **kw: batches.append(objs) or real(objs, **kw))
    with transaction.atomic():
        record(by=cast.alice, action="test.no_returning", obj=cast.patient)
    assert len(batches) == 1  # Django's own insert, not the statement that needs RETURNING
    stored = AuditEvent.objects.get(action="test.no_returning")
    assert stored.hash == chain.event_hash(stored.prev_hash, chain._content(stored))
    assert AuditHead.objects.get(pk=1).seq == stored.seq and chain.verify().ok
