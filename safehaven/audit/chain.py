"""Write and verify the audit chain."""

import hashlib
import hmac
import json
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


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS, mac=head_mac(0, GENESIS))
    return head


def append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert events after the current head, inside the caller's transaction."""
    if not events:
        return events
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events must be written inside the change's transaction")
    head = _lock_head()
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        event.seq = seq
        if event.at is None:
            event.at = timezone.now()
        event.prev_hash = prev
        event.hash = event_hash(prev, _content(event))
        prev = event.hash
    AuditEvent.objects.bulk_create(events)
    AuditHead.objects.filter(pk=1).update(
        seq=seq, hash=prev, mac=head_mac(seq, prev), updated_at=timezone.now()
    )
    return events


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    first_bad_seq: int | None = None


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain from the start and report the first broken link."""
    head = AuditHead.objects.filter(pk=1).first()
    prev, expected_seq, checked = GENESIS, 1, 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return VerifyResult(
                    False, checked, f"event #{expected_seq} is missing (next found is #{event.seq})",
                    expected_seq,
                )
            if event.prev_hash != prev:
                return VerifyResult(
                    False, checked, f"event #{event.seq} does not follow #{event.seq - 1}", event.seq
                )
            if event_hash(prev, _content(event)) != event.hash:
                return VerifyResult(False, checked, f"event #{event.seq} was altered", event.seq)
            prev = event.hash
            expected_seq += 1
            checked += 1
            last_id = event.seq
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
    if head.seq < last_id or head.hash != prev:
        return VerifyResult(
            False, checked, f"events after the checkpoint (#{head.seq}) were not written through the chain",
            head.seq + 1,
        )
    return VerifyResult(True, checked, f"{checked} events verified; the chain is intact")
