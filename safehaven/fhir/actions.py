"""The only write path of the fhir app: clients, tokens, and export jobs."""

import secrets
import shutil
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safehaven.audit.actions import record
from safehaven.fhir.models import AccessToken, ApiClient, ExportJob, hash_token

TOKEN_PREFIX = "shf_"  # noqa: S105 (a public prefix, not a secret)


def export_ttl() -> timedelta:
    """How long finished export files stay available (FHIR_EXPORT_TTL_SECONDS, default a day)."""
    return timedelta(seconds=int(getattr(settings, "FHIR_EXPORT_TTL_SECONDS", 24 * 3600)))


def export_root():
    return settings.VAR_DIR / "fhir-exports"


def export_dir(job: ExportJob):
    return export_root() / str(job.public_id)


@transaction.atomic
def register_client(
    *, by: Any, name: str, acts_as: Any, recipient_category: str, purpose: str = "treatment",
    recipient_kind: str = "organization", recipient_ref: str = "",
) -> ApiClient:
    """Register a machine client: who it acts as, whom it receives for, and why."""
    client = ApiClient.objects.create(
        name=name.strip()[:200], acts_as=acts_as, recipient_kind=recipient_kind,
        recipient_ref=recipient_ref, recipient_category=recipient_category, purpose=purpose,
    )
    record(by=by, action="fhir.client.create", obj=client,
           detail={"recipient": recipient_category, "purpose": purpose})
    return client


@transaction.atomic
def issue_token(*, by: Any, client: ApiClient, scopes: list[str], days: int = 30) -> tuple[AccessToken, str]:
    """Create a bearer token; return it and the raw secret (shown once, stored only hashed)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        client=client, token_hash=hash_token(raw), scopes=sorted(set(scopes)),
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(by=by, action="fhir.token.issue", obj=token, detail={"client": str(client.public_id), "scopes": token.scopes})
    return token, raw


@transaction.atomic
def revoke_token(*, by: Any, token: AccessToken) -> AccessToken:
    """Revoke a token at once."""
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(by=by, action="fhir.token.revoke", obj=token)
    return token


@transaction.atomic
def start_export(
    *, by: Any, client: ApiClient, level: str, types: list[str], since=None, group_site=None,
    request_url: str = "", ip: str = "",
) -> ExportJob:
    """Accept a bulk export request and audit it; the work runs as a background task."""
    job = ExportJob.objects.create(
        client=client, requested_by=by, level=level, types=types, since=since,
        group_site=group_site, request_url=request_url[:500],
    )
    record(by=by, action="fhir.export.start", obj=job, site=group_site, ip=ip,
           detail={"level": level, "types": types, "client": str(client.public_id),
                   "since": since.isoformat() if since else None})
    return job


@transaction.atomic
def cancel_export(*, by: Any, job: ExportJob, ip: str = "") -> ExportJob:
    """Cancel an export (running or finished) and delete its files."""
    job.status = "cancelled"
    job.finished_at = job.finished_at or timezone.now()
    job.save(update_fields=["status", "finished_at"])
    record(by=by, action="fhir.export.cancel", obj=job, ip=ip)
    # Deleting is the safe direction: done at once, even if the transaction were to roll back.
    shutil.rmtree(export_dir(job), ignore_errors=True)
    return job


def purge_expired_exports(now=None) -> int:
    """Delete the files of exports that have expired or were cancelled; return how many."""
    now = now or timezone.now()
    purged = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(output=[]).only("pk", "public_id"):
        shutil.rmtree(export_dir(job), ignore_errors=True)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(output=[])
            record(by="system", action="fhir.export.expire", obj=job)
        purged += 1
    recent = now - 2 * export_ttl()
    for job in ExportJob.objects.filter(status="cancelled", finished_at__gte=recent).only("public_id"):
        shutil.rmtree(export_dir(job), ignore_errors=True)
    return purged
