"""The capabilities' synthetic rows, in bulk: screening, care plans, directory, referrals,
follow-up, consent and the audit events that go with them.

`populate(people, ...)` adds rows for a list of people (the people of one batch of
`safehaven.core.synth.generate`); `generate_full(...)` walks a whole synthetic network.
Each capability is imported lazily: an app whose models are missing is skipped and named
in the result, so this module keeps working while the capabilities change.
Everything is invented and deterministic for a seed (apart from random public ids).
"""

import datetime
import importlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from safehaven.audit import chain
from safehaven.audit.models import AuditEvent
from safehaven.bench import fastinsert
from safehaven.lib.progress import Progress

GOALS = [
    "Find a safe place to stay", "Get my ID card back", "Start a job training course",
    "See a counsellor every week", "Get my medicines sorted", "Go back to school",
    "Open a bank account", "Talk to a lawyer about my options",
]
ASSESSMENT_SUMMARIES = [
    "Talked about what matters most now; housing first.",
    "Chose to focus on health and documents this month.",
    "Reassessed after the move; fewer urgent needs.",
]
REFERRAL_PATHS = [
    ["draft"],
    ["draft", "requested"],
    ["draft", "requested", "accepted"],
    ["draft", "requested", "accepted", "in-progress"],
    ["draft", "requested", "accepted", "in-progress", "completed"],
    ["draft", "requested", "rejected"],
    ["draft", "requested", "accepted", "failed"],
]
DUE_LABELS = {
    "enrolled": [("HIV test", "lab", 0), ("Check-in visit", "visit", 14), ("PHQ-9", "screen", 30)],
    "sti_treated": [("Test of cure", "lab", 21), ("Retest", "lab", 90)],
    "exposure": [("HIV test at 6 weeks", "lab", 42), ("Syphilis test", "lab", 90)],
    "hepb_dose1": [("Hepatitis B dose 2", "vaccine", 30), ("Hepatitis B dose 3", "vaccine", 180)],
    "chronic_condition": [("Medicine review", "visit", 90)],
}
VIEW_ACTIONS = ["person.view", "person.view", "person.list", "encounter.view"]


@dataclass
class Context:
    """What `populate` needs once per run: reference rows and precomputed answers."""

    rng: random.Random
    now: datetime.datetime
    staff_by_site: dict[int, list[Any]]
    site_public: dict[int, str]
    skipped: dict[str, str] = field(default_factory=dict)
    instruments: list[tuple[Any, list[tuple[str, bool, list[dict]]]]] = field(default_factory=list)
    domains: list[Any] = field(default_factory=list)
    services: list[tuple[int, str, int | None, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _models(module: str, *names: str, ctx: Context, app: str):
    """Return the named models of a capability, or None (and note why) when they are missing."""
    if app in ctx.skipped:
        return None
    try:
        mod = importlib.import_module(module)
        return [getattr(mod, name) for name in names]
    except (ImportError, AttributeError) as exc:
        ctx.skipped[app] = f"models missing ({exc})"
        return None


def ensure_directory(services: int, *, seed: int, ctx: Context | None = None) -> int:
    """Create `services` synthetic directory services once; return how many exist."""
    try:
        from safehaven.directory import bench as directory_bench
        from safehaven.directory.models import Service
    except ImportError as exc:
        if ctx is not None:
            ctx.skipped["directory"] = f"models missing ({exc})"
        return 0
    have = Service.objects.count()
    if services and have < services:
        with transaction.atomic():
            directory_bench.generate(services - have, seed=seed)
    return Service.objects.count()


def make_context(*, seed: int, staff_by_site: dict[int, list[Any]], site_public: dict[int, str]) -> Context:
    """Load reference rows (instruments, need domains, services) and precompute answers."""
    ctx = Context(rng=random.Random(seed * 7919 + 13), now=timezone.now(),
                  staff_by_site=staff_by_site, site_public=site_public)
    found = _models("safehaven.screening.models", "Instrument", ctx=ctx, app="screening")
    if found:
        (Instrument,) = found
        try:
            from safehaven.screening import actions as screening_actions
            from safehaven.screening import engine

            if not Instrument.objects.exists():
                screening_actions.import_instruments(by="synth", files=screening_actions.shipped_instrument_files())
            for instrument in Instrument.objects.filter(active=True).order_by("name"):
                variants = _answer_variants(engine, instrument, random.Random(seed))
                if variants:
                    ctx.instruments.append((instrument, variants))
        except Exception as exc:  # an instrument the engine cannot score is skipped, with the reason
            ctx.skipped["screening"] = f"instruments unusable ({exc.__class__.__name__}: {exc})"
            ctx.instruments = []
    found = _models("safehaven.careplans.models", "NeedDomain", ctx=ctx, app="careplans")
    if found:
        ctx.domains = list(found[0].objects.order_by("order", "code"))
    found = _models("safehaven.directory.models", "Service", ctx=ctx, app="directory")
    if found:
        ctx.services = list(
            found[0].objects.order_by("pk").values_list("pk", "name", "organization_id", "organization__name")
        )
    return ctx


def _answer_variants(engine, instrument, rng: random.Random, n: int = 4) -> list[tuple[str, bool, list[dict]]]:
    """Return a few scored answer sets for an instrument: (answers JSON, positive, scores)."""
    out = []
    items = engine.answerable_items(instrument.resource)
    for _ in range(n):
        raw = {}
        for item in items:
            options = item.get("answerOption") or []
            if item.get("type") in {"choice", "open-choice"} and options:
                raw[item["linkId"]] = str(rng.randrange(len(options)) if rng.random() < 0.5 else 0)
            elif item.get("type") == "boolean":
                raw[item["linkId"]] = "true" if rng.random() < 0.2 else "false"
        response, problems = engine.build_response(instrument.resource, raw)
        if problems:
            continue
        result = engine.score(instrument.resource, response)
        scores = [
            {"system": c.system, "code": c.code, "display": c.display[:200], "value": c.value,
             "interpretation": c.interpretation[:200], "positive": c.positive}
            for c in result.calculated if c.value is not None
        ]
        out.append((json.dumps(response), bool(result.positive or result.safety), scores))
    return out


def _event(at, action: str, person, site_public: str, object_type: str = "", object_id: str = "",
           actor=None) -> AuditEvent:
    return AuditEvent(
        at=at, actor_id=str(actor.public_id) if actor is not None else "system",
        actor_label=actor.username if actor is not None else "synth", action=action,
        object_type=object_type, object_id=object_id, person_id=str(person.public_id), site_id=site_public,
    )


def populate(people: list, ctx: Context) -> list[AuditEvent]:
    """Create the capabilities' rows for these people; return the audit events to chain."""
    events: list[AuditEvent] = []
    rng, now = ctx.rng, ctx.now
    people = [p for p in people if ctx.staff_by_site.get(p.site_id)]
    for person in people:
        staff = ctx.staff_by_site[person.site_id]
        for _ in range(rng.randint(1, 5)):
            at = person.created_at + datetime.timedelta(minutes=rng.randint(5, 600 * 24 * 60))
            events.append(_event(min(at, now), rng.choice(VIEW_ACTIONS), person,
                                 ctx.site_public[person.site_id], "person", str(person.public_id),
                                 actor=rng.choice(staff)))
    events += _screening(people, ctx)
    events += _careplans(people, ctx)
    events += _referrals(people, ctx)
    events += _followup(people, ctx)
    events += _consent(people, ctx)
    events.sort(key=lambda e: e.at)
    return events


def _when(ctx: Context, person, max_days: int = 600) -> datetime.datetime:
    at = person.created_at + datetime.timedelta(days=ctx.rng.randint(0, max_days), hours=ctx.rng.randint(0, 8))
    return min(at, ctx.now - datetime.timedelta(minutes=ctx.rng.randint(10, 5000)))


def _screening(people: list, ctx: Context) -> list[AuditEvent]:
    found = _models("safehaven.screening.models", "ScreeningSession", "ScreeningResponse", "ScoredResult",
                    ctx=ctx, app="screening")
    if not found or not ctx.instruments:
        return []
    Session, Response, Scored = found
    rng = ctx.rng
    sessions, responses, pending = [], [], []
    for person in people:
        if rng.random() >= 0.6:
            continue
        staff = ctx.staff_by_site[person.site_id]
        at = _when(ctx, person)
        author = rng.choice(staff)
        session = Session(person=person, site_id=person.site_id, started_by=author, status="completed",
                          alone=True, privacy_checked_at=at, confidentiality_explained_at=at,
                          education_offered_at=at, education_accepted=rng.random() < 0.7,
                          minor=person.is_minor, started_at=at, ended_at=at + datetime.timedelta(minutes=15))
        sessions.append(session)
        for instrument, variants in rng.sample(ctx.instruments, k=min(len(ctx.instruments), rng.randint(1, 3))):
            answers, positive, scores = rng.choice(variants)
            pending.append((session, Response(person=person, instrument=instrument, status="completed",
                                              outcome="completed", answers=answers, author=author,
                                              authored_at=at, positive=positive), scores))
    fastinsert.insert(Session, sessions)
    for session, response, _scores in pending:
        response.session = session
        responses.append(response)
    fastinsert.insert(Response, responses)
    scored = [
        Scored(person=response.person, response=response, effective_at=response.authored_at, **score)
        for _session, response, scores in pending for score in scores
    ]
    fastinsert.insert(Scored, scored)
    ctx.add("screening sessions", len(sessions))
    ctx.add("screening responses", len(responses))
    ctx.add("scored results", len(scored))
    return [
        _event(r.authored_at, "screening.response.complete", r.person, ctx.site_public[r.person.site_id],
               "screeningresponse", str(r.public_id), actor=r.author)
        for r in responses
    ]


def _careplans(people: list, ctx: Context) -> list[AuditEvent]:
    found = _models("safehaven.careplans.models", "CarePlan", "Goal", "NeedsAssessment", "NeedRating",
                    ctx=ctx, app="careplans")
    if not found:
        return []
    Plan, Goal, Assessment, Rating = found
    rng = ctx.rng
    plans, assessments, goals, ratings, events = [], [], [], [], []
    for person in people:
        if rng.random() >= 0.35:
            continue
        by = rng.choice(ctx.staff_by_site[person.site_id])
        at = _when(ctx, person)
        plans.append(Plan(person=person, status="active", created_by=by, created_at=at))
        if ctx.domains:
            assessments.append(Assessment(person=person, assessed_by=by, assessed_at=at, created_at=at,
                                          summary=rng.choice(ASSESSMENT_SUMMARIES)))
    fastinsert.insert(Plan, plans)
    fastinsert.insert(Assessment, assessments)
    for plan in plans:
        for _ in range(rng.randint(1, 3)):
            goals.append(Goal(plan=plan, person=plan.person, description=rng.choice(GOALS),
                              lifecycle_status=rng.choice(["active", "active", "accepted", "completed", "on-hold"]),
                              created_by=plan.created_by, created_at=plan.created_at))
        events.append(_event(plan.created_at, "careplan.create", plan.person,
                             ctx.site_public[plan.person.site_id], "careplan", str(plan.public_id),
                             actor=plan.created_by))
    for assessment in assessments:
        for domain in rng.sample(ctx.domains, k=min(len(ctx.domains), 5)):
            ratings.append(Rating(assessment=assessment, domain=domain,
                                  status=rng.choice(["crisis", "urgent", "need", "need", "stable", "stable"]),
                                  priority=rng.choice(["", "high", "medium", "low"])))
    fastinsert.insert(Goal, goals)
    fastinsert.insert(Rating, ratings)
    ctx.add("care plans", len(plans))
    ctx.add("goals", len(goals))
    ctx.add("needs assessments", len(assessments))
    ctx.add("need ratings", len(ratings))
    return events


def _referrals(people: list, ctx: Context) -> list[AuditEvent]:
    found = _models("safehaven.referrals.models", "Referral", "ReferralEvent", "NEED_DOMAINS",
                    ctx=ctx, app="referrals")
    if not found or not ctx.services:
        if found is not None and not ctx.services:
            ctx.skipped.setdefault("referrals", "no directory services to refer to")
        return []
    Referral, Event, need_domains = found
    codes = [row[0] for row in need_domains]
    rng = ctx.rng
    referrals, paths = [], []
    for person in people:
        if rng.random() >= 0.4:
            continue
        for _ in range(rng.randint(1, 2)):
            by = rng.choice(ctx.staff_by_site[person.site_id])
            pk, name, org_id, org_name = rng.choice(ctx.services)
            path = rng.choice(REFERRAL_PATHS)
            at = _when(ctx, person)
            referrals.append(Referral(
                person=person, site_id=person.site_id, need_domain=rng.choice(codes), service_id=pk,
                organization_id=org_id, service_name=name, organization_name=org_name or "",
                priority="urgent" if rng.random() < 0.15 else "routine",
                requested_categories=["identity_contact", "clinical_summary"], status=path[-1], created_by=by,
                created_at=at, requested_at=at + datetime.timedelta(hours=1) if len(path) > 1 else None,
                responded_at=at + datetime.timedelta(days=2) if len(path) > 2 else None,
                status_changed_at=at + datetime.timedelta(days=len(path) - 1),
            ))
            paths.append(path)
    fastinsert.insert(Referral, referrals)
    steps, events = [], []
    for referral, path in zip(referrals, paths, strict=True):
        previous = ""
        for n, status in enumerate(path):
            steps.append(Event(referral=referral, from_status=previous, to_status=status,
                               at=referral.created_at + datetime.timedelta(days=n), actor_kind="staff",
                               actor=referral.created_by, actor_label=referral.created_by.display_name))
            previous = status
        events.append(_event(referral.created_at, "referral.create", referral.person,
                             ctx.site_public[referral.site_id], "referral", str(referral.public_id),
                             actor=referral.created_by))
    fastinsert.insert(Event, steps)
    ctx.add("referrals", len(referrals))
    ctx.add("referral events", len(steps))
    return events


def _followup(people: list, ctx: Context) -> list[AuditEvent]:
    found = _models("safehaven.followup.models", "CareEvent", "DueItem", "Appointment", ctx=ctx, app="followup")
    if not found:
        return []
    CareEvent, DueItem, Appointment = found
    rng = ctx.rng
    today = ctx.now.date()
    care_events, due, appointments = [], [], []
    for person in people:
        if rng.random() >= 0.5:
            continue
        by = rng.choice(ctx.staff_by_site[person.site_id])
        kinds = ["enrolled"] + rng.sample(list(DUE_LABELS)[1:], k=rng.randint(0, 2))
        for kind in kinds:
            on = min(_when(ctx, person).date(), today)
            care_events.append(CareEvent(person=person, kind=kind, occurred_on=on, recorded_by=by))
        if rng.random() < 0.4:
            starts = ctx.now + datetime.timedelta(days=rng.randint(-60, 30), hours=rng.randint(0, 8))
            appointments.append(Appointment(
                person=person, site_id=person.site_id, clinician=by, starts_at=starts,
                status="booked" if starts > ctx.now else rng.choice(["fulfilled", "fulfilled", "noshow", "cancelled"]),
                interpreter_language=person.preferred_language if person.interpreter_needed else "",
                created_by=by,
            ))
    fastinsert.insert(CareEvent, care_events)
    for event in care_events:
        for label, kind, days in DUE_LABELS[event.kind]:
            due_on = event.occurred_on + datetime.timedelta(days=days)
            done = due_on < today and rng.random() < 0.6
            due.append(DueItem(person=event.person, site_id=event.person.site_id, event=event, label=label,
                               kind=kind, due_on=due_on, overdue_on=due_on + datetime.timedelta(days=14),
                               status="completed" if done else "requested",
                               completed_on=due_on if done else None, completed_by=event.recorded_by if done else None))
    fastinsert.insert(DueItem, due)
    fastinsert.insert(Appointment, appointments)
    ctx.add("care events", len(care_events))
    ctx.add("due items", len(due))
    ctx.add("appointments", len(appointments))
    return [
        _event(a.created_at, "followup.appointment.book", a.person, ctx.site_public[a.site_id],
               "appointment", str(a.public_id), actor=a.created_by)
        for a in appointments
    ]


def _consent(people: list, ctx: Context) -> list[AuditEvent]:
    found = _models("safehaven.consent.models", "ConsentGrant", ctx=ctx, app="consent")
    if not found:
        return []
    (Grant,) = found
    rng = ctx.rng
    grants = []
    for person in people:
        if rng.random() >= 0.45:
            continue
        by = rng.choice(ctx.staff_by_site[person.site_id])
        at = _when(ctx, person)
        category = rng.choice(["health_care", "health_care", "social_services", "housing", "legal_services"])
        grants.append(Grant(
            person=person, recipient_kind="category", recipient_label=category.replace("_", " "),
            recipient_category=category, purposes=["treatment", "referral"],
            categories=["identity_contact", "clinical_summary"], method="written", informed=True,
            recorded_by=by, starts_at=at, expires_at=at + datetime.timedelta(days=365), created_at=at,
        ))
    fastinsert.insert(Grant, grants)
    ctx.add("consents", len(grants))
    return [
        _event(g.created_at, "consent.grant", g.person, ctx.site_public[g.person.site_id], "consentgrant",
               str(g.public_id), actor=g.recorded_by)
        for g in grants
    ]


def staff_by_site() -> tuple[dict[int, list[Any]], dict[int, str]]:
    """Return the care staff of each site and each site's public id."""
    from safehaven.accounts.models import Membership, Site

    staff: dict[int, list[Any]] = {}
    for m in Membership.objects.filter(role__code__in=["clinician", "nurse", "advocate"]).select_related("user").order_by("pk"):
        staff.setdefault(m.site_id, []).append(m.user)
    return staff, {s.pk: str(s.public_id) for s in Site.objects.all()}


def generate_full(*, seed: int = 1, services: int = 20000, progress: bool = True, batch: int = 2000,
                  people_after: int = 0) -> Context:
    """Add the capabilities' rows for every person with a row id above `people_after`."""
    from safehaven.people.models import Person

    ensure_directory(services, seed=seed)
    staff, site_public = staff_by_site()
    ctx = make_context(seed=seed, staff_by_site=staff, site_public=site_public)
    ids = list(Person.objects.filter(pk__gt=people_after).order_by("pk").values_list("pk", flat=True))
    bar = Progress("capabilities", len(ids), enabled=progress)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        people = list(Person.objects.filter(pk__in=chunk).order_by("pk"))
        with transaction.atomic():
            events = populate(people, ctx)
            for at in range(0, len(events), 5000):
                chain.append(events[at:at + 5000])
        ctx.add("audit events", len(events))
        bar.advance(len(chunk))
    bar.close()
    return ctx
