"""Reads for consent pages and panels; query counts are fixed whatever the data size."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from safehaven.accounts.permissions import Perm
from safehaven.consent.models import CareStepConsent, ConsentGrant, Disclosure, RequiredReport
from safehaven.consent.steps import STEP_BY_CODE, STEPS, CareStep
from safehaven.lib.prepared import many, prepared
from safehaven.people.models import Encounter, Person

RECENT_VISITS = 3


# The consent panel's reads, run on every chart view: prepared (safehaven/lib/prepared.py).
@prepared(encounters=many(models.BigIntegerField()))
def _step_answers(encounters):
    return CareStepConsent.objects.filter(encounter_id__in=encounters).select_related("encounter").order_by(
        "answered_at", "id")


@prepared(person=models.BigIntegerField(), at=models.DateTimeField())
def _in_force(person, at):
    return (
        ConsentGrant.objects.filter(person_id=person, starts_at__lte=at, expires_at__gt=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .order_by("-created_at", "-id")
    )


@prepared(person=models.BigIntegerField())
def _reports(person):
    return RequiredReport.objects.filter(person_id=person).select_related("made_by").order_by("-reported_at", "-id")


@dataclass
class StepState:
    """A step and the person's latest answer about it in one encounter (None: not asked)."""

    step: CareStep
    answer: CareStepConsent | None
    missing: list[CareStep]  # required steps not answered "yes"

    @property
    def allowed(self) -> bool:
        return (
            self.answer is not None and self.answer.status == "active" and not self.missing
        )

    @property
    def needs_asking(self) -> bool:
        return self.answer is None


def latest_answers(encounter: Encounter) -> dict[str, CareStepConsent]:
    """Return the latest answer per step in an encounter (one query)."""
    latest: dict[str, CareStepConsent] = {}
    for row in CareStepConsent.objects.filter(encounter=encounter).select_related("recorded_by").order_by(
        "answered_at", "id"
    ):
        latest[row.step] = row
    return latest


def step_states(encounter: Encounter) -> list[StepState]:
    """Return every step with the latest answer and what else it needs (one query)."""
    latest = latest_answers(encounter)
    states = []
    for care_step in STEPS:
        missing = [
            STEP_BY_CODE[code] for code in care_step.requires
            if latest.get(code) is None or latest[code].status != "active"
        ]
        states.append(StepState(care_step, latest.get(care_step.code), missing))
    return states


def may_proceed(encounter: Encounter, step: str) -> bool:
    """Return whether the person has said yes, and not since stopped, to this step and what it needs."""
    for state in step_states(encounter):
        if state.step.code == step:
            return state.allowed
    raise ValueError(f"unknown care step: {step}")


def latest_encounters(person: Person, visits: int = RECENT_VISITS) -> list[Encounter]:
    """Return the person's `visits` newest encounters, newest first (at most one query).

    On the chart they are already read (`person.chart_encounters`, see people/chart.py).
    """
    from safehaven.people.queries import CHART_ENCOUNTERS

    read = getattr(person, "chart_encounters", None)
    if read is not None and visits <= CHART_ENCOUNTERS:
        return list(read[:visits])  # the chart read its newest ones (or all there are)
    return list(Encounter.objects.filter(person=person).order_by("-started_at", "-id")[:visits])


def recent_declines(person: Person, *, visits: int = RECENT_VISITS) -> list[dict]:
    """Return, for the person's latest visits, the steps whose latest answer was no or stop.

    Two queries whatever the number of visits or answers.
    """
    recent_ids = [e.pk for e in latest_encounters(person, visits)]
    rows = _step_answers.list(encounters=recent_ids)
    latest: dict[tuple[int, str], CareStepConsent] = {}
    for row in rows:
        latest[(row.encounter_id, row.step)] = row
    by_visit: dict[int, dict] = {}
    for (encounter_id, code), row in latest.items():
        if row.status == "active" or code not in STEP_BY_CODE:
            continue
        visit = by_visit.setdefault(encounter_id, {"encounter": row.encounter, "declined": []})
        visit["declined"].append({"step": STEP_BY_CODE[code], "answer": row})
    visits_out = sorted(by_visit.values(), key=lambda v: v["encounter"].started_at, reverse=True)
    for visit in visits_out:
        visit["declined"].sort(key=lambda d: d["answer"].answered_at)
    return visits_out


def grants_for(person: Person) -> list[ConsentGrant]:
    """Return all the person's information-sharing consents, newest first (one query)."""
    return list(
        ConsentGrant.objects.filter(person=person)
        .select_related("recorded_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def in_force(person: Person, at: datetime.datetime | None = None) -> list[ConsentGrant]:
    """Return the consents in force now, newest first (one query).

    The database leaves out what has ended, been revoked or not yet begun (a person's
    history of consents grows; those in force stay few); `is_in_force` has the last word.
    """
    at = at or timezone.now()
    return [g for g in _in_force.list(person=person.pk, at=at) if g.is_in_force(at)]


def disclosures_for(person: Person) -> list[Disclosure]:
    """Return the disclosure log of a person, newest first (one query)."""
    return list(Disclosure.objects.filter(person=person).order_by("-at", "-id"))


def reports_for(person: Person) -> list[RequiredReport]:
    """Return the legally required reports about a person (one query)."""
    return _reports.list(person=person.pk)


def _site_ids(user_or_sites: Any) -> tuple[Any, frozenset[int] | None]:
    if hasattr(user_or_sites, "is_authenticated"):
        return user_or_sites, None
    sites = frozenset(getattr(s, "pk", s) for s in user_or_sites)
    return None, sites


def expiring(
    user_or_sites: Any, within_days: int = 14, *, at: datetime.datetime | None = None
) -> QuerySet[ConsentGrant]:
    """Return the permit consents in force that end within `within_days`, soonest first.

    Given a user: only for people on that user's care teams (where they manage consent).
    Given sites (Site objects or ids): every person at those sites. One query when evaluated;
    `person` and `person__site` are selected with it.
    """
    from safehaven.access.gate import visible_people

    at = at or timezone.now()
    user, sites = _site_ids(user_or_sites)
    grants = ConsentGrant.objects.filter(
        provision="permit", revoked_at__isnull=True, starts_at__lte=at,
        expires_at__gt=at, expires_at__lte=at + datetime.timedelta(days=within_days),
    )
    if user is not None:
        grants = grants.filter(person__in=visible_people(user, Perm.MANAGE_CONSENT))
    else:
        grants = grants.filter(person__site_id__in=sites or [])
    return grants.select_related("person", "person__site").order_by("expires_at", "id")


def documentation_preferences(person: Person) -> list[dict]:
    """Return the person's documentation decisions (screening's HealthConcern), if installed.

    Each item: {"label": a neutral label, "channels": [(channel label, allowed)]}. The
    concern's code and wording are never returned: they may not be allowed on printouts.
    Empty before the screening capability has the model.
    """
    from django.apps import apps

    from safehaven.consent.wording import CHANNEL_LABELS, CONCERN_LABEL

    if not apps.is_installed("safehaven.screening"):
        return []
    try:
        model = apps.get_model("screening", "HealthConcern")
    except LookupError:
        return []
    if not hasattr(model, "allowed_on"):
        return []
    out = []
    for concern in model.objects.filter(person=person, active=True):
        channels = []
        for code, label in CHANNEL_LABELS.items():
            try:
                channels.append((str(label), concern.allowed_on(code)))
            except ValueError:
                continue
        out.append({"label": str(CONCERN_LABEL), "channels": channels})
    return out
