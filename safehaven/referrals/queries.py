"""Reads for referrals: the gatekeepers, the advocate's worklist and the partner's list.

Every list runs a fixed number of queries whatever the number of referrals.
"""

import datetime
import uuid
import zoneinfo
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from safehaven.access.gate import (
    client_ip,
    get_person_for,
    require_perm,
    sites_with,
    visible_people,
)
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.lib.prepared import prepared
from safehaven.referrals.models import OPEN_STATUSES, HelpCheck, Referral, ReferralPolicy

LIST_LIMIT = 200
DEFAULT_STALE_DAYS = 5


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


def get_referral_for(
    user: Any, public_id: Any, *, need: Perm = Perm.CASE_MANAGE, action: str = "referral.view",
    request: Any = None,
) -> Referral:
    """Return a referral the user may act on, checked (and audited) through its person."""
    require_perm(user, need)
    referral = (
        Referral.objects.select_related("person", "site", "organization", "service", "created_by")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if referral is None:
        raise Http404("No such record")
    person = get_person_for(user, referral.person.public_id, need=need, audit=False)
    referral.person = person
    with transaction.atomic():
        record(by=user, action=action, obj=referral, person=person, ip=client_ip(request))
    return referral


def partner_referrals(user: Any) -> QuerySet[Referral]:
    """Return the referrals sent to the user's partner organisations (never drafts)."""
    sites = sites_with(user, Perm.PARTNER_REFERRALS)
    return Referral.objects.filter(
        site_id__in=sites,
        organization__partner_accounts__user=user,
        organization__partner_accounts__active=True,
    ).exclude(status="draft")


def get_partner_referral_for(user: Any, public_id: Any, *, request: Any = None) -> Referral:
    """Return a referral sent to the partner user's organisation; 404 for any other."""
    require_perm(user, Perm.PARTNER_REFERRALS)
    referral = (
        partner_referrals(user)
        .select_related("person", "person__contact", "site", "organization", "service")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if referral is None:
        raise Http404("No such record")
    with transaction.atomic():
        record(
            by=user, action="referral.partner_view", obj=referral, person=referral.person,
            detail={"via": "account"}, ip=client_ip(request),
        )
    return referral


def partner_list(user: Any) -> list[Referral]:
    """Return the partner's referrals, newest first (one query)."""
    require_perm(user, Perm.PARTNER_REFERRALS)
    return list(
        partner_referrals(user).select_related("site").order_by("-requested_at")[:LIST_LIMIT]
    )


def business_cutoff(today: datetime.date, days: int) -> datetime.date:
    """Return the last date a referral could be sent and be `days` business days old today.

    Business days are Monday to Friday; a referral sent on that date or before has gone
    unanswered for at least `days` business days.
    """
    day = today
    counted = 0
    while counted < days:
        day -= datetime.timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return day


def _stale_filter(site_ids: list[int], sites: dict[int, Site], policies: dict[int, int], now) -> Q:
    condition = Q(pk__in=[])
    for site_id in site_ids:
        site = sites[site_id]
        try:
            tz = zoneinfo.ZoneInfo(site.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = datetime.UTC
        today = now.astimezone(tz).date()
        last = business_cutoff(today, policies.get(site_id, DEFAULT_STALE_DAYS))
        cutoff = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
        condition |= Q(site_id=site_id, requested_at__lt=cutoff)
    return condition


def _my_referrals(user: Any) -> QuerySet[Referral]:
    people = visible_people(user, Perm.CASE_MANAGE).values("pk")
    return Referral.objects.filter(person__in=people)


def open_for(user: Any) -> list[Referral]:
    """Return the open referrals of the people on the user's caseload (two queries)."""
    if not sites_with(user, Perm.CASE_MANAGE):
        return []
    return list(
        _my_referrals(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("status_changed_at", "pk")[:LIST_LIMIT]
    )


def stale_for(user: Any, *, now: datetime.datetime | None = None) -> list[Referral]:
    """Return referrals still waiting for the partner's answer past the site's limit.

    The limit is the site's `stale_after_business_days` (default 5 business days).
    """
    site_ids = sorted(sites_with(user, Perm.CASE_MANAGE))
    if not site_ids:
        return []
    now = now or timezone.now()
    sites = {s.pk: s for s in Site.objects.filter(pk__in=site_ids)}
    policies = dict(
        ReferralPolicy.objects.filter(site_id__in=site_ids).values_list(
            "site_id", "stale_after_business_days"
        )
    )
    return list(
        _my_referrals(user)
        .filter(status="requested")
        .filter(_stale_filter(site_ids, sites, policies, now))
        .select_related("person")
        .order_by("requested_at", "pk")[:LIST_LIMIT]
    )


def help_checks_for(user: Any) -> list[HelpCheck]:
    """Return unanswered help checks for people on the user's caseload."""
    if not sites_with(user, Perm.CASE_MANAGE):
        return []
    people = visible_people(user, Perm.CASE_MANAGE).values("pk")
    return list(
        HelpCheck.objects.filter(person__in=people, answered_at__isnull=True)
        .select_related("referral", "person")
        .order_by("created_at", "pk")[:LIST_LIMIT]
    )


@prepared(person=models.BigIntegerField())
def _for_person(person, *, limit):
    return Referral.objects.filter(person_id=person).order_by("-created_at", "-pk")[:limit]


def for_person(person: Any, *, limit: int = 50) -> list[Referral]:
    """Return a person's referrals, newest first (one query, prepared: it runs on every chart)."""
    return _for_person.list(person=getattr(person, "pk", person), limit=limit)
