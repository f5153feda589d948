"""Who is calling the FHIR API, and what they may receive.

A staff member signed in with both factors (a session) reads the people on their care
teams: that is treatment inside the clinic. A machine client authenticates with a
bearer token; it acts as a staff account (its role and care teams bound what it can
see) and for a recipient and purpose, so every person's consent decides what it gets
(`consent.decision.may_disclose`), and what it got is logged as a disclosure.
"""

import datetime
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from safehaven.access.gate import client_ip, sites_with, visible_people
from safehaven.accounts.permissions import Perm
from safehaven.audit import chain
from safehaven.audit.actions import actor_fields
from safehaven.audit.models import AuditEvent
from safehaven.consent.decision import Recipient, may_disclose
from safehaven.consent.models import DATA_CATEGORY_CODES, ConsentGrant, Disclosure
from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL, AccessToken, ApiClient, hash_token
from safehaven.fhir.registry import ResourceSpec, person_pk_lookup


class FhirError(Exception):
    """An error answered with an OperationOutcome and this HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Requester:
    """The caller: a staff session, or a machine client acting as a staff account."""

    user: Any
    client: ApiClient | None = None
    scopes: frozenset[str] = frozenset()
    token: AccessToken | None = None
    ip: str = ""
    _consent_cache: dict = field(default_factory=dict)

    @property
    def external(self) -> bool:
        return self.client is not None

    def recipient(self) -> Recipient:
        client = self.client
        assert client is not None
        return Recipient(kind=client.recipient_kind, category=client.recipient_category,
                         ref=client.recipient_ref, label=client.name)

    def may_read(self, resource_type: str) -> bool:
        if not self.external:
            return True
        return SCOPE_READ_ALL in self.scopes or f"system/{resource_type}.read" in self.scopes

    def may_export(self) -> bool:
        return self.external and SCOPE_EXPORT in self.scopes and bool(sites_with(self.user, Perm.EXPORT_DATA))


def authenticate(request) -> Requester:
    """Return the caller, or raise FhirError(401) for a missing, bad or expired credential."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _sep, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw or len(raw) > 200:
            raise FhirError(401, "Send a bearer token: Authorization: Bearer <token>.")
        token = (
            AccessToken.objects.select_related("client", "client__acts_as")
            .filter(token_hash=hash_token(raw)).first()
        )
        now = timezone.now()
        if token is None or not token.is_valid(now) or not token.client.acts_as.is_active:
            raise FhirError(401, "The bearer token is not valid (unknown, expired or revoked).")
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return Requester(user=token.client.acts_as, client=token.client,
                         scopes=frozenset(token.scopes), token=token, ip=client_ip(request))
    user = request.user
    if user.is_authenticated and user.is_verified():
        return Requester(user=user, ip=client_ip(request))
    raise FhirError(401, "Sign in, or send a bearer token.")


def perm_for(spec: ResourceSpec) -> Perm:
    """Return the permission needed to read a resource type."""
    if "perm" in spec.extra:
        return spec.extra["perm"]
    return Perm.VIEW_PERSON if spec.type == "Patient" else Perm.VIEW_CLINICAL


def require_read(requester: Requester, spec: ResourceSpec) -> None:
    """Raise FhirError(403) unless the caller's role and scopes allow reading this type."""
    if not requester.may_read(spec.type):
        raise FhirError(403, f"The token's scopes do not include reading {spec.type}.")
    if spec.person_path and not sites_with(requester.user, perm_for(spec)):
        raise FhirError(403, f"Your role does not allow reading {spec.type}.")


def recipient_grants(requester: Requester) -> Q:
    """Return a filter on ConsentGrant for consents that could name this client."""
    client = requester.client
    assert client is not None
    matches = Q(recipient_kind="category", recipient_category=client.recipient_category)
    if client.recipient_ref:
        matches |= Q(recipient_kind__in=["organization", "service"], recipient_ref=client.recipient_ref)
    return matches


class GrantView:
    """The fields of a ConsentGrant that `may_disclose` reads, without a model instance."""

    FIELDS = ("person_id", "public_id", "provision", "recipient_kind", "recipient_ref", "recipient_category",
              "purposes", "categories", "starts_at", "expires_at", "revoked_at")
    __slots__ = FIELDS

    def __init__(self, *values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)

    is_in_force = ConsentGrant.is_in_force

    def terms(self, at) -> tuple:
        """Return everything a decision at `at` reads from this grant, except whose and which it is."""
        return (self.provision, self.recipient_kind, self.recipient_ref, self.recipient_category,
                tuple(self.purposes), tuple(self.categories), self.is_in_force(at))


def consent_map(requester: Requester, grants_qs) -> dict[int, tuple[frozenset, tuple]]:
    """Return {person pk: (permitted categories, consent ids)} for the grants given.

    `grants_qs` is a ConsentGrant queryset already narrowed to the people concerned;
    only consents in force that could name this client are read (one query).
    """
    now = timezone.now()
    recipient = requester.recipient()
    purpose = requester.client.purpose
    qs = (
        grants_qs.filter(recipient_grants(requester), starts_at__lte=now, expires_at__gt=now)
        .exclude(revoked_at__lte=now).order_by("person_id")
    )
    if connection.vendor == "sqlite":
        return _decide_all(_raw_grants(qs), recipient, purpose, now)
    by_person: dict[int, list] = {}
    for values in qs.values_list(*GrantView.FIELDS).iterator(chunk_size=5000):
        grant = GrantView(*values)
        by_person.setdefault(grant.person_id, []).append((grant.terms(now), str(grant.public_id), lambda g=grant: g))
    return _decide_all(by_person, recipient, purpose, now)


def _raw_grants(qs) -> dict[int, list]:
    """Return {person pk: [(terms, consent id, typed grant maker)]} from stored text (SQLite).

    Dates, UUIDs and JSON are read as stored text and only turned into typed values for
    the first person with a given set of terms; the query already keeps only consents
    in force now, which the terms would otherwise record.
    """
    fields = GrantView.FIELDS[1:]
    rows = qs.annotate(**{f"_t{i}": Cast(name, TextField()) for i, name in enumerate(fields)}).values_list(
        "person_id", *[f"_t{i}" for i in range(len(fields))]
    )
    by_person: dict[int, list] = {}
    for person_id, public_hex, provision, kind, ref, category, purposes, categories, starts, expires, revoked in (
        rows.iterator(chunk_size=5000)
    ):
        h = public_hex  # 32 hex digits as SQLite stores a UUID; the consent id is its usual form
        consent_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        values = (person_id, consent_id, provision, kind, ref, category, purposes, categories, starts, expires, revoked)
        terms = (provision, kind, ref, category, purposes, categories, True)
        by_person.setdefault(person_id, []).append((terms, consent_id, lambda v=values: _typed_grant(v)))
    return by_person


def _typed_grant(values) -> GrantView:
    person_id, public_id, provision, kind, ref, category, purposes, categories, starts, expires, revoked = values

    def when(text):
        if text is None:
            return None
        value = parse_datetime(text)
        return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)

    return GrantView(person_id, uuid.UUID(public_id), provision, kind, ref, category, json.loads(purposes),
                     json.loads(categories), when(starts), when(expires), when(revoked))


def _decide_all(by_person: dict[int, list], recipient, purpose, now) -> dict[int, tuple[frozenset, tuple]]:
    """Decide each person's consents; people whose grants have the same terms share one decision.

    The decision depends on the grants' terms, not on whose they are: the same categories
    are permitted, by the grants at the same places in each person's list.
    """
    interned: dict = {}
    decided: dict[tuple, tuple[frozenset, tuple[int, ...]]] = {}
    out: dict[int, tuple[frozenset, tuple]] = {}
    for person_id, grants in by_person.items():
        terms = tuple(t for t, _id, _make in grants)
        known = decided.get(terms)
        if known is None:
            typed = [make() for _t, _id, make in grants]
            decision = may_disclose(None, recipient, purpose, DATA_CATEGORY_CODES, at=now, grants=typed)  # type: ignore[arg-type]
            place = {consent_id: i for i, (_t, consent_id, _make) in enumerate(grants)}
            known = decided[terms] = (frozenset(decision.permitted),
                                      tuple(place[cid] for cid in decision.consent_ids))
        permitted, used = known
        key = (permitted, tuple(sorted(grants[i][1] for i in used)))
        out[person_id] = interned.setdefault(key, key)
    return out


def readable(requester: Requester, spec: ResourceSpec):
    """Return a queryset of the spec's model restricted to what the caller may read.

    Role and care team always apply; for a machine client, also each person's consent
    for the type's data categories. Per-object categories are checked by `permits`.
    """
    require_read(requester, spec)
    qs = spec.model.objects.all()
    lookup = person_pk_lookup(spec)
    if lookup is None:
        return qs
    people = visible_people(requester.user, perm_for(spec))
    if requester.external:
        permitted = consent_map(requester, ConsentGrant.objects.filter(person__in=people))
        requester._consent_cache = permitted
        wanted = set(spec.categories)
        allowed_ids = [pid for pid, (cats, _ids) in permitted.items() if wanted <= cats]
        return qs.filter(**{f"{lookup}__in": allowed_ids})
    return qs.filter(**{f"{lookup}__in": people.values("pk")})


def object_categories(spec: ResourceSpec, obj: Any) -> set[str]:
    cats = set(spec.categories)
    if spec.object_categories is not None:
        cats |= set(spec.object_categories(obj))
    return cats


def permits(requester: Requester, spec: ResourceSpec, obj: Any, person_pk: int | None) -> bool:
    """Return whether this one object may go to the caller (its own extra categories)."""
    if not requester.external or person_pk is None:
        return True
    cats, _ids = requester._consent_cache.get(person_pk, (frozenset(), ()))
    return object_categories(spec, obj) <= cats


def person_pk_of(spec: ResourceSpec, obj: Any) -> int | None:
    lookup = person_pk_lookup(spec)
    if lookup is None:
        return None
    if lookup == "pk":
        return obj.pk
    value: Any = obj
    for part in spec.person_path.split("__"):
        value = getattr(value, part)
    return value.pk


@transaction.atomic
def record_access(
    requester: Requester, *, action: str, resource_type: str, items: Iterable[tuple[Any, int | None, set]],
    detail: dict | None = None,
) -> None:
    """Audit a FHIR read or search: one event per person, plus disclosures for clients.

    `items` are (object, person pk, categories sent). Written in one batch.
    """
    from safehaven.people.models import Person

    actor_id, actor_label = actor_fields(requester.user)
    per_person: dict[int, set] = {}
    for _obj, pk, cats in items:
        if pk is not None:
            per_person.setdefault(pk, set()).update(cats)
    # A Patient read or search already holds the people (with their site): no second read.
    site_field = Person._meta.get_field("site")
    people = {obj.pk: obj for obj, pk, _cats in items
              if isinstance(obj, Person) and obj.pk == pk and site_field.is_cached(obj)}
    missing = [pk for pk in per_person if pk not in people]
    if missing:
        people.update((p.pk, p) for p in Person.objects.filter(pk__in=missing).select_related("site"))
    base = {"type": resource_type, **(detail or {})}
    if requester.external:
        base["client"] = str(requester.client.public_id)
    events = [
        AuditEvent(actor_id=actor_id, actor_label=actor_label, action=action, object_type="fhir",
                   object_id=resource_type, person_id=str(p.public_id), site_id=str(p.site.public_id),
                   detail=base, ip=requester.ip[:64])
        for p in people.values()
    ]
    if not events:
        events = [AuditEvent(actor_id=actor_id, actor_label=actor_label, action=action,
                             object_type="fhir", object_id=resource_type, detail=base,
                             ip=requester.ip[:64])]
    if requester.external:
        disclosures = disclosure_rows(requester, {people[pk].pk: sorted(cats) for pk, cats in per_person.items() if pk in people},
                                      channel="fhir")
        Disclosure.objects.bulk_create(disclosures)
    chain.append(events)


def disclosure_rows(requester: Requester, sent: dict[int, list[str]], *, channel: str, detail: dict | None = None) -> list:
    """Return unsaved Disclosure rows for what a client received, person by person."""
    client = requester.client
    actor_id, actor_label = actor_fields(requester.user)
    rows = []
    for person_pk, categories in sent.items():
        _cats, consent_ids = requester._consent_cache.get(person_pk, (frozenset(), ()))
        rows.append(Disclosure(
            person_id=person_pk, actor_id=actor_id, actor_label=actor_label, channel=channel,
            recipient_kind=client.recipient_kind, recipient_ref=client.recipient_ref,
            recipient_label=client.name, recipient_category=client.recipient_category,
            purpose=client.purpose, categories=categories, consent_ids=list(consent_ids),
            detail=detail or {},
        ))
    return rows
