"""Reads for needs, plans, the caseload and the timeline; query counts are fixed."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from safehaven.accounts.permissions import Perm
from safehaven.careplans.models import (
    GOAL_OPEN_STATUSES,
    HEALTH_CONCERN_STATUSES,
    NEED_STATUS_RANK,
    TASK_OPEN_STATUSES,
    CarePlan,
    CaseConference,
    CaseTask,
    ConferenceAttendee,
    ContactAttempt,
    Goal,
    NeedRating,
    NeedsAssessment,
    SafetyPlan,
    Step,
)
from safehaven.lib.prepared import prepared
from safehaven.people.models import CareTeamMember, Encounter, Person

NOT_SEEN_DAYS = 30
CONSENT_WARNING_DAYS = 30
DUE_SOON_DAYS = 7
CASELOAD_ROWS = 100
CLOSED_REFERRAL_STATUSES = {"completed", "cancelled", "rejected", "failed", "entered-in-error", "closed"}


# --- needs ----------------------------------------------------------------------------

def _ratings_prefetch() -> Prefetch:
    return Prefetch("ratings", queryset=NeedRating.objects.select_related("domain"))


def assessments(person: Person) -> list[NeedsAssessment]:
    """Return all of the person's assessments, newest first, with their ratings."""
    return list(
        NeedsAssessment.objects.filter(person=person)
        .select_related("assessed_by")
        .prefetch_related(_ratings_prefetch())
    )


def assessment_with_ratings(assessment: NeedsAssessment) -> NeedsAssessment:
    """Return the assessment again with its ratings and domains loaded (person kept)."""
    loaded = (
        NeedsAssessment.objects.select_related("assessed_by")
        .prefetch_related(_ratings_prefetch()).get(pk=assessment.pk)
    )
    loaded.person = assessment.person
    return loaded


def latest_assessment(person: Person) -> NeedsAssessment | None:
    """Return the person's most recent assessment with its ratings, or None."""
    return (
        NeedsAssessment.objects.filter(person=person)
        .select_related("assessed_by")
        .prefetch_related(_ratings_prefetch())
        .first()
    )


@dataclass
class DomainChange:
    domain: Any
    before: NeedRating | None
    after: NeedRating | None

    @property
    def direction(self) -> str:
        """Return "better", "worse", "same", "new" or "gone" (by status urgency)."""
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        a, b = self.after.status, self.before.status
        if a == b:
            return "same"
        if "not_assessed" in (a, b) or "declined" in (a, b):
            return "changed"
        return "better" if NEED_STATUS_RANK[a] > NEED_STATUS_RANK[b] else "worse"

    @property
    def changed(self) -> bool:
        if self.before is None or self.after is None:
            return True
        return (
            self.before.status != self.after.status
            or self.before.priority != self.after.priority
            or self.before.emergency != self.after.emergency
            or self.before.notes != self.after.notes
        )


def changes_since_previous(person: Person, assessment: NeedsAssessment) -> tuple[NeedsAssessment | None, list[DomainChange]]:
    """Compare an assessment with the one before it, domain by domain."""
    previous = (
        NeedsAssessment.objects.filter(person=person)
        .filter(Q(assessed_at__lt=assessment.assessed_at)
                | Q(assessed_at=assessment.assessed_at, id__lt=assessment.id))
        .prefetch_related(_ratings_prefetch())
        .order_by("-assessed_at", "-id")
        .first()
    )
    after = {r.domain.code: r for r in assessment.ratings.all()}
    before = {r.domain.code: r for r in previous.ratings.all()} if previous else {}
    rows = []
    for code in sorted(set(after) | set(before), key=lambda c: ((after.get(c) or before.get(c)).domain.order, c)):
        rating = after.get(code) or before.get(code)
        rows.append(DomainChange(rating.domain, before.get(code), after.get(code)))
    return previous, rows


# --- care plan ------------------------------------------------------------------------

def plan_for(person: Person) -> CarePlan | None:
    """Return the person's plan with goals, their domains and steps (fixed query count)."""
    return (
        CarePlan.objects.filter(person=person)
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=Goal.objects.prefetch_related(
                    "domains", Prefetch("steps", queryset=Step.objects.select_related("owner_user"))
                ),
            )
        )
        .first()
    )


def safety_plan_for(person: Person) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(person=person).first()


# The needs panel's reads, run on every chart view: prepared (safehaven/lib/prepared.py).
@prepared(person=models.BigIntegerField())
def _urgent_tasks(person):
    return CaseTask.objects.filter(
        person_id=person, kind="urgent_substance_use", status__in=TASK_OPEN_STATUSES).order_by("id")


@prepared(person=models.BigIntegerField())
def _latest_assessment(person):
    return NeedsAssessment.objects.filter(person_id=person).order_by("-assessed_at", "-id")[:1]


@prepared(person=models.BigIntegerField())
def _pressing_ratings(person):
    latest = NeedsAssessment.objects.filter(person_id=person).order_by("-assessed_at", "-id").values("id")[:1]
    return NeedRating.objects.filter(
        assessment_id=Subquery(latest), status__in=["crisis", "urgent", "need"]).select_related("domain").order_by("id")


@prepared(person=models.BigIntegerField())
def _open_goals(person):
    return Goal.objects.filter(person_id=person, lifecycle_status__in=GOAL_OPEN_STATUSES).order_by(
        "created_at", "id")[:20]


def open_urgent_tasks(person: Person) -> list[CaseTask]:
    return _urgent_tasks.list(person=person.pk)


def panel(person: Person) -> dict:
    """Return the chart panel: needs summary from the latest assessment, active goals, alerts.

    Always exactly four queries, whether the person has no data or a lot (no prefetch that is
    skipped when empty), so the chart's query count never depends on this record. Goals are
    shown in the person's words with their status; their need domains are on the plan page.
    """
    latest = _latest_assessment.first(person=person.pk)
    ratings = _pressing_ratings.list(person=person.pk)
    pressing = sorted(ratings, key=lambda r: (NEED_STATUS_RANK[r.status], r.domain.order))
    goals = _open_goals.list(person=person.pk)
    return {"latest": latest, "pressing": pressing, "goals": goals, "urgent": open_urgent_tasks(person)}


# --- caseload -------------------------------------------------------------------------

@dataclass
class Caseload:
    tasks: list = field(default_factory=list)
    not_seen: list = field(default_factory=list)
    consents: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    referrals_available: bool = False


def my_caseload_people(user: Any):
    """Return the people on the user's care teams (not break-glass) where they may case-manage."""
    from safehaven.access.gate import sites_with

    sites = sites_with(user, Perm.CASE_MANAGE)
    on_team = CareTeamMember.objects.filter(person=OuterRef("pk"), user=user, active=True)
    return Person.objects.filter(site_id__in=sites, active=True).filter(Exists(on_team))


def _referral_model():
    try:
        model = apps.get_model("referrals", "Referral")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"person", "status"} <= names else None


def _expiring_consents(user: Any, people, now: datetime.datetime, until: datetime.datetime) -> list:
    """Return consents in force that end soon for people on the caseload (one query)."""
    try:
        from safehaven.consent.queries import expiring  # the consent capability's own query
    except ImportError:
        expiring = None
    if expiring is not None:
        days = max((until - now).days, 1)
        return list(expiring(user, within_days=days, at=now).filter(person__in=people)[:CASELOAD_ROWS])
    from safehaven.consent.models import ConsentGrant

    return list(
        ConsentGrant.objects.filter(
            person__in=people, provision="permit", revoked_at__isnull=True, starts_at__lte=now,
            expires_at__gt=now, expires_at__lte=until,
        ).select_related("person").order_by("expires_at")[:CASELOAD_ROWS]
    )


def caseload(user: Any, *, today: datetime.date | None = None) -> Caseload:
    """Return the advocate's worklist: tasks due, people not seen lately, consents, referrals."""
    now = timezone.now()
    today = today or timezone.localdate()
    people = my_caseload_people(user)
    result = Caseload()
    result.tasks = list(
        CaseTask.objects.filter(
            person__in=people, status__in=TASK_OPEN_STATUSES,
        ).filter(
            Q(due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)) | Q(priority="stat")
        ).filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .select_related("person", "assigned_to")
        .order_by("due_date", "id")[:CASELOAD_ROWS]
    )
    for task in result.tasks:
        task.overdue = bool(task.due_date and task.due_date < today)
    last = Encounter.objects.filter(person=OuterRef("pk")).exclude(
        status__in=["cancelled", "entered-in-error", "planned"]
    ).order_by("-started_at").values("started_at")[:1]
    cutoff = now - datetime.timedelta(days=NOT_SEEN_DAYS)
    result.not_seen = list(
        people.annotate(last_seen=Subquery(last))
        .filter(Q(last_seen__lt=cutoff) | Q(last_seen__isnull=True))
        .order_by("last_seen", "chosen_name_folded")[:CASELOAD_ROWS]
    )
    result.consents = _expiring_consents(user, people, now, now + datetime.timedelta(days=CONSENT_WARNING_DAYS))
    model = _referral_model()
    if model is not None:
        result.referrals_available = True
        order = "-created_at" if "created_at" in {f.name for f in model._meta.get_fields()} else "-pk"
        result.referrals = list(
            model.objects.filter(person__in=people)
            .exclude(status__in=CLOSED_REFERRAL_STATUSES)
            .select_related("person").order_by(order)[:CASELOAD_ROWS]
        )
    return result


# --- timeline -------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str
    label: str
    detail: str = ""
    url: str = ""


# Models of other capabilities shown on the timeline when they exist:
# (app label, model name, kind, date fields to try)
OTHER_SOURCES = [
    ("screening", "ScreeningSession", "screen", ("started_at", "created_at")),
    ("referrals", "Referral", "referral", ("created_at",)),
    ("followup", "DueItem", "follow_up", ("due_on", "created_at")),
    ("followup", "Appointment", "follow_up", ("starts_at",)),
]
TIMELINE_LIMIT = 50


def _other_sources():
    seen = set()
    for app_label, model_name, kind, date_fields in OTHER_SOURCES:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        date_field = next((f for f in date_fields if f in names), None)
        if "person" not in names or date_field is None or model in seen:
            continue
        seen.add(model)
        yield model, kind, date_field, names


def timeline(person: Person, *, can_clinical: bool) -> list[TimelineEntry]:
    """Return the person's journey on one page, newest first (one query per source)."""
    from django.urls import reverse

    entries: list[TimelineEntry] = []
    for e in Encounter.objects.filter(person=person).order_by("-started_at")[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(
            e.started_at, "encounter", str(e.get_setting_display()),
            detail=str(e.get_status_display()),
            url=reverse("people:encounter", args=[e.public_id]) if can_clinical else "",
        ))
    for a in NeedsAssessment.objects.filter(person=person)[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(
            a.assessed_at, "assessment", "", url=reverse("careplans:assessment", args=[a.public_id])
        ))
    for g in Goal.objects.filter(person=person).order_by("-created_at")[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(g.created_at, "goal", g.description,
                                     detail=str(g.get_lifecycle_status_display())))
    for c in CaseConference.objects.filter(person=person)[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(c.held_at, "conference", "",
                                     url=reverse("careplans:conference", args=[c.public_id])))
    for c in ContactAttempt.objects.filter(person=person)[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(c.at, "contact", str(c.get_channel_display()),
                                     detail=str(c.get_outcome_display())))
    for t in CaseTask.objects.filter(person=person, status="completed").order_by("-completed_at")[:TIMELINE_LIMIT]:
        entries.append(TimelineEntry(t.completed_at or t.updated_at, "task", t.title))
    for model, kind, date_field, _names in _other_sources():
        rows = model.objects.filter(person=person).order_by(f"-{date_field}")[:TIMELINE_LIMIT]
        for row in rows:
            at = getattr(row, date_field)
            if at is None:
                continue
            if isinstance(at, datetime.date) and not isinstance(at, datetime.datetime):
                at = timezone.make_aware(datetime.datetime.combine(at, datetime.time()))
            status = getattr(row, "get_status_display", None)
            entries.append(TimelineEntry(
                at, kind, "", detail=str(status()) if callable(status) else "",
            ))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


# --- case conferences -----------------------------------------------------------------

def conference_detail(conference: CaseConference) -> CaseConference:
    """Return the conference with attendees, decisions and follow-up tasks loaded."""
    return (
        CaseConference.objects.filter(pk=conference.pk)
        .select_related("person", "person__site", "created_by")
        .prefetch_related(
            Prefetch("attendees", queryset=ConferenceAttendee.objects.select_related("user")),
            "decisions",
            Prefetch("tasks", queryset=CaseTask.objects.select_related("assigned_to")),
        )
        .get()
    )


def attendee_recipient(attendee):
    """Return the consent Recipient for an outside attendee's organisation."""
    from safehaven.consent.decision import Recipient

    return Recipient(
        kind="organization" if attendee.organisation_ref else "category",
        category=attendee.recipient_category or "other",
        ref=attendee.organisation_ref,
        label=attendee.organisation_label or attendee.name,
    )


def external_view(conference: CaseConference, attendee) -> tuple[list, Any]:
    """Return the decisions an outside attendee may see, and the consent decision behind it."""
    from safehaven.consent.decision import may_disclose

    decisions = list(conference.decisions.all())
    categories = sorted({d.category for d in decisions})
    decision = may_disclose(
        conference.person, attendee_recipient(attendee), attendee.purpose or "treatment", categories
    )
    allowed = set(decision.permitted)
    return [d for d in decisions if d.category in allowed], decision


def health_concerns(person: Person) -> list[NeedRating]:
    """Return the latest assessment's crisis and urgent needs (FHIR health concerns)."""
    latest = NeedsAssessment.objects.filter(person=person).first()
    if latest is None:
        return []
    return list(
        NeedRating.objects.filter(assessment=latest, status__in=HEALTH_CONCERN_STATUSES)
        .select_related("domain", "assessment", "assessment__person")
    )
