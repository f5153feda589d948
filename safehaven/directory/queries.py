"""Reads of the directory: search (for staff pages and the referrals capability), detail.

``search(...)`` runs a fixed number of queries whatever the directory size:
1 query for the time zones in use (only with ``open_now``), 1 for the candidate services
(or, with a distance, 1 for the candidate locations inside a bounding box and 1 for the page),
then the prefetches of the page.
"""

import datetime
import math
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.directory.models import (
    OpeningSlot,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceNeedDomain,
)
from safehaven.lib.prepared import prepared

EARTH_RADIUS_KM = 6371.0088
MAX_RADIUS_KM = 500.0
GENDERS = {"woman": "serves_women", "man": "serves_men", "nonbinary": "serves_nonbinary"}


def can_see_confidential(user: Any) -> bool:
    """Return whether the user may see confidential (shelter) addresses and coordinates.

    Staff who hold Perm.CASE_MANAGE or Perm.WRITE_CLINICAL at a site may; partners, other roles,
    anonymous callers and ``None`` (a packet, an export) may not.
    """
    if user is None:
        return False
    return bool(sites_with(user, Perm.CASE_MANAGE) or sites_with(user, Perm.WRITE_CLINICAL))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lon, max_lon) enclosing a circle of km around a point."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(math.degrees(km / (EARTH_RADIUS_KM * coslat)), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def open_now_q(at: datetime.datetime, zones: list[str]) -> Q:
    """Return a filter on OpeningSlot for slots open at instant `at`, in each slot's own zone."""
    q = Q(pk__in=[])
    for name in zones:
        try:
            local = at.astimezone(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        minute = local.hour * 60 + local.minute
        day = local.date()
        q |= (
            Q(time_zone=name)
            & (Q(weekday=local.weekday()) | Q(monthday=local.day))
            & Q(opens_minute__lte=minute, closes_minute__gt=minute)
            & (Q(valid_from__isnull=True) | Q(valid_from__lte=day))
            & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        )
    return q


@dataclass
class Hit:
    """One search result: a service, its public locations, and the distance when asked."""

    service: Service
    distance_km: float | None = None
    locations: list = field(default_factory=list)  # [(location, show_address: bool)]


@dataclass
class SearchResult:
    hits: list[Hit]
    page: int
    has_more: bool


def _filtered(
    *, domain, text, language, age, gender, free, open_now, at, trauma_informed,
    serves_survivors, exclude_law_enforcement, include_inactive,
) -> QuerySet[Service]:
    qs = _apply(
        Service.objects.all(), uses=_uses(domain=domain, text=text, language=language, age=age),
        domain=domain, folded=text.casefold(), text=text, language=language.lower(), age=age, gender=gender,
        free=free, trauma_informed=trauma_informed, serves_survivors=serves_survivors,
        exclude_law_enforcement=exclude_law_enforcement, include_inactive=include_inactive,
    )
    if open_now:
        at = at or timezone.now()
        zones = list(OpeningSlot.objects.values_list("time_zone", flat=True).distinct().order_by())
        # Correlated on the service: a handful of slot rows per service, found by index.
        qs = qs.filter(
            Exists(OpeningSlot.objects.filter(open_now_q(at, zones), service=OuterRef("pk")))
        )
    return qs


def _uses(*, domain, text, language, age) -> tuple[str, ...]:
    """Name the filters that take a value, for the prepared query's shape."""
    return tuple(name for name, value in (("domain", domain), ("text", text), ("language", language),
                                          ("age", age is not None)) if value)


def _apply(qs, *, uses, domain, folded, text, language, age, gender, free, trauma_informed,
           serves_survivors, exclude_law_enforcement, include_inactive) -> QuerySet[Service]:
    """Filter services; `uses` names the value filters that apply (values may be markers)."""
    if not include_inactive:
        qs = qs.filter(status="active")
    if "domain" in uses:
        qs = qs.filter(
            Exists(ServiceNeedDomain.objects.filter(domain=domain, service=OuterRef("pk")))
        )
    if "text" in uses:
        qs = qs.filter(Q(name_folded__contains=folded) | Q(description__icontains=text))
    if "language" in uses:
        qs = qs.filter(
            Exists(ServiceLanguage.objects.filter(code=language, service=OuterRef("pk")))
        )
    if "age" in uses:
        qs = qs.filter(Q(minimum_age__isnull=True) | Q(minimum_age__lte=age))
        qs = qs.filter(Q(maximum_age__isnull=True) | Q(maximum_age__gte=age))
    if gender in GENDERS:
        qs = qs.filter(**{GENDERS[gender]: True})
    if free:
        qs = qs.filter(free_of_charge=True)
    if trauma_informed:
        qs = qs.filter(trauma_informed=True)
    if serves_survivors:
        qs = qs.filter(serves_survivors=True)
    if exclude_law_enforcement:
        qs = qs.filter(involves_law_enforcement=False)
    return qs


# A search page without "open now" or distance (most searches): prepared, so only its values
# change from call to call (safehaven/lib/prepared.py). The details are still prefetched.
@prepared(domain=models.CharField(), folded=models.TextField(), text=models.TextField(),
          language=models.CharField(), age=models.IntegerField())
def _name_ordered_page(domain, folded, text, language, age, *, start, per_page, **flags):
    qs = _apply(Service.objects.all(), domain=domain, folded=folded, text=text, language=language, age=age,
                **flags)
    return _with_details(qs.order_by("name_folded", "id"))[start:start + per_page + 1]


def search(
    *,
    viewer: Any = None,
    domain: str = "",
    text: str = "",
    language: str = "",
    age: int | None = None,
    gender: str = "",
    free: bool = False,
    open_now: bool = False,
    at: datetime.datetime | None = None,
    near: tuple[float, float] | None = None,
    within_km: float | None = None,
    trauma_informed: bool = False,
    serves_survivors: bool = False,
    exclude_law_enforcement: bool = False,
    include_inactive: bool = False,
    page: int = 1,
    per_page: int = 25,
) -> SearchResult:
    """Find services. Confidential addresses are shown only when ``viewer`` may see them.

    ``near`` = (latitude, longitude) with ``within_km`` limits to services with a location in
    that radius and orders by distance; otherwise results are in name order. For viewers who
    may not see confidential locations, those locations play no part in distance searches.
    """
    page = max(int(page), 1)
    per_page = min(max(int(per_page), 1), 100)
    confidential_ok = can_see_confidential(viewer)
    start = (page - 1) * per_page
    distances: dict[int, float] = {}
    if near is None and not open_now:  # most searches: one prepared page query
        rows = _name_ordered_page.list(
            domain=domain, folded=text.casefold(), text=text, language=language.lower(),
            age=age if age is not None else 0, start=start, per_page=per_page,
            uses=_uses(domain=domain, text=text, language=language, age=age), gender=gender if gender in GENDERS else "",
            free=bool(free), trauma_informed=bool(trauma_informed), serves_survivors=bool(serves_survivors),
            exclude_law_enforcement=bool(exclude_law_enforcement), include_inactive=bool(include_inactive),
        )
        has_more, page_services = len(rows) > per_page, rows[:per_page]
    else:
        qs = _filtered(
            domain=domain, text=text, language=language, age=age, gender=gender, free=free,
            open_now=open_now, at=at, trauma_informed=trauma_informed,
            serves_survivors=serves_survivors, exclude_law_enforcement=exclude_law_enforcement,
            include_inactive=include_inactive,
        )
        if near is None:
            rows = list(_with_details(qs.order_by("name_folded", "id"))[start:start + per_page + 1])
            has_more, page_services = len(rows) > per_page, rows[:per_page]
        else:
            page_services, has_more, distances = _nearest_page(qs, near, within_km, confidential_ok, start, per_page)
    hits = []
    for service in page_services:
        locations = [
            (sal.location, confidential_ok or not sal.location.confidential_location)
            for sal in service.service_at_locations.all()
        ]
        hits.append(Hit(service=service, distance_km=distances.get(service.pk), locations=locations))
    return SearchResult(hits=hits, page=page, has_more=has_more)


def _nearest_page(qs, near, within_km, confidential_ok, start, per_page) -> tuple[list, bool, dict[int, float]]:
    """Return one page of services nearest first, whether more follow, and each one's distance (km)."""
    distances: dict[int, float] = {}
    lat, lon = near
    radius = min(within_km or 25.0, MAX_RADIUS_KM)
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    rows = ServiceAtLocation.objects.filter(
        service__in=qs,
        location__latitude__gte=min_lat, location__latitude__lte=max_lat,
        location__longitude__gte=min_lon, location__longitude__lte=max_lon,
    )
    if not confidential_ok:
        rows = rows.filter(location__confidential_location=False)
    for sid, llat, llon in rows.values_list("service_id", "location__latitude", "location__longitude"):
        d = haversine_km(lat, lon, llat, llon)
        if d <= radius and d < distances.get(sid, math.inf):
            distances[sid] = d
    ordered = sorted(distances, key=lambda sid: (distances[sid], sid))
    page_ids = ordered[start:start + per_page]
    services = {s.pk: s for s in _with_details(Service.objects.filter(pk__in=page_ids))}
    return [services[sid] for sid in page_ids if sid in services], len(ordered) > start + per_page, distances


def _with_details(qs: QuerySet[Service]) -> QuerySet[Service]:
    return qs.select_related("organization").prefetch_related(
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                "location__addresses"
            ),
        ),
        Prefetch("phones", queryset=Phone.objects.order_by("id")),
        "languages",
    )


def service_detail(public_id) -> Service | None:
    """Return one service with everything its page shows, or None."""
    return (
        Service.objects.filter(public_id=public_id)
        .select_related("organization")
        .prefetch_related(
            "phones", "languages", "schedules", "cost_options", "need_domains",
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                    "location__addresses", "location__phones", "location__schedules",
                    "location__accessibility", "location__languages", "schedules",
                ),
            ),
        )
        .first()
    )

