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
    visible_to,
)
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.lib.prepared import many, prepared
from safehaven.referrals.models import OPEN_STATUSES, HelpCheck, Referral

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


def _cutoffs(site_ids: tuple[int, ...], rules: dict[int, tuple[str, int | None]], now) -> list:
    """Return, for each site in order, the moment before which a request is overdue.

    `rules` maps a site to its time zone and its `stale_after_business_days` (None: the default).
    """
    out = []
    for site_id in site_ids:
        time_zone, days = rules[site_id]
        try:
            tz = zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = datetime.UTC
        today = now.astimezone(tz).date()
        last = business_cutoff(today, days if days is not None else DEFAULT_STALE_DAYS)
        out.append(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=tz))
    return out


# The referral list is opened many times a day: its reads are prepared (safehaven/lib/prepared.py).
# They read only what the list shows: packets, summaries, reasons, outcomes and the people's
# legal names and safety notes are neither read nor decrypted for a list of up to 200 rows.
_LISTED = ("public_id", "organization_name", "person", "person__chosen_name")
# Sites are part of the shape (a user holds roles at one site or a few).
def _my_referrals(user_id: Any, now: Any, sites: tuple) -> QuerySet[Referral]:
    return Referral.objects.filter(person__in=visible_to(user_id, now, sites=sites).values("pk"))


@prepared(user=models.BigIntegerField(), now=models.DateTimeField())
def _open(user, now, *, sites):
    return (_my_referrals(user, now, sites).filter(status__in=OPEN_STATUSES).select_related("person")
            .only(*_LISTED, "status", "status_changed_at").order_by("status_changed_at", "pk")[:LIST_LIMIT])


@prepared(user=models.BigIntegerField(), now=models.DateTimeField(), cutoffs=many(models.DateTimeField()))
def _stale(user, now, cutoffs, *, sites):
    overdue = Q(pk__in=[])
    for site_id, cutoff in zip(sites, cutoffs, strict=True):
        overdue |= Q(site_id=site_id, requested_at__lt=cutoff)
    return (_my_referrals(user, now, sites).filter(status="requested").filter(overdue).select_related("person")
            .only(*_LISTED, "requested_at").order_by("requested_at", "pk")[:LIST_LIMIT])


@prepared()
def _sites_and_policies(*, sites):
    return Site.objects.filter(pk__in=sites).values_list("pk", "time_zone", "referral_policy__stale_after_business_days")


@prepared(user=models.BigIntegerField(), now=models.DateTimeField())
def _help_checks(user, now, *, sites):
    return (HelpCheck.objects.filter(person__in=visible_to(user, now, sites=sites).values("pk"), answered_at__isnull=True)
            .select_related("referral", "person")
            .only("referral", "person", "referral__public_id", "referral__organization_name", "person__chosen_name")
            .order_by("created_at", "pk")[:LIST_LIMIT])


def _case_sites(user: Any) -> tuple[int, ...]:
    return tuple(sorted(sites_with(user, Perm.CASE_MANAGE)))


def open_for(user: Any) -> list[Referral]:
    """Return the open referrals of the people on the user's caseload (one query)."""
    sites = _case_sites(user)
    return _open.list(user=user.pk, now=timezone.now(), sites=sites) if sites else []


def stale_for(user: Any, *, now: datetime.datetime | None = None) -> list[Referral]:
    """Return referrals still waiting for the partner's answer past the site's limit.

    The limit is the site's `stale_after_business_days` (default 5 business days). Two queries.
    """
    site_ids = _case_sites(user)
    if not site_ids:
        return []
    now = now or timezone.now()
    rules = {pk: (tz, days) for pk, tz, days in _sites_and_policies.list(sites=site_ids)}
    cutoffs = _cutoffs(site_ids, rules, now)
    return _stale.list(user=user.pk, now=now, cutoffs=cutoffs, sites=site_ids)


def help_checks_for(user: Any) -> list[HelpCheck]:
    """Return unanswered help checks for people on the user's caseload (one query)."""
    sites = _case_sites(user)
    return _help_checks.list(user=user.pk, now=timezone.now(), sites=sites) if sites else []


@prepared(person=models.BigIntegerField())
def _for_person(person, *, limit):
    return Referral.objects.filter(person_id=person).order_by("-created_at", "-pk")[:limit]


def for_person(person: Any, *, limit: int = 50) -> list[Referral]:
    """Return a person's referrals, newest first (one query, prepared: it runs on every chart)."""
    return _for_person.list(person=getattr(person, "pk", person), limit=limit)
