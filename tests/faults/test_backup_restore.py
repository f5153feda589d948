"""`safehaven backup` writes an encrypted, consistent backup; `safehaven restore` brings it back."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from safehaven.audit import chain
from safehaven.lib import backup
from safehaven.people import actions
from safehaven.people.models import Note, Person

pytestmark = pytest.mark.django_db(transaction=True)


def counts():
    return {m._meta.label_lower: m._base_manager.count() for m in backup._models()}


def wipe():
    for model in reversed(backup._models()):
        model._base_manager.all()._raw_delete(model._base_manager.db)


def test_backup_and_restore_bring_back_every_row_and_the_audit_chain(cast, tmp_path):
    enc = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="Backup me")
    actions.write_note(by=cast.alice, encounter=enc, body="A note that must survive")
    before = counts()
    path = tmp_path / "clinic.shbak"
    call_command("backup", str(path))
    raw = path.read_bytes()
    assert b"Rosalind" not in raw and b"A note that must survive" not in raw
    wipe()
    assert Person.objects.count() == 0
    call_command("restore", str(path))
    assert counts() == before
    assert chain.verify().ok
    assert Note.objects.get().body == "A note that must survive"
    assert Person.objects.get(pk=cast.patient.pk).legal_name == "Rosalind Quintero-Vasquez"


def test_restore_refuses_a_database_that_is_not_empty(cast, tmp_path):
    path = tmp_path / "b.shbak"
    call_command("backup", str(path))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path))


def test_a_damaged_or_truncated_backup_is_refused_and_changes_nothing(cast, tmp_path):
    path = tmp_path / "b.shbak"
    call_command("backup", str(path))
    data = path.read_bytes()
    wipe()
    truncated = tmp_path / "t.shbak"
    truncated.write_bytes(data[: len(data) - 20])
    with pytest.raises(CommandError, match="truncated|damaged"):
        call_command("restore", str(truncated))
    flipped = bytearray(data)
    flipped[-30] ^= 0xFF
    damaged = tmp_path / "d.shbak"
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged))
    assert Person.objects.count() == 0
    not_a_backup = tmp_path / "n.shbak"
    not_a_backup.write_text("hello")
    with pytest.raises(CommandError, match="not a Safe Haven backup"):
        call_command("restore", str(not_a_backup))


def test_backup_refuses_to_overwrite_a_file(cast, tmp_path):
    path = tmp_path / "exists.shbak"
    path.write_text("keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(path))
    assert path.read_text() == "keep me"


def test_every_model_is_in_the_backup():
    labels = {m._meta.label_lower for m in backup._models()}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            assert model._meta.label_lower in labels
