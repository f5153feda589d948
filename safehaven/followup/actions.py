"""The only write path for follow-up: events, due care, appointments, outreach, reminders.

Each action takes keyword arguments, needs the acting user (`by=`), runs in one transaction
and writes its audit event inside it.
"""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehaven.accounts.models import Membership
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.followup import contact
from safehaven.followup.models import (
    EVENT_CODES,
    REMINDER_OPEN_STATES,
    Appointment,
    CareEvent,
    DueItem,
    OutreachTask,
    ProtocolStep,
    Reminder,
    ReminderTemplate,
)
from safehaven.followup.protocols import ensure_default_protocols
from safehaven.people.models import CareTeamMember, Person


class BookingProblem(Exception):
    """The appointment cannot be booked as asked; `problems` are sentences to show."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


def _age_on(person: Person, day: datetime.date) -> int | None:
    dob = person.date_of_birth
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _applies(step: ProtocolStep, age: int | None) -> bool:
    if age is None:
        return True  # unknown age: schedule it; the team marks it "not needed" if it is not
    if step.min_age is not None and age < step.min_age:
        return False
    return not (step.max_age is not None and age > step.max_age)


def _due_item(person: Person, event: CareEvent, step: ProtocolStep, due_on: datetime.date) -> DueItem:
    return DueItem(
        person=person, site=person.site, event=event, step=step, label=step.label,
        kind=step.kind, due_on=due_on,
        overdue_on=due_on + datetime.timedelta(days=step.grace_days),
    )


@transaction.atomic
def record_event(
    *, by: Any, person: Person, kind: str, occurred_on: datetime.date, ip: str = ""
) -> tuple[CareEvent, list[DueItem]]:
    """Record an event in the person's care and schedule what the clinic's protocols call for."""
    if kind not in EVENT_CODES:
        raise ValueError(f"unknown event {kind}")
    ensure_default_protocols(person.site)
    event = CareEvent.objects.create(person=person, kind=kind, occurred_on=occurred_on, recorded_by=by)
    steps = ProtocolStep.objects.filter(
        protocol__site=person.site, protocol__trigger=kind, protocol__active=True, active=True
    ).order_by("protocol__name", "order", "offset_days")
    items = []
    for step in steps:
        due_on = occurred_on + datetime.timedelta(days=step.offset_days)
        if _applies(step, _age_on(person, due_on)):
            items.append(_due_item(person, event, step, due_on))
    DueItem.objects.bulk_create(items)
    record(
        by=by, action="followup.event.create", obj=event, person=person,
        detail={"kind": kind, "scheduled": len(items)}, ip=ip,
    )
    return event, items


@transaction.atomic
def complete_due_item(
    *, by: Any, item: DueItem, completed_on: datetime.date | None = None, ip: str = ""
) -> DueItem | None:
    """Mark due care as done; schedule the next one if the step repeats. Return the next one."""
    completed_on = completed_on or timezone.localdate()
    if item.status != "requested":
        raise ValueError(_("This is no longer due."))
    item.status = "completed"
    item.completed_on = completed_on
    item.completed_by = by
    item.save(update_fields=["status", "completed_on", "completed_by"])
    following = None
    step = item.step
    if step is not None and step.active and step.repeat_every_days:
        due_on = completed_on + datetime.timedelta(days=step.repeat_every_days)
        if _applies(step, _age_on(item.person, due_on)):
            following = _due_item(item.person, item.event, step, due_on)
            following.save()
    record(
        by=by, action="followup.due.complete", obj=item, person=item.person,
        detail={"on_time": completed_on <= item.overdue_on, "repeats": following is not None}, ip=ip,
    )
    return following


@transaction.atomic
def cancel_due_item(*, by: Any, item: DueItem, ip: str = "") -> DueItem:
    """Mark due care as not needed for this person."""
    if item.status != "requested":
        raise ValueError(_("This is no longer due."))
    item.status = "cancelled"
    item.save(update_fields=["status"])
    record(by=by, action="followup.due.cancel", obj=item, person=item.person, ip=ip)
    return item


@transaction.atomic
def update_step(*, by: Any, step: ProtocolStep, ip: str = "", **changes: Any) -> ProtocolStep:
    """Change a protocol step (intervals, source, whether it is a clinic choice, in use)."""
    allowed = {
        "label", "offset_days", "grace_days", "repeat_every_days", "min_age", "max_age",
        "source", "clinic_choice", "active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(step, field, value)
    step.full_clean(exclude=["protocol"])
    step.save()
    record(
        by=by, action="followup.protocol.update", obj=step, site=step.protocol.site,
        detail={"fields": sorted(changes), "protocol": step.protocol.code}, ip=ip,
    )
    return step


def clinicians_at(site) -> list:
    """Return the staff at a site whose role lets them see patients clinically."""
    memberships = Membership.objects.filter(site=site, active=True, user__is_active=True).select_related(
        "user", "role"
    )
    return sorted(
        {m.user for m in memberships if m.role.grants(Perm.WRITE_CLINICAL)}, key=lambda u: u.name
    )


@transaction.atomic
def book_appointment(
    *,
    by: Any,
    person: Person,
    clinician: Any,
    starts_at: datetime.datetime,
    minutes: int = 30,
    room: str = "",
    interpreter_arranged: bool = False,
    preference_note: str = "",
    due_item: DueItem | None = None,
    ip: str = "",
) -> Appointment:
    """Book a visit, honouring the person's clinician-gender preference and interpreter need.

    A clinician who does not match the preference is refused unless `preference_note` records
    that the person themself chose this; an interpreter need is refused unless one is arranged.
    """
    problems = []
    if clinician not in clinicians_at(person.site):
        problems.append(_("Choose a clinician who works at this site."))
    wanted = person.clinician_gender_preference
    if wanted and getattr(clinician, "gender", "") != wanted and not preference_note.strip():
        problems.append(
            _("They prefer to be seen by %(who)s. Choose another clinician, or write down that they chose this one.")
            % {"who": person.get_clinician_gender_preference_display().lower()}
        )
    if person.interpreter_needed and not interpreter_arranged:
        problems.append(
            _("They need an interpreter (%(language)s). Arrange one and confirm it.")
            % {"language": person.get_preferred_language_display()}
        )
    if starts_at < timezone.now() - datetime.timedelta(hours=1):
        problems.append(_("The time is in the past."))
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    clash = Appointment.objects.filter(
        clinician=clinician, status__in=["booked", "arrived"],
        starts_at__lt=ends_at, starts_at__gt=starts_at - datetime.timedelta(hours=8),
    )
    if any(a.starts_at + datetime.timedelta(minutes=a.minutes) > starts_at for a in clash):
        problems.append(_("The clinician already has a visit at that time."))
    if problems:
        raise BookingProblem(problems)
    appointment = Appointment.objects.create(
        person=person, site=person.site, clinician=clinician, starts_at=starts_at, minutes=minutes,
        room=room.strip(),
        interpreter_language=person.preferred_language if person.interpreter_needed else "",
        preference_note=preference_note.strip(), due_item=due_item, created_by=by,
    )
    record(
        by=by, action="followup.appointment.create", obj=appointment, person=person,
        detail={"preference_override": bool(wanted and clinician.gender != wanted),
                "interpreter": person.interpreter_needed},
        ip=ip,
    )
    return appointment


def _advocate_for(person: Person):
    members = CareTeamMember.objects.filter(person=person, active=True).select_related("user")
    user_ids = [m.user_id for m in members]
    memberships = Membership.objects.filter(
        site=person.site, user_id__in=user_ids, active=True
    ).select_related("user", "role")
    for m in memberships:
        if m.role.code == "advocate":
            return m.user
    for m in memberships:
        if m.role.grants(Perm.CASE_MANAGE):
            return m.user
    return None


@transaction.atomic
def set_appointment_status(*, by: Any, appointment: Appointment, status: str, ip: str = "") -> OutreachTask | None:
    """Record that the person arrived, was seen, cancelled or missed the visit.

    A missed visit creates an outreach task for the advocate on their care team and cancels
    reminders still waiting for that visit. Return the outreach task, if one was made.
    """
    allowed = {"arrived", "fulfilled", "cancelled", "noshow"}
    if status not in allowed:
        raise ValueError(f"unknown status {status}")
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    task = None
    if status in {"cancelled", "noshow", "fulfilled"}:
        Reminder.objects.filter(appointment=appointment, state="scheduled").update(state="cancelled")
    if status == "noshow" and not OutreachTask.objects.filter(appointment=appointment).exists():
        task = OutreachTask.objects.create(
            person=appointment.person, site=appointment.site, appointment=appointment,
            assigned_to=_advocate_for(appointment.person),
        )
    record(
        by=by, action="followup.appointment.status", obj=appointment, person=appointment.person,
        detail={"status": status, "outreach": task is not None}, ip=ip,
    )
    return task


@transaction.atomic
def update_outreach(*, by: Any, task: OutreachTask, status: str, note: str = "", ip: str = "") -> OutreachTask:
    """Move an outreach task along (in progress, done, cancelled) with a note of what happened."""
    if status not in {"in-progress", "completed", "cancelled"}:
        raise ValueError(f"unknown status {status}")
    task.status = status
    if note.strip():
        task.note = note.strip()
    if task.assigned_to_id is None:
        task.assigned_to = by
    task.completed_at = timezone.now() if status in {"completed", "cancelled"} else None
    task.save()
    record(by=by, action="followup.outreach.update", obj=task, person=task.person,
           detail={"status": status}, ip=ip)
    return task


@transaction.atomic
def save_template(
    *, by: Any, site: Any, kind: str, language: str, subject: str, body: str, ip: str = ""
) -> ReminderTemplate:
    """Save a site's reminder wording for one language; refuse unsafe words or placeholders."""
    problems = contact.template_problems(subject) + contact.template_problems(body)
    if problems:
        raise ValueError(" ".join(dict.fromkeys(problems)))
    template, _created = ReminderTemplate.objects.update_or_create(
        site=site, kind=kind, language=language,
        defaults={"subject": subject.strip(), "body": body.strip(), "updated_by": by},
    )
    record(by=by, action="followup.template.update", site=site,
           detail={"kind": kind, "language": language}, ip=ip)
    return template


def _enqueue(reminder: Reminder) -> None:
    from safehaven.followup.tasks import send_reminder

    public_id, when = str(reminder.public_id), reminder.send_after

    def go():
        if send_reminder.get_backend().supports_defer:
            send_reminder.using(run_after=when).enqueue(public_id)
        elif when <= timezone.now():
            send_reminder.enqueue(public_id)

    transaction.on_commit(go)


@transaction.atomic
def schedule_reminder(
    *,
    by: Any,
    person: Person,
    kind: str,
    channel: str,
    send_after: datetime.datetime | None = None,
    appointment: Appointment | None = None,
    ip: str = "",
) -> Reminder:
    """Schedule a reminder through the person's contact wishes, or raise contact.ContactRefused.

    Without `send_after`, an appointment reminder goes out the day before (at the start of
    their safe hours if that moment is not safe), anything else at the next safe moment.
    """
    prefs = getattr(person, "contact", None)
    contact.check_channel(person, prefs, channel)
    contact.check_consent(person)
    contact.render(person, prefs, kind=kind, channel=channel,
                   when=appointment.starts_at if appointment else None)
    now = timezone.now()
    if send_after is not None:
        if not contact.in_safe_hours(prefs, send_after):
            raise contact.ContactRefused("outside_safe_hours")
    else:
        start = now
        if appointment is not None:
            start = max(now, appointment.starts_at - datetime.timedelta(days=1))
        send_after = contact.next_safe_time(prefs, start)
    reminder = Reminder.objects.create(
        person=person, kind=kind, channel=channel, send_after=send_after,
        appointment=appointment, created_by=by,
    )
    record(by=by, action="followup.reminder.schedule", obj=reminder, person=person,
           detail={"channel": channel, "kind": kind}, ip=ip)
    _enqueue(reminder)
    return reminder


@transaction.atomic
def cancel_reminder(*, by: Any, reminder: Reminder, ip: str = "") -> Reminder:
    """Cancel a reminder that has not gone out yet."""
    if reminder.state not in REMINDER_OPEN_STATES - {"sending"}:
        raise ValueError(_("This reminder can no longer be cancelled."))
    reminder.state = "cancelled"
    reminder.save(update_fields=["state"])
    record(by=by, action="followup.reminder.cancel", obj=reminder, person=reminder.person, ip=ip)
    return reminder
