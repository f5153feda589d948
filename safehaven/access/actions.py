"""Break-the-glass: open a record outside one's care team, with a reason, for a while."""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from safehaven.access import gate
from safehaven.access.models import BreakGlassGrant
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.people.models import Person


@transaction.atomic
def break_glass(*, by: Any, person: Person, reason: str, ip: str = "") -> BreakGlassGrant:
    """Grant the user emergency access to the person's record, audited and time-limited."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValueError("Say why you need this record (at least 10 characters).")
    if person.site_id not in gate.sites_with(by, Perm.BREAK_GLASS):
        raise PermissionDenied("Your role does not allow emergency access at this site.")
    for check in gate.GATE_CHECKS:
        check(by, Perm.BREAK_GLASS, person)
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        user=by, person=person, reason=reason, created_at=now,
        expires_at=now + datetime.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    record(
        by=by, action="breakglass.open", obj=grant, person=person, reason=reason,
        detail={"expires_at": grant.expires_at.isoformat()}, ip=ip,
    )
    return grant


@transaction.atomic
def review_grant(*, by: Any, grant: BreakGlassGrant, note: str = "", ip: str = "") -> BreakGlassGrant:
    """Mark a break-the-glass grant as reviewed by a clinic administrator."""
    if grant.person.site_id not in gate.sites_with(by, Perm.REVIEW_BREAK_GLASS):
        raise PermissionDenied("You cannot review access at this site.")
    grant.reviewed_at = timezone.now()
    grant.reviewed_by = by
    grant.review_note = note.strip()[:500]
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    record(by=by, action="breakglass.review", obj=grant, person=grant.person, ip=ip)
    return grant
