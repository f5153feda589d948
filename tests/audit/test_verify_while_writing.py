"""`safehaven audit verify` gives no false alarm while writers append, and still catches
tampering.

The verifier reads the checkpoint (AuditHead) and then the events. An honest append between
those reads adds events past the checkpoint it read; that must not look like "events written
around the chain". The tests make appends land exactly there (by wrapping the verifier's
reads), in the same connection and, with a real second connection, while it holds its snapshot.
"""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from safehaven.audit import chain
from safehaven.audit.actions import record
from safehaven.audit.models import AuditEvent, AuditHead


def append(n: int = 1, label: str = "writer") -> None:
    with transaction.atomic():
        for i in range(n):
            record(by=label, action="test.append", detail={"i": i})


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def append_after_head_read(monkeypatch):
    """Make an honest append happen right after the verifier first reads the checkpoint."""
    real = chain._read_head
    calls = {"n": 0}

    def read_then_someone_appends():
        head = real()
        calls["n"] += 1
        if calls["n"] == 1:
            append(3)
        return head

    monkeypatch.setattr(chain, "_read_head", read_then_someone_appends)
    return calls


@pytest.mark.django_db
def test_appends_between_reading_the_checkpoint_and_the_events_are_no_alarm(append_after_head_read):
    append(5)
    result = chain.verify()
    assert result.ok, result.message
    assert result.checked == AuditEvent.objects.count() == 8


@pytest.mark.django_db
def test_appends_between_batches_of_events_are_no_alarm(monkeypatch):
    append(5)
    real = chain._read_events
    calls = {"n": 0}

    def read_then_someone_appends(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] in (2, 4):
            append(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(chain, "_read_events", read_then_someone_appends)
    result = chain.verify(batch_size=2)
    assert result.ok, result.message
    assert result.checked == AuditEvent.objects.count() == 9


@pytest.mark.django_db
def test_an_edited_row_is_still_caught_while_someone_appends(append_after_head_read):
    append(5)
    target = AuditEvent.objects.order_by("seq")[2]
    raw("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["mallory", target.pk])
    result = chain.verify()
    assert not result.ok and result.first_bad_seq == target.seq and "altered" in result.message


@pytest.mark.django_db
def test_a_removed_tail_is_still_caught():
    append(5)
    last = AuditEvent.objects.order_by("-seq").first()
    raw("DELETE FROM audit_auditevent WHERE seq = %s", [last.seq])
    result = chain.verify()
    assert not result.ok and "tail was removed" in result.message


@pytest.mark.django_db
def test_a_row_written_around_the_chain_is_caught_though_the_checkpoint_is_read_again():
    """Past the checkpoint, and still past it when read again: an insertion, not an append."""
    append(3)
    head = AuditHead.objects.get(pk=1)
    forged = AuditEvent(seq=head.seq + 1, at=head.updated_at, actor_id="system", actor_label="mallory",
                        action="test.forged", ip="", prev_hash=head.hash)
    forged.hash = chain.event_hash(head.hash, chain._content(forged))
    AuditEvent.objects.bulk_create([forged])
    result = chain.verify()
    assert not result.ok and "not written through the chain" in result.message


# --- a real second connection, while the verifier holds its snapshot ----------------------


def append_from_another_connection(n: int) -> None:
    errors: list[BaseException] = []

    def work():
        try:
            append(n, label="other-connection")
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the writer was blocked by the verifier"
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_verify_reads_one_snapshot_while_another_connection_commits(monkeypatch, capsys):
    append(4)
    real = chain._read_head
    calls = {"n": 0}

    def read_then_another_connection_appends():
        head = real()
        calls["n"] += 1
        if calls["n"] == 1:
            append_from_another_connection(3)  # commits while the verifier is mid-way
        return head

    monkeypatch.setattr(chain, "_read_head", read_then_another_connection_appends)
    result = chain.verify()
    assert result.ok, result.message
    # the verifier saw the log as of its first read: the writer neither waited nor showed up
    assert result.checked == 4
    assert AuditEvent.objects.count() == 7
    assert not connection.in_atomic_block

    calls["n"] = 0
    call_command("audit", "verify")
    assert capsys.readouterr().out.startswith("OK: 7 events verified")
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True)
def test_the_command_still_reports_an_edit_made_while_writers_append(monkeypatch):
    append(4)
    target = AuditEvent.objects.order_by("seq")[1]
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["edited", target.pk])
    real = chain._read_head

    def read_then_another_connection_appends():
        head = real()
        append_from_another_connection(1)
        return head

    monkeypatch.setattr(chain, "_read_head", read_then_another_connection_appends)
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
