"""Machine clients of the FHIR API, their bearer tokens, and bulk export jobs."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.consent.models import PURPOSES, RECIPIENT_CATEGORIES, RECIPIENT_KINDS
from safehaven.lib.models import ChoiceLabels

# Scopes a token may carry (SMART-style, read-only API plus bulk export).
SCOPE_READ_ALL = "system/*.read"
SCOPE_EXPORT = "system/*.export"


def hash_token(raw: str) -> str:
    """Return the stored form of a bearer token (SHA-256; tokens are long random strings)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiClient(ChoiceLabels, models.Model):
    """A system that calls the FHIR API: whom it acts for, and for what purpose.

    Its recipient fields are the ones a consent names, so `may_disclose` can decide what
    the client receives. `acts_as` is the staff account whose role and care teams bound
    what the client may see at all.
    """

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "name": "none",
        "acts_as": "none",
        "recipient_kind": "consent",
        "recipient_ref": "consent",
        "recipient_category": "consent",
        "purpose": "consent",
        "active": "none",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_clients"
    )
    recipient_kind = models.CharField(max_length=20, choices=RECIPIENT_KINDS, default="organization")
    recipient_ref = models.CharField(max_length=64, blank=True)
    recipient_category = models.CharField(max_length=30, choices=RECIPIENT_CATEGORIES)
    purpose = models.CharField(max_length=30, choices=PURPOSES, default="treatment")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessToken(ChoiceLabels, models.Model):
    """A bearer token, stored only as a hash, with its scopes and expiry."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "client": "none",
        "token_hash": "secret-hash",
        "scopes": "none",
        "created_at": "none",
        "expires_at": "none",
        "revoked_at": "none",
        "last_used_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.public_id}"

    def is_valid(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and at < self.expires_at and self.client.active


class ExportJob(ChoiceLabels, models.Model):
    """One FHIR Bulk Data export: what was asked, how far it got, and where the files are."""

    LEVELS = [("system", "system"), ("patient", "Patient"), ("group", "Group")]
    STATUSES = [
        ("accepted", _("Accepted")),
        ("in-progress", _("In progress")),
        ("completed", _("Completed")),
        ("cancelled", _("Cancelled")),
        ("failed", _("Failed")),
    ]
    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "client": "none",
        "requested_by": "none",
        "level": "none",
        "group_site": "none",
        "types": "none",
        "since": "none",
        "status": "none",
        "progress": "none",
        "request_url": "none",
        "output": "none",
        "error": "none",
        "created_at": "none",
        "finished_at": "none",
        "expires_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=10, choices=LEVELS)
    # For a Group export: the group is a site's people.
    group_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=STATUSES, default="accepted")
    progress = models.CharField(max_length=200, blank=True)
    request_url = models.CharField(max_length=500)
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 12}]
    output = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.public_id}"

    def is_expired(self, at=None) -> bool:
        at = at or timezone.now()
        return self.expires_at is not None and self.expires_at <= at
