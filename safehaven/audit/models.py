"""Append-only, hash-chained audit events.

Events carry no foreign keys (so the log never blocks a deletion and survives it);
they name people and objects by their opaque public ids. Each event's `hash` is an
HMAC over its content and the previous event's hash, so a changed, removed or
re-ordered row breaks the chain. The chain head lives in its own table (AuditHead),
outside the event table, so a truncated tail shows too.
"""

from django.db import models

from safehaven.lib.models import ChoiceLabels


class AuditEvent(ChoiceLabels, models.Model):
    """One access to, or change of, patient data."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.CharField(max_length=64, blank=True)  # staff public id, or "system"
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)  # e.g. "person.view"
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    person_id = models.CharField(max_length=64, blank=True, db_index=True)
    site_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["person_id", "seq"], name="audit_person_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only")


class AuditHead(ChoiceLabels, models.Model):
    """The checkpoint of the chain: the last sequence number and its hash (one row)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    mac = models.CharField(max_length=64, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit chain head at #{self.seq}"
