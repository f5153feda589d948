# ruff: noqa: S608 -- the append statements name tables and columns from model metadata; every value is a parameter.
"""Write and verify the audit chain."""

import hashlib
import hmac
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safehaven.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode()


def event_hash(prev_hash: str, fields: dict) -> str:
    """Return the HMAC of an event's content chained to the previous hash."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(), f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


def head_mac(seq: int, head: str) -> str:
    """Return the HMAC that seals the checkpoint row."""
    return hmac.new(_key(), f"head|{seq}|{head}".encode(), hashlib.sha256).hexdigest()


def _content(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "person_id": event.person_id,
        "site_id": event.site_id,
        "reason": event.reason,
        "detail": event.detail,
        "ip": event.ip,
    }


# Nearly every request writes one event, so the three statements of an append are SQL
# written once from the models' own fields, not built by the ORM each time (about 0.8 ms of
# CPU a request). Values still go through each field's get_db_prep_save().
_SQL: dict[str, tuple[str, str, str, list]] = {}


def _statements(connection) -> tuple[str, str, str, list]:
    if connection.vendor not in _SQL:
        q = connection.ops.quote_name
        event_fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
        head, events = q(AuditHead._meta.db_table), q(AuditEvent._meta.db_table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        _SQL[connection.vendor] = (
            f"SELECT {q('seq')}, {q('hash')} FROM {head} WHERE {q('id')} = 1{lock}",
            f"INSERT INTO {events} ({', '.join(q(f.column) for f in event_fields)})"
            f" VALUES ({', '.join(['%s'] * len(event_fields))}) RETURNING {q('id')}",
            f"UPDATE {head} SET {q('seq')} = %s, {q('hash')} = %s, {q('mac')} = %s,"
            f" {q('updated_at')} = %s WHERE {q('id')} = 1",
            event_fields,
        )
    return _SQL[connection.vendor]


def _lock_head(connection) -> tuple[int, str]:
    """Lock the checkpoint row (PostgreSQL: FOR UPDATE; SQLite: the write transaction)."""
    select, _insert, _update, _fields = _statements(connection)
    with connection.cursor() as cursor:
        cursor.execute(select)
        row = cursor.fetchone()
    if row is None:
        AuditHead.objects.create(pk=1, seq=0, hash=GENESIS, mac=head_mac(0, GENESIS))
        return _lock_head(connection)
    return int(row[0]), row[1]


def append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert events after the current head, inside the caller's transaction."""
    if not events:
        return events
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Audit events must be written inside the change's transaction")
    seq, prev = _lock_head(connection)
    for event in events:
        seq += 1
        event.seq = seq
        if event.at is None:
            event.at = timezone.now()
        event.prev_hash = prev
        event.hash = event_hash(prev, _content(event))
        prev = event.hash
    _select, insert, update, fields = _statements(connection)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if len(events) == 1 and connection.features.can_return_columns_from_insert:
            event = events[0]
            cursor.execute(insert, [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields])
            event.pk = cursor.fetchone()[0]
            event._state.adding, event._state.db = False, connection.alias
        else:
            # Batches (synthetic data, FHIR searches), or a database without INSERT … RETURNING.
            AuditEvent.objects.bulk_create(events)
        cursor.execute(update, [seq, prev, head_mac(seq, prev), now])
    return events


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    first_bad_seq: int | None = None


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain from the start and report the first broken link.

    Writers may append while this runs. The checkpoint and the events are read inside one
    snapshot where the database gives one (see `_snapshot`); and should they not be (inside
    a caller's READ COMMITTED transaction), events found past the checkpoint read first are
    checked against the checkpoint read again afterwards, which an honest append has moved
    at least that far. So an append never looks like tampering, and tampering still shows.
    """
    with _snapshot():
        return _verify(batch_size)


@contextmanager
def _snapshot():
    """Read the checkpoint and the events as of one moment, without holding writers up.

    PostgreSQL: a READ ONLY transaction at REPEATABLE READ (one snapshot for every query).
    SQLite: a plain (deferred) BEGIN, whose first read fixes what this connection sees of
    the WAL while writers keep committing; Django's own atomic() would BEGIN IMMEDIATE here
    and take the write lock. Inside a caller's transaction, that transaction's view is used.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                yield
            finally:
                if connection.connection is not None and connection.connection.in_transaction:
                    cursor.execute("ROLLBACK")  # read only: nothing to keep
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _read_head() -> AuditHead | None:
    return AuditHead.objects.filter(pk=1).first()


def _read_events(from_seq: int, batch_size: int, upto: int | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(seq__gte=from_seq)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    return list(events.order_by("seq")[:batch_size])


class _Walk:
    """Follows the chain link by link; remembers where it got to."""

    def __init__(self):
        self.prev, self.expected_seq, self.checked = GENESIS, 1, 0

    @property
    def last(self) -> int:
        return self.expected_seq - 1

    def run(self, batch_size: int, upto: int | None = None) -> VerifyResult | None:
        """Check the events from where the walk is (up to `upto`); a result if one is bad."""
        while True:
            batch = _read_events(self.expected_seq, batch_size, upto)
            if not batch:
                return None
            for event in batch:
                if event.seq != self.expected_seq:
                    return VerifyResult(
                        False, self.checked,
                        f"event #{self.expected_seq} is missing (next found is #{event.seq})",
                        self.expected_seq,
                    )
                if event.prev_hash != self.prev:
                    return VerifyResult(
                        False, self.checked, f"event #{event.seq} does not follow #{event.seq - 1}",
                        event.seq,
                    )
                if event_hash(self.prev, _content(event)) != event.hash:
                    return VerifyResult(False, self.checked, f"event #{event.seq} was altered", event.seq)
                self.prev = event.hash
                self.expected_seq += 1
                self.checked += 1


def _verify(batch_size: int) -> VerifyResult:
    head = _read_head()
    walk = _Walk()
    if (broken := walk.run(batch_size)) is not None:
        return broken
    checked, last_id = walk.checked, walk.last
    if head is None or head.seq < last_id:
        # More events than the checkpoint read before them: appended since (the checkpoint
        # moved with them, in the same transaction) or written around the chain. Read the
        # checkpoint again; only an honest append explains events up to it.
        head = _read_head()
        if head is not None and head.seq > last_id:
            if (broken := walk.run(batch_size, upto=head.seq)) is not None:
                return broken
            checked, last_id = walk.checked, walk.last
    if head is None:
        if checked:
            return VerifyResult(False, checked, "the chain checkpoint is missing", None)
        return VerifyResult(True, 0, "the audit log is empty")
    if head.mac != head_mac(head.seq, head.hash):
        return VerifyResult(False, checked, "the chain checkpoint was altered", None)
    if head.seq > last_id:
        return VerifyResult(
            False, checked,
            f"the log ends at #{last_id} but the checkpoint says #{head.seq}: the tail was removed",
            last_id + 1,
        )
    if head.seq < last_id or head.hash != walk.prev:
        return VerifyResult(
            False, checked, f"events after the checkpoint (#{head.seq}) were not written through the chain",
            head.seq + 1,
        )
    return VerifyResult(True, checked, f"{checked} events verified; the chain is intact")
