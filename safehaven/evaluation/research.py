"""De-identified research extracts, only for people who consented to research.

- Pseudonymous ids: a keyed HMAC of the person's id, keyed per study (not reversible
  without the server's secret; different studies cannot link their rows).
- Dates shifted by a per-person offset (1 to 180 days either way), so intervals within a
  person's record are kept.
- Ages generalised to bands, places to the site's region (its jurisdiction).
- A k-anonymity check over the quasi-identifiers (age band, region): the extract is
  refused when any combination is shared by fewer than k people.
"""

import csv
import datetime
import hashlib
import hmac
import io
from collections import Counter
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
from safehaven.consent.models import ConsentGrant
from safehaven.evaluation.exports import inert
from safehaven.people.models import Encounter, Person

QUASI_IDENTIFIERS = ("age_band", "region")
COLUMNS = ["pseudonym", "age_band", "region", "first_visit", "last_visit", "visits",
           "retained_2_months", "retained_6_months", "retained_12_months"]
RESEARCH = Recipient(kind="category", category="research", label="Research extract")
CATEGORIES = ["clinical_summary"]


class NotAnonymous(Exception):
    """The extract would single people out."""

    def __init__(self, smallest: int, k: int, groups: int):
        super().__init__(f"smallest group {smallest} < k={k}")
        self.smallest, self.k, self.groups = smallest, k, groups


@dataclass
class Extract:
    rows: list[dict]
    people: int
    k: int


def _key(study: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"research-extract:{study}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, person: Person) -> str:
    return hmac.new(key, f"id:{person.public_id}".encode(), hashlib.sha256).hexdigest()[:20]


def date_shift(key: bytes, person: Person) -> datetime.timedelta:
    digest = hmac.new(key, f"shift:{person.public_id}".encode(), hashlib.sha256).digest()
    days = int.from_bytes(digest[:4], "big") % 180 + 1
    return datetime.timedelta(days=days if digest[4] % 2 else -days)


def age_band(person: Person) -> str:
    age = person.age
    band = person.age_band
    if age is None:
        age = {"0-11": 10, "12-17": 15, "18-24": 20, "25-34": 30, "35-49": 40, "50-64": 55, "65+": 70}.get(band)
    if age is None:
        return "unknown"
    if age < 18:
        return "under 18"
    for low, high in ((18, 24), (25, 34), (35, 49)):
        if low <= age <= high:
            return f"{low}-{high}"
    return "50+"


def consenting_people(sites) -> tuple[list[Person], dict]:
    """Return the people at these sites whose consent in force permits research, and the decisions."""
    now = timezone.now()
    people = list(Person.objects.filter(site_id__in=sites).select_related("site").order_by("pk"))
    grants: dict[int, list] = {}
    in_force = (ConsentGrant.objects.filter(person__site_id__in=sites, recipient_kind="category",
                                            recipient_category="research", starts_at__lte=now, expires_at__gt=now)
                .exclude(revoked_at__lte=now))
    for grant in in_force:
        grants.setdefault(grant.person_id, []).append(grant)
    chosen, decisions = [], {}
    for person in people:
        if person.pk not in grants:
            continue
        decision = may_disclose(person, RESEARCH, "research", CATEGORIES, at=now, grants=grants[person.pk])
        if decision.allowed:
            chosen.append(person)
            decisions[person.pk] = decision
    return chosen, decisions


def build_extract(*, sites, study: str, k: int = 11) -> tuple[Extract, dict, list[Person]]:
    """Return the extract rows, or raise NotAnonymous when it is not k-anonymous."""
    people, decisions = consenting_people(sites)
    key = _key(study)
    spans = {
        row["person_id"]: row
        for row in Encounter.objects.filter(person__in=[p.pk for p in people])
        .values("person_id").annotate(first=Min("started_at"), last=Max("started_at"), n=Count("id"))
    }
    rows = []
    for person in people:
        span = spans.get(person.pk)
        shift = date_shift(key, person)
        row = {"pseudonym": pseudonym(key, person), "age_band": age_band(person),
               "region": person.site.jurisdiction or "unknown", "visits": span["n"] if span else 0}
        if span:
            first, last = span["first"], span["last"]
            row["first_visit"] = (timezone.localtime(first).date() + shift).isoformat()
            row["last_visit"] = (timezone.localtime(last).date() + shift).isoformat()
            for months in (2, 6, 12):
                due = first + relativedelta(months=months)
                row[f"retained_{months}_months"] = ("yes" if last >= due else "no") if due <= timezone.now() else "not yet"
        rows.append(row)
    groups = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in rows)
    smallest = min(groups.values()) if groups else 0
    if smallest < k:
        raise NotAnonymous(smallest, k, len(groups))
    return Extract(rows=rows, people=len(rows), k=k), decisions, people


def to_csv(extract: Extract) -> bytes:
    """The extract as CSV; every text cell is made inert (a site's region is free text)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows({key: inert(value) for key, value in row.items()} for row in extract.rows)
    return buffer.getvalue().encode("utf-8")


def log_extract(*, by, people: list[Person], decisions: dict, study: str) -> None:
    """Log one disclosure per person included (what the consent module needs to show them)."""
    for person in people:
        log_disclosure(by=by, person=person, recipient=RESEARCH, purpose="research",
                       decision=decisions[person.pk], channel="research-extract", detail={"study": study})
