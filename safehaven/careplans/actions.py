"""The only write path for needs assessments, care plans, safety plans and case management.

Each action takes keyword arguments, needs the acting user (`by=`), runs in one
transaction and writes its audit event inside it. Audit details carry codes, never
the person's words.
"""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safehaven.audit.actions import record
from safehaven.careplans.models import (
    CONTACT_ATTEMPT_CHANNELS,
    CONTACT_OUTCOMES,
    GOAL_STATUSES,
    GOAL_TRANSITIONS,
    NEED_STATUSES,
    PRIORITIES,
    STEP_OWNERS,
    TASK_PRIORITIES,
    TASK_STATUSES,
    CarePlan,
    CaseConference,
    CaseTask,
    ConferenceAttendee,
    ConferenceDecision,
    ContactAttempt,
    Goal,
    NeedDomain,
    NeedRating,
    NeedsAssessment,
    SafetyPlan,
    Step,
)
from safehaven.people.models import Person


class ConflictError(Exception):
    """Someone else changed the record since it was loaded."""


class UnsafeContactError(Exception):
    """The attempt goes against the person's contact preferences and was not confirmed."""

    def __init__(self, warnings: list[str]):
        super().__init__(", ".join(warnings))
        self.warnings = warnings


CONFLICT_MESSAGE = "This plan was changed by someone else. Reload it and try again."


def _codes(choices) -> set[str]:
    return {code for code, _label in choices}


# --- needs assessment -----------------------------------------------------------------

@transaction.atomic
def record_assessment(
    *, by: Any, person: Person, ratings: dict[str, dict], summary: str = "",
    assessed_at: datetime.datetime | None = None, ip: str = "",
) -> NeedsAssessment:
    """Record a needs assessment: one rating per active domain (missing ones: not assessed).

    A substance-use emergency opens the urgent pathway: an urgent task due today.
    """
    domains = {d.code: d for d in NeedDomain.objects.filter(active=True)}
    unknown = set(ratings) - set(domains)
    if unknown:
        raise ValueError(f"unknown domains: {', '.join(sorted(unknown))}")
    statuses, priorities = _codes(NEED_STATUSES), _codes(PRIORITIES)
    assessment = NeedsAssessment.objects.create(
        person=person, assessed_by=by, assessed_at=assessed_at or timezone.now(),
        summary=summary.strip(),
    )
    rows = []
    for code, domain in domains.items():
        answer = ratings.get(code, {})
        status = answer.get("status") or "not_assessed"
        priority = answer.get("priority") or ""
        emergency = bool(answer.get("emergency"))
        if status not in statuses or priority not in priorities:
            raise ValueError(f"bad status or priority for {code}")
        if emergency and not domain.has_emergency:
            raise ValueError(f"{code} has no emergency flag")
        rows.append(NeedRating(
            assessment=assessment, domain=domain, status=status, priority=priority,
            emergency=emergency, notes=(answer.get("notes") or "").strip(),
        ))
    NeedRating.objects.bulk_create(rows)
    emergencies = [r for r in rows if r.emergency]
    for rating in emergencies:
        task = CaseTask.objects.create(
            person=person, kind="urgent_substance_use", priority="stat", status="requested",
            title="Urgent substance-use pathway: same-day response", due_date=timezone.localdate(),
            created_by=by,
            source_rating=rating,
        )
        record(by=by, action="careplans.urgent_pathway.open", obj=task, person=person, ip=ip)
    record(
        by=by, action="careplans.assessment.create", obj=assessment, person=person, ip=ip,
        detail={"domains": len(rows), "emergencies": len(emergencies)},
    )
    return assessment


# --- care plan, goals, steps ----------------------------------------------------------

@transaction.atomic
def start_plan(*, by: Any, person: Person, ip: str = "") -> CarePlan:
    """Return the person's plan, creating an empty active one the first time."""
    plan, created = CarePlan.objects.get_or_create(person=person, defaults={"created_by": by})
    if created:
        record(by=by, action="careplans.plan.create", obj=plan, person=person, ip=ip)
    return plan


def _bump(plan: CarePlan, version: int) -> None:
    """Claim the next version of the plan, or raise ConflictError if someone saved first."""
    updated = CarePlan.objects.filter(pk=plan.pk, version=version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConflictError(CONFLICT_MESSAGE)
    plan.version = version + 1


@transaction.atomic
def update_plan(
    *, by: Any, plan: CarePlan, version: int, print_heading: str, exit_planning_chosen: bool,
    exit_planning: str = "", status: str | None = None, ip: str = "",
) -> CarePlan:
    """Change the plan's own settings. Exit planning holds text only when the person chose it."""
    if status is not None and status not in {c for c, _l in CarePlan._meta.get_field("status").choices}:
        raise ValueError("unknown plan status")
    _bump(plan, version)
    plan.print_heading = print_heading.strip()
    plan.exit_planning_chosen = bool(exit_planning_chosen)
    plan.exit_planning = exit_planning.strip() if exit_planning_chosen else ""
    if status:
        plan.status = status
    plan.save(update_fields=["print_heading", "exit_planning_chosen", "exit_planning", "status", "updated_at"])
    record(by=by, action="careplans.plan.update", obj=plan, person=plan.person, ip=ip,
           detail={"exit_planning": plan.exit_planning_chosen})
    return plan


@transaction.atomic
def add_goal(
    *, by: Any, plan: CarePlan, version: int, description: str, domain_codes: list[str] | None = None,
    status: str = "active", ip: str = "",
) -> Goal:
    """Add a goal in the person's own words, linked to need domains."""
    description = description.strip()
    if not description:
        raise ValueError("a goal needs the person's words")
    if status not in GOAL_TRANSITIONS or status == "entered-in-error":
        raise ValueError("unknown goal status")
    domains = list(NeedDomain.objects.filter(code__in=domain_codes or []))
    if len(domains) != len(set(domain_codes or [])):
        raise ValueError("unknown domain")
    _bump(plan, version)
    goal = Goal.objects.create(
        plan=plan, person=plan.person, description=description, lifecycle_status=status,
        created_by=by,
    )
    goal.domains.set(domains)
    record(by=by, action="careplans.goal.create", obj=goal, person=plan.person, ip=ip,
           detail={"status": status, "domains": sorted(d.code for d in domains)})
    return goal


@transaction.atomic
def set_goal_status(*, by: Any, goal: Goal, version: int, status: str, ip: str = "") -> Goal:
    """Move a goal along its FHIR lifecycle; refuse moves that make no sense."""
    if status not in _codes(GOAL_STATUSES):
        raise ValueError("unknown goal status")
    allowed = GOAL_TRANSITIONS[goal.lifecycle_status] | (
        {"entered-in-error"} if goal.lifecycle_status != "entered-in-error" else set()
    )
    if status not in allowed:
        raise ValueError(f"a goal cannot go from {goal.lifecycle_status} to {status}")
    _bump(goal.plan, version)
    before = goal.lifecycle_status
    goal.lifecycle_status = status
    goal.save(update_fields=["lifecycle_status", "updated_at"])
    record(by=by, action="careplans.goal.status", obj=goal, person=goal.person, ip=ip,
           detail={"from": before, "to": status})
    return goal


@transaction.atomic
def add_step(
    *, by: Any, goal: Goal, version: int, description: str, owner_kind: str,
    owner_user: Any = None, partner_name: str = "", due_date: datetime.date | None = None,
    ip: str = "",
) -> Step:
    """Add a step to a goal, owned by the person, the advocate, a clinician or a partner."""
    description = description.strip()
    if not description:
        raise ValueError("a step needs a description")
    if owner_kind not in _codes(STEP_OWNERS):
        raise ValueError("unknown step owner")
    if not goal.is_open:
        raise ValueError("the goal is closed")
    _bump(goal.plan, version)
    step = Step.objects.create(
        goal=goal, description=description, owner_kind=owner_kind, owner_user=owner_user,
        partner_name=partner_name.strip() if owner_kind == "partner" else "", due_date=due_date,
    )
    record(by=by, action="careplans.step.create", obj=step, person=goal.person, ip=ip,
           detail={"owner": owner_kind})
    return step


@transaction.atomic
def update_step(
    *, by: Any, step: Step, version: int, status: str, progress: int, ip: str = "",
) -> Step:
    """Record progress on a step (a done step is 100%)."""
    if status not in _codes(TASK_STATUSES):
        raise ValueError("unknown step status")
    if not 0 <= int(progress) <= 100:
        raise ValueError("progress is a percentage")
    _bump(step.goal.plan, version)
    step.status = status
    step.progress = 100 if status == "completed" else int(progress)
    step.save(update_fields=["status", "progress", "updated_at"])
    record(by=by, action="careplans.step.update", obj=step, person=step.goal.person, ip=ip,
           detail={"status": status, "progress": step.progress})
    return step


# --- safety plan ----------------------------------------------------------------------

SAFETY_FIELDS = ("safe_places", "safe_contacts", "code_words", "documents_ready")


@transaction.atomic
def save_safety_plan(
    *, by: Any, person: Person, version: int | None, include_in_print: bool = False,
    show_in_emergency_access: bool = False, ip: str = "", **texts: str,
) -> SafetyPlan:
    """Create or change the safety plan; `version` None means "there was none when I started"."""
    unknown = set(texts) - set(SAFETY_FIELDS)
    if unknown:
        raise ValueError(f"unknown safety plan fields: {', '.join(sorted(unknown))}")
    plan = SafetyPlan.objects.select_for_update().filter(person=person).first()
    if plan is None:
        if version is not None:
            raise ConflictError(CONFLICT_MESSAGE)
        plan = SafetyPlan(person=person, updated_by=by, version=1)
    else:
        if version != plan.version:
            raise ConflictError(CONFLICT_MESSAGE)
        plan.version += 1
    for field in SAFETY_FIELDS:
        setattr(plan, field, (texts.get(field) or "").strip())
    plan.include_in_print = bool(include_in_print)
    plan.show_in_emergency_access = bool(show_in_emergency_access)
    plan.updated_by = by
    plan.save()
    record(by=by, action="careplans.safety_plan.save", obj=plan, person=person, ip=ip,
           detail={"include_in_print": plan.include_in_print,
                   "show_in_emergency_access": plan.show_in_emergency_access})
    return plan


# --- tasks ----------------------------------------------------------------------------

@transaction.atomic
def create_task(
    *, by: Any, person: Person, title: str, due_date: datetime.date | None = None,
    priority: str = "routine", assigned_to: Any = None, kind: str = "general",
    conference: CaseConference | None = None, ip: str = "",
) -> CaseTask:
    """Create a case-management task."""
    title = title.strip()
    if not title:
        raise ValueError("a task needs a title")
    if priority not in _codes(TASK_PRIORITIES):
        raise ValueError("unknown priority")
    task = CaseTask.objects.create(
        person=person, title=title, due_date=due_date, priority=priority, assigned_to=assigned_to,
        kind=kind, source_conference=conference, created_by=by,
    )
    record(by=by, action="careplans.task.create", obj=task, person=person, ip=ip,
           detail={"kind": kind, "priority": priority})
    return task


@transaction.atomic
def set_task_status(*, by: Any, task: CaseTask, status: str, ip: str = "") -> CaseTask:
    """Move a task to another FHIR Task status."""
    if status not in _codes(TASK_STATUSES):
        raise ValueError("unknown task status")
    task.status = status
    task.completed_at = timezone.now() if status == "completed" else None
    task.save(update_fields=["status", "completed_at", "updated_at"])
    record(by=by, action="careplans.task.status", obj=task, person=task.person, ip=ip,
           detail={"status": status})
    return task


# --- contact log ----------------------------------------------------------------------

def contact_warnings(person: Person, *, channel: str, at: datetime.datetime, outcome: str = "") -> list[str]:
    """Return codes of the ways this attempt goes against the person's contact preferences."""
    import zoneinfo

    prefs = getattr(person, "contact", None)
    if prefs is None:
        return ["no_preferences"]
    warnings = []
    if prefs.do_not_contact:
        warnings.append("do_not_contact")
    if channel != "in_person" and channel not in (prefs.channels or []):
        warnings.append("channel_not_allowed")
    try:
        zone = zoneinfo.ZoneInfo(prefs.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    local = at.astimezone(zone).time()
    start, end = prefs.safe_hours_start, prefs.safe_hours_end
    inside = start <= local <= end if start <= end else (local >= start or local <= end)
    if channel not in {"in_person", "letter", "email"} and not inside:
        warnings.append("outside_safe_hours")
    if outcome == "voicemail" and not prefs.voicemail_ok:
        warnings.append("no_voicemail")
    return warnings


@transaction.atomic
def log_contact_attempt(
    *, by: Any, person: Person, channel: str, outcome: str, at: datetime.datetime | None = None,
    note: str = "", confirm_unsafe: bool = False, ip: str = "",
) -> ContactAttempt:
    """Log an outreach attempt; refuse an unsafe one unless staff explicitly confirmed it."""
    if channel not in _codes(CONTACT_ATTEMPT_CHANNELS) or outcome not in _codes(CONTACT_OUTCOMES):
        raise ValueError("unknown channel or outcome")
    at = at or timezone.now()
    warnings = contact_warnings(person, channel=channel, at=at, outcome=outcome)
    if warnings and not confirm_unsafe:
        raise UnsafeContactError(warnings)
    attempt = ContactAttempt.objects.create(
        person=person, by=by, at=at, channel=channel, outcome=outcome, note=note.strip(),
        warnings=warnings, confirmed_unsafe=bool(warnings),
    )
    record(by=by, action="careplans.contact.log", obj=attempt, person=person, ip=ip,
           detail={"channel": channel, "outcome": outcome, "warnings": warnings})
    return attempt


# --- case conferences -----------------------------------------------------------------

@transaction.atomic
def record_conference(
    *, by: Any, person: Person, held_at: datetime.datetime | None = None,
    staff: list | None = None, external: list[dict] | None = None,
    decisions: list[dict] | None = None, follow_ups: list[dict] | None = None, ip: str = "",
) -> CaseConference:
    """Record a case conference with attendees, decisions (each tagged with a data category)
    and follow-up tasks."""
    from safehaven.consent.models import DATA_CATEGORY_CODES, PURPOSES, RECIPIENT_CATEGORIES

    conference = CaseConference.objects.create(
        person=person, held_at=held_at or timezone.now(), created_by=by
    )
    attendees = [ConferenceAttendee(conference=conference, user=u) for u in {*(staff or []), by}]
    for ext in external or []:
        name = (ext.get("name") or "").strip()
        category = ext.get("recipient_category") or "other"
        purpose = ext.get("purpose") or "treatment"
        if not name or category not in _codes(RECIPIENT_CATEGORIES) or purpose not in _codes(PURPOSES):
            raise ValueError("an outside attendee needs a name, a kind of organisation and a purpose")
        attendees.append(ConferenceAttendee(
            conference=conference, name=name,
            organisation_label=(ext.get("organisation_label") or "").strip(),
            organisation_ref=(ext.get("organisation_ref") or "").strip(),
            recipient_category=category, purpose=purpose,
        ))
    ConferenceAttendee.objects.bulk_create(attendees)
    rows = []
    for decision in decisions or []:
        text = (decision.get("text") or "").strip()
        category = decision.get("category") or "clinical_summary"
        if not text:
            continue
        if category not in DATA_CATEGORY_CODES:
            raise ValueError("unknown data category")
        rows.append(ConferenceDecision(conference=conference, text=text, category=category))
    ConferenceDecision.objects.bulk_create(rows)
    for follow in follow_ups or []:
        if (follow.get("title") or "").strip():
            create_task(
                by=by, person=person, title=follow["title"], due_date=follow.get("due_date"),
                assigned_to=follow.get("assigned_to"), kind="conference_follow_up",
                conference=conference, ip=ip,
            )
    record(by=by, action="careplans.conference.create", obj=conference, person=person, ip=ip,
           detail={"attendees": len(attendees), "decisions": len(rows)})
    return conference
