"""Referrals by need domain, the share with a closed loop, and the time to close it.

The referrals capability registers its own totals (key "referrals"); this adds the need
domains and the median days from sending a referral to its loop closing, counted in the
quarter it closed. One query.
"""

from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.providers import Provider

CLOSED = {"completed", "rejected", "failed", "cancelled"}


def domains():
    from safehaven.referrals.models import NEED_CHOICES

    return NEED_CHOICES


def rows():
    out = []
    for code, label in domains():
        out += [(f"{code}.referred", label), (f"{code}.closed", _("… loop closed")), (f"{code}.open", "")]
    return out


def referral_events(*, site_ids, start, end):
    """Yield (row, person pk, site pk, when) per need domain for referrals sent in the period."""
    yield from _referrals(site_ids, start, end)


def referral_days(*, site_ids, start, end):
    """Yield ("days_to_close", person pk, site pk, closed at, days) for loops closed in the period."""
    from safehaven.referrals.models import Referral

    closed = Referral.objects.filter(
        site_id__in=site_ids, status__in=CLOSED, requested_at__isnull=False,
        status_changed_at__gte=start, status_changed_at__lt=end,
    ).values_list("person_id", "site_id", "requested_at", "status_changed_at")
    for person_id, site_id, requested_at, closed_at in closed:
        yield ("days_to_close", person_id, site_id, closed_at, (closed_at - requested_at).total_seconds() / 86400)


def _referrals(site_ids, start, end):
    from safehaven.referrals.models import Referral

    sent = Referral.objects.filter(
        site_id__in=site_ids, requested_at__gte=start, requested_at__lt=end
    ).exclude(status__in=["entered-in-error", "draft"]).values_list("person_id", "site_id", "requested_at",
                                                                   "need_domain", "status")
    for person_id, site_id, requested_at, domain, status in sent:
        yield (f"{domain}.referred", person_id, site_id, requested_at)
        yield (f"{domain}.{'closed' if status in CLOSED else 'open'}", person_id, site_id, requested_at)


def provider() -> Provider:
    codes = [code for code, _label in domains()]
    return Provider(
        key="referral_needs", title=_("Referrals by need"), rows=rows(),
        hidden_rows=tuple(f"{code}.open" for code in codes),
        groups=[([f"{code}.closed", f"{code}.open"], f"{code}.referred") for code in codes],
        ratio_rows=[(f"{code}.share", _("… share with the loop closed (%)"), f"{code}.closed", f"{code}.referred")
                    for code in codes],
        events=referral_events,
        stat_rows=[("days_to_close", _("Days from sending a referral to its loop closing (median)"), "median")],
        values=referral_days,
    )
