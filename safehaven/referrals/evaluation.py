"""Referral figures for the evaluation's protected aggregate cube (people counted, never listed)."""

from django.utils.translation import gettext_lazy as _

from safehaven.referrals.models import Referral

ROWS = [
    ("referred", _("Referred to a partner")),
    ("answered", _("Partner answered")),
    ("closed_loop", _("Loop closed (outcome known)")),
    ("completed", _("Got the service")),
]


def referral_events(*, site_ids, start, end):
    """Yield (row, person pk, site pk, when) for referrals sent in the period (one query)."""
    rows = Referral.objects.filter(
        site_id__in=site_ids, requested_at__gte=start, requested_at__lt=end
    ).exclude(status="entered-in-error").values_list(
        "person_id", "site_id", "requested_at", "responded_at", "status", "status_changed_at"
    )
    for person_id, site_id, requested_at, responded_at, status, changed_at in rows:
        yield ("referred", person_id, site_id, requested_at)
        if responded_at is not None:
            yield ("answered", person_id, site_id, responded_at)
        if status in {"completed", "rejected", "failed", "cancelled"}:
            yield ("closed_loop", person_id, site_id, changed_at)
        if status == "completed":
            yield ("completed", person_id, site_id, changed_at)
