"""Gatekeepers: the only way to load a protected object.

Each one checks the role (403 when the role can never do this), then the
relationship — care team at that site, or an unexpired break-the-glass grant —
(404 when it fails, the same answer as for a record that does not exist), and
writes the audit event for the access in the same transaction.

Other apps add their own `get_<thing>_for` functions built on `get_person_for`.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from safehaven.accounts.models import Membership
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.lib.prepared import prepared
from safehaven.people.models import CareTeamMember, Encounter, Person

# Extra checks other capabilities register (e.g. training gates): each is called as
# check(user, perm, person) and raises PermissionDenied with a message to show.
GATE_CHECKS: list = []


# Every request runs these: prepared once per process (safehaven/lib/prepared.py).
@prepared(user=models.BigIntegerField())
def _memberships(user):
    return Membership.objects.filter(user_id=user, active=True).values_list("site_id", "role__permissions")


@prepared(person=models.BigIntegerField(), user=models.BigIntegerField())
def _on_team(person, user):
    return CareTeamMember.objects.filter(person_id=person, user_id=user, active=True).values_list("pk")[:1]


@prepared(person=models.BigIntegerField(), user=models.BigIntegerField(), now=models.DateTimeField())
def _granted(person, user, now):
    from safehaven.access.models import BreakGlassGrant

    return BreakGlassGrant.objects.filter(person_id=person, user_id=user, expires_at__gt=now).values_list("pk")[:1]


@prepared(public_id=models.UUIDField())
def _person(public_id, *, sites):
    return Person.objects.select_related("site").filter(public_id=public_id, site_id__in=sites)[:1]


@dataclass(frozen=True)
class SiteAccess:
    """The sites where a user holds a permission."""

    site_ids: frozenset[int]


def sites_with(user: Any, perm: Perm) -> frozenset[int]:
    """Return the ids of the sites where the user's active role grants perm (cached per user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cache = user.__dict__.setdefault("_site_perm_cache", {})
    if perm not in cache:
        rows = _memberships.list(user=user.pk)
        by_perm: dict[str, set[int]] = {}
        for site_id, perms in rows:
            for p in perms or []:
                by_perm.setdefault(p, set()).add(site_id)
        for p in Perm:
            cache[p] = frozenset(by_perm.get(str(p), set()))
    return cache[perm]


def has_perm_anywhere(user: Any, perm: Perm) -> bool:
    """Return whether the user holds perm at any site."""
    return bool(sites_with(user, perm))


def require_perm(user: Any, perm: Perm) -> frozenset[int]:
    """Raise PermissionDenied unless the user holds perm somewhere; return those sites."""
    sites = sites_with(user, perm)
    if not sites:
        raise PermissionDenied("Your role does not allow this.")
    return sites


def _parse_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


def visible_people(user: Any, perm: Perm = Perm.VIEW_PERSON) -> QuerySet[Person]:
    """Return the people whose records the user may open now (team or active grant)."""
    return visible_to(user.pk if getattr(user, "is_authenticated", False) else None, timezone.now(),
                      sites=sites_with(user, perm))


def visible_to(user_id: Any, now: Any, *, sites: Any) -> QuerySet[Person]:
    """Return the people at `sites` on the user's care teams or under an unexpired grant at `now`.

    Takes values (or prepared-query markers, see safehaven/lib/prepared.py), not a user, so
    that hot lists can prepare their queries around it; `visible_people` is the usual door.
    """
    from safehaven.access.models import BreakGlassGrant

    # Start from the user's own team rows and grants (a few hundred at most), not from every
    # person at the site: `IN (subquery)` on indexed columns stays flat as the clinic grows.
    # One IN over a UNION, not an OR of two INs: PostgreSQL cannot drive an OR of subqueries
    # from the person index and read every person at the site instead (30 ms at 100,000).
    on_team = CareTeamMember.objects.filter(user_id=user_id, active=True).values("person_id")
    granted = BreakGlassGrant.objects.filter(user_id=user_id, expires_at__gt=now).values("person_id")
    return Person.objects.filter(site_id__in=sites, pk__in=on_team.union(granted))


def access_route(user: Any, person: Person) -> str | None:
    """Return "care_team", "break_glass" or None for the user's relationship to person."""
    if _on_team.exists(person=person.pk, user=user.pk):
        return "care_team"
    if _granted.exists(person=person.pk, user=user.pk, now=timezone.now()):
        return "break_glass"
    return None


def get_person_for(
    user: Any,
    public_id: Any,
    *,
    need: Perm = Perm.VIEW_PERSON,
    action: str = "person.view",
    request: Any = None,
    audit: bool = True,
) -> Person:
    """Return the person if the user may act on them with `need`; audit the access."""
    sites = require_perm(user, need)
    pid = _parse_uuid(public_id)
    # The sites are part of the prepared shape: a user holds a role at one site or a few.
    person = _person.first(public_id=pid, sites=tuple(sorted(sites)))
    if person is None:
        raise Http404("No such record")
    route = access_route(user, person)
    if route is None:
        raise Http404("No such record")
    for check in GATE_CHECKS:
        check(user, need, person)
    person.access_route = route  # type: ignore[attr-defined]
    if audit:
        with transaction.atomic():
            record(
                by=user,
                action=action,
                obj=person,
                person=person,
                detail={"via": route},
                ip=client_ip(request),
            )
    return person


def get_encounter_for(
    user: Any, public_id: Any, *, need: Perm = Perm.VIEW_CLINICAL, action: str = "encounter.view",
    request: Any = None,
) -> Encounter:
    """Return an encounter the user may act on, checked through its person."""
    pid = _parse_uuid(public_id)
    require_perm(user, need)
    encounter = (
        Encounter.objects.select_related("person", "person__site", "clinician")
        .filter(public_id=pid)
        .first()
    )
    if encounter is None:
        raise Http404("No such record")
    person = get_person_for(user, encounter.person.public_id, need=need, audit=False)
    encounter.person = person
    with transaction.atomic():
        record(by=user, action=action, obj=encounter, person=person, ip=client_ip(request))
    return encounter


def client_ip(request: Any) -> str:
    """Return the client address of a request, or "" outside a request."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "") or ""
